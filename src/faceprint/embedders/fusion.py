"""Score-level fusion of several embedders, expressed as one embedding.

With unit vectors a_i, b_i from embedder i and weights w_i, the fused score
sum_i w_i * cos(a_i, b_i) equals the dot product of the concatenations
[sqrt(w_i) a_i] and [sqrt(w_i) b_i]. Normalising the concatenation (its norm is the
constant sqrt(sum w_i)) keeps the result a cosine, so the fused pipeline's output
is an ordinary unit embedding that galleries, clustering and thresholds handle
like any other. Weights 1/sd_i (sd_i the spread of embedder i's impostor scores on
calibration data) are z-normalisation of the scores, up to a constant shift.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .base import CropEmbedder, l2_normalise


class FusionEmbedder(CropEmbedder):
    """A face's crop is the tuple of each part's crop; each part embeds its own crops in one call."""

    mirrorable = False  # flip the parts instead (compose does)

    def __init__(self, parts: Sequence[CropEmbedder], weights: Sequence[float]) -> None:
        if len(parts) != len(weights) or not parts:
            raise ValueError("fusion needs one positive weight per embedder")
        if min(weights) <= 0:
            raise ValueError(f"fusion weights must be positive, got {weights}")
        self.parts = list(parts)
        self.weights = [float(w) for w in weights]
        self.name = "+".join(p.name for p in parts)
        self.dim = sum(p.dim for p in parts)

    def crop(self, image: np.ndarray, faces: Any) -> list[tuple]:
        return list(zip(*[p.crop(image, faces) for p in self.parts]))

    def embed_crops(self, crops: Sequence[tuple]) -> np.ndarray:
        return fuse([p.embed_crops([c[i] for c in crops]) for i, p in enumerate(self.parts)], self.weights)

    def networks(self) -> list[CropEmbedder]:
        return [n for p in self.parts for n in p.networks()]


def fuse(per_part: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Fuse unit embeddings computed by each part ((N, D_i) each) into (N, sum D_i)."""
    scaled = [np.sqrt(w) * l2_normalise(e) for w, e in zip(weights, per_part)]
    return l2_normalise(np.concatenate(scaled, axis=1))
