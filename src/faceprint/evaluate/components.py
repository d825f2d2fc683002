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

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..batch import ImageJob, map_images
from ..cache import Cache, Miss
from ..embedders.base import merge_flipped, mirror
from ..embedders.fusion import fuse
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
        from ..errors import FaceprintError
        from ..image import load_image

        try:
            image = load_image(source)
        except (OSError, FaceprintError) as e:
            return dict.fromkeys(wanted, Miss(f"{type(e).__name__}: {e}"))
        out: dict[str, np.ndarray | Miss] = {}
        for d, embedders in self.need.items():
            todo = {e: flip for e, flip in embedders.items()
                    if f"{self.prefix}:{d}>{e}" in wanted or f"{self.prefix}:{d}>{e}:mirror" in wanted}
            if not todo:
                continue
            faces = self._detectors[d].detect(image)
            index = faces.pick(self.rule)
            for e, flip in todo.items():
                plain, mirrored = f"{self.prefix}:{d}>{e}", f"{self.prefix}:{d}>{e}:mirror"
                if not len(faces) or (index == 0 and self.rule == "central"):
                    out[plain] = Miss("no face" if not len(faces) else _SAME)
                    if flip:
                        out[mirrored] = out[plain]
                    continue
                emb = self._embedders[e]
                crops = emb.crops(image, faces[index])
                out[plain] = emb.embed_crops(crops)[0]
                if flip:
                    out[mirrored] = emb.embed_crops(mirror(crops))[0]
        return {k: v for k, v in out.items() if k in wanted}


def _width(key: str) -> int:
    """A component's vector length: its embedder card's embedding_dim (128 if the card has none)."""
    from ..models.catalog import MODELS

    card = MODELS.get(key.split(">", 1)[1].split(":", 1)[0])
    return (card.embedding_dim if card is not None else None) or 128


def extract(paths: Sequence[str], cards: Iterable[PipelineCard], *, workers: int | None = None,
            cache: Cache | None = None, progress: bool = True, face_rule: str = "largest"
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
                       desc="embedding", progress=progress)
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
        largest = extract([paths[i] for i in rows], cards, workers=workers, cache=cache, progress=progress)
        for k in keys:
            result[k][rows] = largest[k]
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
