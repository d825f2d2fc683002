"""`--keep GALLERY`: faces of people enrolled (with consent) stay uncovered; everyone else is covered.

A face is kept only when the gallery names it at its calibrated threshold for `fmr` (1e-3 by
default). Any doubt covers: a face too small or too blurred to embed well scores low and stays
covered, and so does a face the gallery calls unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..types import Faces


@dataclass(frozen=True)
class KeepAnswer:
    identity: str | None  # the enrolled person this face is, or None (covered)
    similarity: float | None


class KeepRule:
    def __init__(self, gallery: Any, fmr: float = 1e-3) -> None:
        self.gallery = gallery
        self.fmr = float(fmr)
        self.analyzer = gallery.analyzer()
        gallery.threshold(self.fmr)  # an empty gallery or an uncalibrated rate fails before any work

    def answer(self, pixels: np.ndarray, faces: Faces) -> list[KeepAnswer]:
        """One answer per face of `faces` (found in `pixels`)."""
        if not len(faces):
            return []
        emb = self.analyzer.embedder.embed(pixels, faces)
        ids = self.gallery.identify_vectors(emb, model=self.analyzer.model_id, fmr=self.fmr)
        return [KeepAnswer(a.identity, a.similarity) for a in ids]

    def close(self) -> None:
        self.gallery.close()
