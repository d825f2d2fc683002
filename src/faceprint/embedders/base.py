"""The one method an embedder implements, and the crop-then-embed base most embedders share."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..types import Faces


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        """(len(faces), dim) float32 rows of unit length, one per face, in the order of `faces`.

        Each embedder aligns the faces its own way (its model was trained on its own crop).
        """
        ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def merge_flipped(plain: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Average a crop's embedding with its mirror image's: cheap test-time augmentation."""
    return l2_normalise(l2_normalise(plain) + l2_normalise(mirrored))


def mirror(crops: list[np.ndarray]) -> list[np.ndarray]:
    return [np.ascontiguousarray(c[:, ::-1]) for c in crops]


class CropEmbedder:
    """Embedders that align each face to a crop, then run a network on the crops.

    Subclasses implement `crops` and `embed_crops`; `flip=True` averages each face's
    embedding with that of its mirrored crop.
    """

    name: str
    dim: int

    def __init__(self, flip: bool = False) -> None:
        self.flip = flip

    def crops(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        raise NotImplementedError

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        if not len(faces):
            return np.zeros((0, self.dim), np.float32)
        crops = self.crops(image, faces)
        plain = self.embed_crops(crops)
        return merge_flipped(plain, self.embed_crops(mirror(crops))) if self.flip else plain
