"""Embeddings of an image list for several registered pipelines, from one cached pass.

Every protocol goes through `embed_images`: one `extract` call over all requested
pipelines (components shared, cached by content), then each pipeline's vectors as
`Analyzer.from_name` would make them, with the fusion weights of its calibration.
An image without a face is a row of NaN, never dropped: protocols count it as an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..models.card import PipelineCard


@dataclass(frozen=True)
class ModelVectors:
    card: PipelineCard
    vectors: np.ndarray  # (N, D) float32, NaN rows where no face was found
    weights: list[float] | None  # fusion weights used (fused pipelines only)

    @property
    def missed(self) -> np.ndarray:
        return np.isnan(self.vectors[:, 0])


def resolve_models(names: Sequence[str] | None) -> list[PipelineCard]:
    """Pipeline cards for `names` (the default pipeline when None), in the order given.

    Not every registered pipeline: that would run the classical baselines too, which take
    most of the time and answer a question few users ask.
    """
    from ..models.catalog import DEFAULT_PIPELINE
    from ..models.registry import pipeline_card

    names = list(dict.fromkeys(names)) if names else [DEFAULT_PIPELINE]
    return [pipeline_card(n) for n in names]


def model_info(card: PipelineCard, weights: list[float] | None = None) -> dict[str, Any]:
    """What a report says about a pipeline: id, version, parts with their file hashes, calibration."""
    from ..thresholds import calibration_for, calibration_source
    from ..models.catalog import MODELS

    calib = calibration_for(card.name)
    parts = []
    for name in (card.detector, *card.embedders):
        m = MODELS[name]
        parts.append({"name": name, "task": m.task, "summary": m.summary, "licence": m.licence, "origin": m.origin,
                      "files": [{"path": f.path, "distribution": f.distribution, "sha256": f.sha256} for f in m.files]})
    return {
        "name": card.name, "id": card.id, "version": card.version, "summary": card.summary,
        "detector": card.detector, "embedders": list(card.embedders), "flip": card.flip, "parts": parts,
        "fusion_weights": dict(zip(card.embedders, weights)) if weights else None,
        "calibration": None if calib is None else {
            "thresholds": calib.get("thresholds", {}), "created": calibration_source().get("created"),
            "data": calibration_source().get("data")},
    }


def embed_images(paths: Sequence[str], root: Path, cards: Sequence[PipelineCard], *, workers: int | None = None,
                 progress: bool = True, face_rule: str = "largest") -> dict[str, ModelVectors]:
    """pipeline name -> its vectors for `paths` (relative to `root`), in that order."""
    from ..cache import Cache
    from ..thresholds import fusion_weights
    from .components import extract, pipeline_vectors

    cache = Cache()
    try:
        comps = extract([str(root / p) for p in paths], cards, workers=workers or os.cpu_count() or 1,
                        cache=cache, progress=progress, face_rule=face_rule)
    finally:
        cache.close()
    out = {}
    for card in cards:
        weights = fusion_weights(card.name, card.embedders) if len(card.embedders) > 1 else None
        out[card.name] = ModelVectors(card, pipeline_vectors(card, comps, weights), weights)
    return out


def pair_scores(v: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Cosine similarity per pair; -inf where either image had no face (always 'different')."""
    s = np.einsum("ij,ij->i", v[ia].astype(np.float64), v[ib].astype(np.float64))
    return np.where(np.isnan(s), -np.inf, s)
