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

import numpy as np

from ..types import Faces
from .base import Embedder, l2_normalise


class FusionEmbedder:
    def __init__(self, parts: list[Embedder], weights: list[float]) -> None:
        if len(parts) != len(weights) or not parts:
            raise ValueError("fusion needs one positive weight per embedder")
        if min(weights) <= 0:
            raise ValueError(f"fusion weights must be positive, got {weights}")
        self.parts = parts
        self.weights = [float(w) for w in weights]
        self.name = "+".join(p.name for p in parts)
        self.dim = sum(p.dim for p in parts)

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        return fuse([p.embed(image, faces) for p in self.parts], self.weights)


def fuse(per_part: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Fuse unit embeddings computed by each part ((N, D_i) each) into (N, sum D_i)."""
    scaled = [np.sqrt(w) * l2_normalise(e) for w, e in zip(weights, per_part)]
    return l2_normalise(np.concatenate(scaled, axis=1))
