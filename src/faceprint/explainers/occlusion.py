"""Occlusion saliency of a pair's similarity, for any embedder.

Why occlude in the photo and not in the embedder's crop: every embedder crops its own
way (SFace the ArcFace 112 crop, dlib a 150 px chip found by its own landmark model,
the classical ones the detector's box, fusion several of these). A patch chosen in one
shared canonical frame (the ArcFace 112 crop of each face) is warped back into the photo
and blended there, then the embedder runs unchanged on the altered photo. So the same
facial patch is hidden for every model, and the model sees exactly what it would see.

Why blur as the fill: a black or grey square adds strong edges and a colour the network
never saw on a face, so the similarity would drop because of the artefact, not because
of what was hidden. A heavy blur of the same face keeps the patch's colour and lighting
and removes the detail (texture, shape of features) that identity lives in. The mask is
feathered for the same reason.

To stay fast on big photos, the work happens on a view around the face (a margin of
0.6 face sizes, enough for every registered embedder's crop), downscaled when large.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from ..align import ARCFACE_112, similarity_transform
from ..embedders.base import Embedder
from ..types import Faces
from .regions import SIZE

MARGIN = 0.6  # of the face box's longer side, on each side of the box
MAX_SIDE = 640  # the view's longer side; larger views are downscaled (time grows with pixels)
BLUR_SIGMA = 6.0  # canonical pixels: removes detail smaller than a patch


@dataclass(frozen=True)
class FaceView:
    """One face and the pixels around it, ready to be occluded and embedded."""

    image: np.ndarray  # HxWx3 uint8, the view
    fill: np.ndarray  # the view blurred: what hidden pixels are replaced with
    face: Faces  # the one face, in view coordinates
    to_canonical: np.ndarray  # 2x3 similarity: view pixels -> canonical (ArcFace 112) pixels

    @classmethod
    def around(cls, image: np.ndarray, faces: Faces, index: int) -> "FaceView":
        box = faces.boxes[index].astype(np.float64)
        side = float(max(box[2] - box[0], box[3] - box[1], 1.0))
        h, w = image.shape[:2]
        x1, y1 = (max(0, int(np.floor(v - MARGIN * side))) for v in box[:2])
        x2, y2 = min(w, int(np.ceil(box[2] + MARGIN * side))), min(h, int(np.ceil(box[3] + MARGIN * side)))
        view = image[y1:y2, x1:x2]
        scale = min(1.0, MAX_SIDE / max(view.shape[:2]))
        if scale < 1.0:
            view = cv2.resize(view, (round(view.shape[1] * scale), round(view.shape[0] * scale)),
                              interpolation=cv2.INTER_AREA)
        view = np.ascontiguousarray(view)
        shift = np.array([x1, y1], np.float32)
        face = Faces((faces.boxes[index:index + 1] - np.tile(shift, 2)) * scale,
                     (faces.landmarks[index:index + 1] - shift) * scale, faces.scores[index:index + 1],
                     view.shape[:2], faces.detector)
        m = similarity_transform(face.landmarks[0], ARCFACE_112)
        sigma = BLUR_SIGMA / float(np.hypot(m[0, 0], m[0, 1]))  # canonical -> view pixels
        return cls(view, cv2.GaussianBlur(view, (0, 0), sigma), face, m)

    def to_view(self, masks: np.ndarray) -> np.ndarray:
        """Canonical (N, 112, 112) masks warped into view coordinates (N, H, W)."""
        h, w = self.image.shape[:2]
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        return np.stack([cv2.warpAffine(m.astype(np.float32), self.to_canonical, (w, h), flags=flags)
                         for m in masks])

    def occluded(self, masks: np.ndarray) -> list[np.ndarray]:
        """The view with each canonical mask's pixels replaced by the blurred view."""
        img, fill = self.image.astype(np.float32), self.fill.astype(np.float32)
        out = []
        for m in self.to_view(masks):
            m = m[..., None]
            out.append(np.clip(img * (1 - m) + fill * m + 0.5, 0, 255).astype(np.uint8))
        return out

    def embed(self, embedder: Embedder, masks: np.ndarray | None = None) -> np.ndarray:
        """(N, D) embeddings of the face with each mask applied; (1, D) unoccluded when masks is None."""
        images = [self.image] if masks is None else self.occluded(masks)
        return embed_many(embedder, images, self.face)


def embed_many(embedder: Embedder, images: list[np.ndarray], face: Faces) -> np.ndarray:
    """Embeddings of the same face in many versions of one view: (len(images), D).

    Same numbers as `embedder.embed(image, face)` per image, with the crops of all images
    handed to `embed_crops` together (the networks that batch run them in one call).
    """
    return embedder.embed_crops([embedder.crop(img, face)[0] for img in images])


PATCH = 32  # canonical pixels: about an eye with its lids, or the tip of the nose


def patch_masks(grid: int = 7, size: int = PATCH, feather: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Feathered square patches on a grid x grid lattice of the canonical frame.

    Returns (masks (grid*grid, 112, 112) float32 in 0..1, centres (grid*grid, 2) as x, y).
    Patches overlap (size > stride) so every pixel is covered by several of them.
    """
    step = (SIZE - size) / max(grid - 1, 1)
    centres_1d = size / 2 + step * np.arange(grid)
    axis = np.arange(SIZE) + 0.5

    def profile(c: float) -> np.ndarray:  # 1 inside, linear ramp of `feather` px at the edges
        return np.clip((size / 2 + feather / 2 - np.abs(axis - c)) / feather, 0, 1).astype(np.float32)

    masks, centres = [], []
    for cy in centres_1d:
        for cx in centres_1d:
            masks.append(np.outer(profile(cy), profile(cx)))
            centres.append((cx, cy))
    return np.stack(masks), np.array(centres)


@dataclass(frozen=True)
class OcclusionResult:
    """Per-patch numbers of one face of the pair (patches from `patch_masks`)."""

    contribution: np.ndarray  # (P,) similarity drop when the patch is hidden: > 0 alike, < 0 differ
    importance: np.ndarray  # (P,) drop of the face's similarity to its own unhidden self


STEP_CHUNK = 8  # masks embedded together between two progress reports


def occlusion(embedder: Embedder, view: FaceView, base: np.ndarray, other: np.ndarray,
              masks: np.ndarray, on_step: Callable[[int], None] | None = None) -> OcclusionResult:
    """Hide each patch of `view`'s face and measure the change of its similarity to `other`.

    `base` is the face's own unoccluded embedding. contribution = <base - hidden, other>,
    importance = <base - hidden, base>: what the patch adds to the match, and what it adds
    to the face itself. Their ratio is the patch's likeness (1 for a face against itself).
    `on_step(n)` is told after each chunk of n masks (a progress bar); without it, one batch.
    """
    if on_step is None:
        hidden = view.embed(embedder, masks)
    else:
        parts = []
        for i in range(0, len(masks), STEP_CHUNK):
            parts.append(view.embed(embedder, masks[i:i + STEP_CHUNK]))
            on_step(len(parts[-1]))
        hidden = np.concatenate(parts)
    return OcclusionResult((base - hidden) @ other, (base - hidden) @ base)


def to_pixels(values: np.ndarray, centres: np.ndarray, size: float) -> np.ndarray:
    """Per-patch values spread over the canonical frame (112x112): at each pixel, the mean of
    the patches' values weighted by a Gaussian around each patch centre (sigma = size / 4),
    which gives a smooth map instead of the patches' square edges."""
    axis = np.arange(SIZE) + 0.5
    gx = np.exp(-0.5 * ((axis[None] - centres[:, :1]) / (size / 4)) ** 2)  # (P, 112) over x
    gy = np.exp(-0.5 * ((axis[None] - centres[:, 1:]) / (size / 4)) ** 2)  # (P, 112) over y
    weights = gy[:, :, None] * gx[:, None, :]
    return np.tensordot(values, weights, axes=1) / np.maximum(weights.sum(0), 1e-12)
