"""Per-image embedding components, computed once and shared by every pipeline built from them.

A component is what one embedder gives for one face that a detector finds (the largest, or
with `face_rule="central"` the one nearest the image centre: the labelled face of
LFW-style crops), on the plain crop or on its mirror image (`yunet>sface`, `yunet>sface:mirror`, ...). Every
registered pipeline is a fixed function of its components (`pipeline_vectors`: the
card's embedder built by `embedders.base.compose`, as `Analyzer` builds it, over networks
that look their embeddings up), so calibration and benchmarks can evaluate all pipelines,
and refit fusion weights per fold, from one pass over the images. A golden test checks
that this gives the same vectors as `Analyzer`.

The job embeds the crops of all images of a chunk (`map_images(batch=...)`) in one call
per network: the embedder contract's `embed_crops` takes crops from several images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..batch import ImageJob, map_images
from ..cache import Cache, Miss
from ..embedders.base import CropEmbedder, compose
from ..models.card import PipelineCard
from ..types import FACE_RULES

CACHE_VERSION = "components-v1"
_SAME = "same face as the largest"  # the answer when the central face is the largest one (cached as such)


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


@dataclass
class ComponentJob(ImageJob):
    """The components `need` asks for, of one image's face picked by `rule`."""

    need: dict[str, dict[str, bool]]
    rule: str
    prefix: str

    def __post_init__(self) -> None:
        self.fields = tuple(f"{self.prefix}:{k}" for k in component_keys(self.need))

    def setup(self) -> None:
        from ..models.registry import make_detector, make_embedder

        self._detectors = {d: make_detector(d) for d in self.need}
        self._embedders = {e: make_embedder(e) for es in self.need.values() for e in es}

    def run(self, source: str, wanted: frozenset[str]) -> dict[str, np.ndarray | Miss]:
        return self.run_many([(source, wanted)])[0]

    def run_many(self, tasks: Sequence[tuple[str, frozenset[str]]]) -> list[dict[str, np.ndarray | Miss]]:
        from ..errors import FaceprintError
        from ..image import load_image

        outs: list[dict[str, np.ndarray | Miss]] = [{} for _ in tasks]
        images: list[np.ndarray | None] = []
        for out, (source, wanted) in zip(outs, tasks):
            try:
                images.append(load_image(source))
            except (OSError, FaceprintError) as e:
                images.append(None)
                out.update(dict.fromkeys(wanted, Miss(f"{type(e).__name__}: {e}")))
        for d, embedders in self.need.items():
            crops: dict[str, list[tuple[int, object, bool]]] = {e: [] for e in embedders}  # (task, crop, flip)
            for k, (image, (_, wanted)) in enumerate(zip(images, tasks)):
                todo = {e: flip for e, flip in embedders.items()
                        if f"{self.prefix}:{d}>{e}" in wanted or f"{self.prefix}:{d}>{e}:mirror" in wanted}
                if image is None or not todo:
                    continue
                faces = self._detectors[d].detect(image)
                index = faces.pick(self.rule)
                for e, flip in todo.items():
                    if not len(faces) or (index == 0 and self.rule == "central"):
                        miss = Miss("no face" if not len(faces) else _SAME)
                        outs[k][f"{self.prefix}:{d}>{e}"] = miss
                        if flip:
                            outs[k][f"{self.prefix}:{d}>{e}:mirror"] = miss
                        continue
                    crops[e].append((k, self._embedders[e].crop(image, faces[index])[0], flip))
            for e, items in crops.items():
                if not items:
                    continue
                net = self._embedders[e]
                flipped = [(k, c) for k, c, flip in items if flip]
                # One call per network for the chunk: plain crops of every image, then the mirrored ones.
                rows = net.embed_crops([c for _, c, _ in items] + net.mirror([c for _, c in flipped]))
                for j, (k, _, _) in enumerate(items):
                    outs[k][f"{self.prefix}:{d}>{e}"] = rows[j]
                for j, (k, _) in enumerate(flipped):
                    outs[k][f"{self.prefix}:{d}>{e}:mirror"] = rows[len(items) + j]
        return [{f: v for f, v in out.items() if f in wanted} for out, (_, wanted) in zip(outs, tasks)]


def _width(key: str) -> int:
    """A component's vector length: its embedder card's embedding_dim."""
    from ..models.registry import EMBEDDERS

    return int(EMBEDDERS[key.split(">", 1)[1].split(":", 1)[0]].embedding_dim)


def extract(paths: Sequence[str], cards: Iterable[PipelineCard], *, workers: int | None = None,
            cache: Cache | None = None, progress: bool = True, face_rule: str = "largest", batch: int = 1
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
    result = {k: np.full((len(paths), _width(k)), np.nan, np.float32) for k in keys}
    items = map_images(ComponentJob(need, face_rule, prefix), paths, workers=workers, cache=cache,
                       desc="embedding", progress=progress, batch=batch)
    same: set[int] = set()  # rows whose central face is the largest one
    for i, item in enumerate(items):
        for k in keys:
            v = item.values[f"{prefix}:{k}"]
            if isinstance(v, np.ndarray):
                result[k][i] = v
            elif v.note == _SAME:
                same.add(i)
    if same:
        rows = sorted(same)
        largest = extract([paths[i] for i in rows], cards, workers=workers, cache=cache, progress=progress,
                          batch=batch)
        for k in keys:
            result[k][rows] = largest[k]
    return result


class _Stored(CropEmbedder):
    """A network whose embeddings are computed already: a crop is a row of the components,
    and the mirror of row i is -1 - i (its `:mirror` component)."""

    def __init__(self, name: str, plain: np.ndarray, mirrored: np.ndarray | None) -> None:
        self.name, self.dim, self.plain, self.mirrored = name, plain.shape[1], plain, mirrored

    def crop(self, image: object, faces: Sequence[int]) -> list[int]:  # type: ignore[override]
        return [int(i) for i in faces]  # "faces" are the component rows

    def mirror(self, crops: Sequence[int]) -> list[int]:
        return [-1 - int(i) for i in crops]

    def embed_crops(self, crops: Sequence[int]) -> np.ndarray:
        idx = np.asarray(crops, np.int64).reshape(-1)
        out = np.empty((len(idx), self.dim), np.float32)
        plain = idx >= 0
        out[plain] = self.plain[idx[plain]]
        if not plain.all():
            assert self.mirrored is not None, f"no mirrored component for {self.name}"
            out[~plain] = self.mirrored[-1 - idx[~plain]]
        return out


def pipeline_vectors(card: PipelineCard, comps: dict[str, np.ndarray], weights: Sequence[float] | None = None
                     ) -> np.ndarray:
    """The embeddings `Analyzer.from_name(card.name)` gives, rebuilt from components."""
    d = card.detector
    embedder = compose(card.embedders, card.flip,
                       lambda e: _Stored(e, comps[f"{d}>{e}"], comps.get(f"{d}>{e}:mirror")), weights)
    rows = range(len(comps[f"{d}>{card.embedders[0]}"]))
    return embedder.embed_crops(embedder.crop(None, rows))
