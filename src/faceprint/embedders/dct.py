"""Discrete cosine transform features, global (whole face) and local (eyes, nose, mouth).

After Chadha, Vaidya and Roja, "Face Recognition Using Discrete Cosine Transform for Global
and Local Features" (2011): the face is grey and 128 x 128; the 2-D DCT of the whole face
gives the global features; the DCT of the left eye (16 x 16), right eye (16 x 16), nose
(40 high x 25 wide) and mouth (30 high x 50 wide) regions gives the local ones; each
coefficient matrix is read in zig-zag order (low frequencies first) and its first
coefficients are kept; each feature is weighted by its own recognition rate and the
features are combined.

Where this differs from, or fills gaps in, the paper:
* the paper cuts the regions by hand; here they are centred on the landmarks of whichever
  detector ran (for `lab-skin`, landmarks placed at fixed face proportions, so the regions
  are only as good as that guess). The nose region spans from 32 px above the nose tip to
  8 px below it; the mouth region is centred between the mouth corners;
* the numbers of coefficients kept (64 global, 16 per region) are this module's choice: the
  paper's counts were not available to us;
* matching: as for the DWT features, each region (and the whole face) has its mean grey
  level removed before the transform and each part's coefficient vector is scaled to unit
  length; the parts are combined as sum_i w_i cos_i / sum_i w_i (one unit embedding, as in
  `embedders.fusion`) with w_i the part's rank-1 recognition rate (`PART_WEIGHTS`);
* the crop this embedder hands from `crop` to `embed_crops` is the vector of the regions'
  pixels (whole face, then each region), cut where the landmarks are known. Mirroring such
  a vector means nothing, so flipping is refused (`mirrorable = False`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import InputError, ShapeError
from ..models.card import ModelCard
from ..types import Faces
from .base import CropEmbedder, l2_normalise
from .dwt import FACE_SIZE, face_crop, pixel_box
from .fusion import fuse

# (height, width) of each local region in the 128 x 128 face, from the paper.
REGIONS: dict[str, tuple[int, int]] = {"eye_left": (16, 16), "eye_right": (16, 16), "nose": (40, 25), "mouth": (30, 50)}
PARTS = ("global", *REGIONS)
LOCAL_PARTS = tuple(REGIONS)
N_GLOBAL, N_LOCAL = 64, 16
NOSE_ABOVE_TIP = 32  # px of the 40-px nose region above the nose tip (the ridge); 8 px below

# Rank-1 identification rate of each part alone, the paper's weighting: measured with the
# lab-skin detector on LFW ident_min20.csv (62 people, _0001 as gallery, 2,961 probes) by
# `python -m faceprint.bench classical --part-rates`. Chance is 1/62 = 0.016.
# Measured 2025-11-26; near chance, as a classical matcher on LFW is.
PART_WEIGHTS: dict[str, float] = {"global": 0.0517, "eye_left": 0.0243, "eye_right": 0.0270, "nose": 0.0233,
                                  "mouth": 0.0230}

VARIANTS: dict[str, tuple[str, ...]] = {"dct-global": ("global",), "dct-local": LOCAL_PARTS, "dct": PARTS}


@lru_cache(maxsize=None)
def zigzag(height: int, width: int) -> np.ndarray:
    """Flat indices of a height x width matrix in JPEG zig-zag order (DC first)."""
    cells = [(r, c) for r in range(height) for c in range(width)]
    # Anti-diagonals in turn; odd diagonals run top-right to bottom-left, even ones back up.
    cells.sort(key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else -rc[0]))
    return np.array([r * width + c for r, c in cells], np.int64)


def dct2(x: np.ndarray) -> np.ndarray:
    """Orthonormal 2-D DCT-II (MATLAB's dct2)."""
    from scipy.fft import dctn

    return dctn(np.asarray(x, np.float64), type=2, norm="ortho")


def region_centres(landmarks: np.ndarray) -> dict[str, tuple[float, float]]:
    """(x, y) centre of each local region from five landmarks in face-crop pixels."""
    lm = np.asarray(landmarks, np.float64).reshape(5, 2)
    nose_h = REGIONS["nose"][0]
    mouth = lm[3:5].mean(axis=0)
    return {
        "eye_left": (lm[0, 0], lm[0, 1]),
        "eye_right": (lm[1, 0], lm[1, 1]),
        "nose": (lm[2, 0], lm[2, 1] - NOSE_ABOVE_TIP + nose_h / 2),
        "mouth": (mouth[0], mouth[1]),
    }


def crop_landmarks(shape: tuple[int, ...], box: np.ndarray, landmarks: np.ndarray, size: int = FACE_SIZE
                   ) -> np.ndarray:
    """Landmarks in the pixels of the size x size crop that `face_crop` cuts from `box`."""
    x1, y1, x2, y2 = pixel_box(shape, box)
    return (np.asarray(landmarks, np.float64) - [x1, y1]) * [size / (x2 - x1), size / (y2 - y1)]


def cut_regions(face: np.ndarray, landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """The whole face and each local region (edge pixels repeated where a region leaves the face)."""
    import cv2  # imported here so the model catalog can read this module's sizes cheaply

    face = np.asarray(face, np.float32)
    out = {"global": face}
    for part, (cx, cy) in region_centres(landmarks).items():
        h, w = REGIONS[part]
        out[part] = cv2.getRectSubPix(face, (w, h), (float(cx), float(cy)))
    return out


_SIZES = {"global": (FACE_SIZE, FACE_SIZE), **REGIONS}
_OFFSETS = np.cumsum([0] + [h * w for h, w in (_SIZES[p] for p in PARTS)])


def pack(regions: dict[str, np.ndarray]) -> np.ndarray:
    """Regions -> one float32 vector (the embedder's 'crop')."""
    return np.concatenate([np.asarray(regions[p], np.float32).ravel() for p in PARTS])


def unpack(crop: np.ndarray) -> dict[str, np.ndarray]:
    crop = np.asarray(crop, np.float32)
    if crop.shape != (_OFFSETS[-1],):
        raise ShapeError("DCT crop", crop.shape, f"({_OFFSETS[-1]},) packed regions from DCTEmbedder.crop")
    return {p: crop[_OFFSETS[i]:_OFFSETS[i + 1]].reshape(_SIZES[p]) for i, p in enumerate(PARTS)}


def part_features(region: np.ndarray, n: int, *, centre: bool = True) -> np.ndarray:
    """First n zig-zag DCT coefficients of one region (raw, as the paper, when centre=False)."""
    x = np.asarray(region, np.float64)
    if centre:
        x = x - x.mean()
    return dct2(x).ravel()[zigzag(*x.shape)[:n]].astype(np.float32)


class DCTEmbedder(CropEmbedder):
    """Global and/or local DCT features, weighted by each part's recognition rate."""

    mirrorable = False  # the crop is a vector of region pixels

    def __init__(self, parts: tuple[str, ...] = PARTS, *, weights: dict[str, float] | None = None,
                 n_global: int = N_GLOBAL, n_local: int = N_LOCAL, name: str | None = None,
                 variant: str | None = None, card: ModelCard | None = None) -> None:
        """`variant` names one of `VARIANTS` (its parts); `card` is the registry's (its name)."""
        if variant is not None:
            if variant not in VARIANTS:
                raise InputError(f"unknown DCT variant {variant!r}; known: {', '.join(VARIANTS)}")
            parts = VARIANTS[variant]
        name = card.name if card is not None else name
        unknown = [p for p in parts if p not in PARTS]
        if not parts or unknown:
            raise InputError(f"DCT parts must be among {', '.join(PARTS)}, got {parts!r}")
        weights = PART_WEIGHTS if weights is None else weights
        if any(weights.get(p, 0) <= 0 for p in parts):
            raise InputError(f"every DCT part needs a positive weight, got {weights!r}")
        self.parts = tuple(parts)
        self.weights = [float(weights[p]) for p in self.parts]
        self.n = {p: (n_global if p == "global" else n_local) for p in self.parts}
        self.name = name or next((k for k, v in VARIANTS.items() if v == self.parts), "dct-" + "+".join(parts))
        self.dim = sum(self.n.values())

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        out = []
        for box, lm in zip(faces.boxes, faces.landmarks):
            face = face_crop(image, box)
            out.append(pack(cut_regions(face, crop_landmarks(image.shape, box, lm))))
        return out

    def part_vectors(self, crop: np.ndarray, *, centre: bool = True) -> dict[str, np.ndarray]:
        regions = unpack(crop)
        return {p: part_features(regions[p], self.n[p], centre=centre) for p in self.parts}

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        per = [self.part_vectors(c) for c in crops]
        parts = [l2_normalise(np.stack([v[p] for v in per])) for p in self.parts]
        return fuse(parts, self.weights)
