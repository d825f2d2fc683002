"""The embedder contract: `crop` each face, then `embed_crops`; flip and fusion wrap it.

Every embedder, network or wrapper, has the same four methods:

- `crop(image, faces)`: one crop per face, in the order of `faces`. A crop is whatever the
  embedder's network eats (an aligned 112 px RGB crop, a dlib chip, a grey box, a tuple of
  those for a fusion); callers only hand it back to `embed_crops`.
- `embed_crops(crops)`: (len(crops), dim) float32 unit rows. The crops may come from many
  images (or many versions of one image): this is where batching across images happens.
- `embed(image, faces)`: `embed_crops(crop(image, faces))`.
- `networks()`: the plain networks inside, in order (just itself for a network), for callers
  that need one network's own crops (quality's stability, the SFace patch map).

`FlipEmbedder(network)` averages each face with its mirror image and `FusionEmbedder(parts,
weights)` fuses several (`fusion.py`); `compose(card, make)` builds a pipeline card's
embedder from them, the one place that composition is written down.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..errors import InputError
from ..types import Faces


class Embedder(Protocol):
    name: str
    dim: int

    def crop(self, image: np.ndarray, faces: Faces) -> list[Any]:
        """One crop per face. Each embedder aligns the faces its own way (its model was trained
        on its own crop)."""
        ...

    def embed_crops(self, crops: Sequence[Any]) -> np.ndarray:
        """(len(crops), dim) float32 rows of unit length; crops from any number of images."""
        ...

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        ...

    def networks(self) -> list["CropEmbedder"]:
        ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def merge_flipped(plain: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Average a crop's embedding with its mirror image's: cheap test-time augmentation."""
    return l2_normalise(l2_normalise(plain) + l2_normalise(mirrored))


def mirror(crops: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.ascontiguousarray(c[:, ::-1]) for c in crops]


class CropEmbedder:
    """A network: subclasses implement `crop` and `embed_crops` (and `mirror` when their crop
    is not an image whose columns can be reversed; `mirrorable = False` refuses flipping)."""

    name: str
    dim: int
    mirrorable = True

    def crop(self, image: np.ndarray, faces: Faces) -> list[Any]:
        raise NotImplementedError

    def embed_crops(self, crops: Sequence[Any]) -> np.ndarray:
        raise NotImplementedError

    def mirror(self, crops: Sequence[Any]) -> list[Any]:
        return mirror(crops)

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        if not len(faces):
            return np.zeros((0, self.dim), np.float32)
        return self.embed_crops(self.crop(image, faces))

    def networks(self) -> list["CropEmbedder"]:
        return [self]


class FlipEmbedder(CropEmbedder):
    """`network` with each face's embedding averaged with that of its mirrored crop; the plain
    and mirrored crops go to the network in one call."""

    def __init__(self, network: CropEmbedder) -> None:
        if not network.mirrorable:
            raise InputError(f"the {network.name} embedder does not support flip: its crop is not an image")
        self.network = network
        self.name, self.dim = network.name, network.dim

    def crop(self, image: np.ndarray, faces: Faces) -> list[Any]:
        return self.network.crop(image, faces)

    def embed_crops(self, crops: Sequence[Any]) -> np.ndarray:
        crops = list(crops)
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        both = self.network.embed_crops(crops + self.network.mirror(crops))
        return merge_flipped(both[:len(crops)], both[len(crops):])

    def networks(self) -> list[CropEmbedder]:
        return self.network.networks()


def compose(embedders: Sequence[str], flip: bool, make: Callable[[str], CropEmbedder],
            weights: Sequence[float] | None = None) -> CropEmbedder:
    """A pipeline's embedder: each named network (`make(name)`), mirrored when `flip`, fused with
    `weights` when there are several. The only place a card's composition is spelled out:
    `Analyzer.from_name` and the evaluation's cached components both build it here."""
    from .fusion import FusionEmbedder

    parts = [FlipEmbedder(make(e)) if flip else make(e) for e in embedders]
    if len(parts) == 1:
        return parts[0]
    return FusionEmbedder(parts, list(weights) if weights is not None else [1.0] * len(parts))
