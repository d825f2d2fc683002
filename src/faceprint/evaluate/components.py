"""Per-image embedding components, computed once and shared by every pipeline built from them.

A component is what one embedder gives for one face that a detector finds (the largest, or
with `face_rule="central"` the one nearest the image centre: the labelled face of
LFW-style crops), on the plain crop or on its mirror image (`yunet>sface`, `yunet>sface:mirror`, ...). Every
registered pipeline is a fixed function of its components (`pipeline_vectors`), so
calibration and benchmarks can evaluate all pipelines, and refit fusion weights per
fold, from one pass over the images. A golden test checks that this composition
gives the same vectors as `Analyzer`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Iterable, Sequence

import numpy as np

from ..cache import VectorCache, file_digest
from ..embedders.base import merge_flipped, mirror
from ..embedders.fusion import fuse
from ..models.card import PipelineCard
from ..types import FACE_RULES

CACHE_VERSION = "components-v1"
_SAME = "same face as the largest"  # worker's answer when the central face is the largest one


def components_for(cards: Iterable[PipelineCard]) -> dict[str, dict[str, bool]]:
    """detector -> {embedder: whether its mirrored crop is needed too} to build `cards`."""
    need: dict[str, dict[str, bool]] = {}
    for card in cards:
        for e in card.embedders:
            per = need.setdefault(card.detector, {})
            per[e] = per.get(e, False) or card.flip
    return need


def component_keys(need: dict[str, dict[str, bool]]) -> list[str]:
    keys = []
    for d, es in need.items():
        for e, flip in es.items():
            keys += [f"{d}>{e}", f"{d}>{e}:mirror"] if flip else [f"{d}>{e}"]
    return keys


_worker: dict[str, object] = {}


def _init_worker(need: dict[str, dict[str, bool]], rule: str = "largest") -> None:
    import cv2

    from ..models.registry import make_detector, make_embedder

    cv2.setNumThreads(1)  # one process per core; threads inside would fight over them
    _worker["need"] = need
    _worker["rule"] = rule
    _worker["detectors"] = {d: make_detector(d) for d in need}
    _worker["embedders"] = {e: make_embedder(e) for es in need.values() for e in es}


def _extract_one(job: tuple[str, frozenset[str]]) -> tuple[str, dict[str, np.ndarray | str]]:
    """Components `wanted` of one image (the others are already cached)."""
    from ..errors import FaceprintError
    from ..image import load_image

    path, wanted = job
    out: dict[str, np.ndarray | str] = {}
    try:
        digest = file_digest(path)
        image = load_image(path)
    except (OSError, FaceprintError) as e:
        note = f"{type(e).__name__}: {e}"
        return "", dict.fromkeys(wanted, note)
    for d, embedders in _worker["need"].items():
        todo = {e: flip for e, flip in embedders.items() if f"{d}>{e}" in wanted or f"{d}>{e}:mirror" in wanted}
        if not todo:
            continue
        faces = _worker["detectors"][d].detect(image)
        index = faces.pick(str(_worker.get("rule", "largest")))
        for e, flip in todo.items():
            if not len(faces) or (index == 0 and _worker.get("rule") == "central"):
                note = "no face" if not len(faces) else _SAME
                out[f"{d}>{e}"] = note
                if flip:
                    out[f"{d}>{e}:mirror"] = note
                continue
            emb = _worker["embedders"][e]
            crops = emb.crops(image, faces[index])
            out[f"{d}>{e}"] = emb.embed_crops(crops)[0]
            if flip:
                out[f"{d}>{e}:mirror"] = emb.embed_crops(mirror(crops))[0]
    return digest, {k: v for k, v in out.items() if k in wanted}


def _width(key: str) -> int:
    """A component's vector length: its embedder card's embedding_dim (128 if the card has none)."""
    from ..models.catalog import MODELS

    card = MODELS.get(key.split(">", 1)[1].split(":", 1)[0])
    return (card.embedding_dim if card is not None else None) or 128


def extract(paths: Sequence[str], cards: Iterable[PipelineCard], *, workers: int | None = None,
            cache: VectorCache | None = None, progress: bool = True, face_rule: str = "largest"
            ) -> dict[str, np.ndarray]:
    """key -> (len(paths), D) float32 (D: the embedder card's embedding_dim); NaN rows where the
    image failed or had no face.

    With face_rule="central", images whose central face is also the largest reuse the
    "largest" components, so switching rules costs one detection pass, not a re-embedding.
    """
    if face_rule not in FACE_RULES:
        raise ValueError(f"face_rule must be one of {FACE_RULES}, got {face_rule!r}")
    cards = list(cards)
    prefix = CACHE_VERSION if face_rule == "largest" else f"{CACHE_VERSION}:{face_rule}"
    need = components_for(cards)
    keys = component_keys(need)
    digests = [file_digest(p) for p in paths]
    result = {k: np.full((len(paths), _width(k)), np.nan, np.float32) for k in keys}
    todo: list[tuple[int, frozenset[str]]] = []
    known = {k: cache.get_many(f"{prefix}:{k}", digests) for k in keys} if cache is not None else {}
    for i, dg in enumerate(digests):
        missing = frozenset(k for k in keys if dg not in known.get(k, {}))
        for k in set(keys) - missing:
            if isinstance(known[k][dg], np.ndarray):
                result[k][i] = known[k][dg]
        if missing:
            todo.append((i, missing))  # only what is not cached yet is computed
    if not todo:
        return result
    from ..progress import progress as make_bar

    bar = make_bar(total=len(todo), desc="embedding", unit="img", enabled=progress)
    pending: list[tuple[str, str, np.ndarray | None, str | None]] = []

    def flush() -> None:
        if cache is not None:
            for k in keys:
                cache.put_many(f"{prefix}:{k}", [(d, v, n) for key, d, v, n in pending if key == k])
        pending.clear()

    # forkserver, not fork: a child forked after the parent ran OpenCV's thread pool can deadlock.
    ctx = mp.get_context("forkserver")
    same: list[tuple[int, str, str]] = []  # (row, key, digest) to take from the "largest" rule
    with ctx.Pool(workers or os.cpu_count() or 1, initializer=_init_worker, initargs=(need, face_rule)) as pool:
        jobs = [(paths[i], missing) for i, missing in todo]
        for (i, _), (digest, vals) in zip(todo, pool.imap(_extract_one, jobs, chunksize=4)):
            for k, v in vals.items():
                if isinstance(v, str) and v == _SAME:
                    same.append((i, k, digest))
                    continue
                if isinstance(v, np.ndarray):
                    result[k][i] = v
                if digest:
                    pending.append((k, digest, v if isinstance(v, np.ndarray) else None,
                                    None if isinstance(v, np.ndarray) else v))
            if bar is not None:
                bar.update(1)
            if len(pending) >= 1000:
                flush()
    if bar is not None:
        bar.close()
    if same:
        rows = sorted({i for i, _, _ in same})
        largest = extract([paths[i] for i in rows], cards, workers=workers, cache=cache, progress=progress)
        where = {i: n for n, i in enumerate(rows)}
        for i, k, digest in same:
            v = largest[k][where[i]]
            result[k][i] = v
            pending.append((k, digest, None if np.isnan(v[0]) else v, "no face" if np.isnan(v[0]) else None))
    flush()
    return result


def pipeline_vectors(card: PipelineCard, comps: dict[str, np.ndarray], weights: Sequence[float] | None = None
                     ) -> np.ndarray:
    """The embeddings `Analyzer.from_name(card.name)` gives, rebuilt from components."""
    parts = []
    for e in card.embedders:
        plain = comps[f"{card.detector}>{e}"]
        parts.append(merge_flipped(plain, comps[f"{card.detector}>{e}:mirror"]) if card.flip else plain)
    if len(parts) == 1:
        return parts[0]
    return fuse(parts, list(weights) if weights is not None else [1.0] * len(parts))
