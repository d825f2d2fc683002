"""Discrete wavelet transform features of the whole face (a classical, training-free baseline).

After "A robust, low-cost approach to Face Detection and Face Recognition": the detected
face box is cut out, turned grey, resized to 128 x 128 and decomposed by a 2-D DWT with
PyWavelets; the level-L approximation coefficients are the feature (`bands="approx"`,
the usual reading of "accuracy for various levels of DWT decomposition": each level
halves the resolution), or every subband (`bands="all"`). No alignment: the paper has
none. The default border mode is pywt's "symmetric", the same as MATLAB's `dwt2`.

The paper compares raw coefficients by Euclidean distance. faceprint compares unit
vectors by dot product, so the embedding is a stated change of the paper's matcher:
the face crop's mean grey level is subtracted before the transform and the coefficient
vector is scaled to unit length. The dot product is then the correlation of the two
low-pass faces, and ranks pairs as the Euclidean distance between the normalised vectors
does; what changes against the paper is only that global brightness and contrast no
longer count. `features(crop, centre=False)` gives the paper's raw coefficients, and the
classical benchmark reports both.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, ModelFileError
from ..models.card import ModelCard
from ..types import Faces
from .base import CropEmbedder, l2_normalise

FACE_SIZE = 128
# Filter lengths of the wavelets faceprint registers, so feature sizes (model cards) are
# known without importing PyWavelets; a test checks them against pywt.
FILTER_LENGTH = {"haar": 2, "db2": 4, "db4": 8}
LEVELS = (1, 2, 3, 4)


def pixel_box(shape: tuple[int, ...], box: np.ndarray) -> tuple[int, int, int, int]:
    """`box` rounded to whole pixels and clipped to the image, never empty."""
    h, w = shape[:2]
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    x1, y1 = min(max(x1, 0), w - 1), min(max(y1, 0), h - 1)
    return x1, y1, max(min(x2, w), x1 + 1), max(min(y2, h), y1 + 1)


def face_crop(image: np.ndarray, box: np.ndarray, size: int = FACE_SIZE) -> np.ndarray:
    """The box cut out of `image`, grey, resized to size x size, float32 in 0..255.

    Grey = ITU-R 601 luma (OpenCV's RGB2GRAY, MATLAB's rgb2gray). The box is stretched to a
    square, as the paper's resize to 128 x 128 does.
    """
    import cv2  # imported here so the model catalog can read this module's sizes cheaply

    x1, y1, x2, y2 = pixel_box(image.shape, box)
    patch = image[y1:y2, x1:x2]
    grey = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2GRAY) if patch.ndim == 3 else patch
    interp = cv2.INTER_AREA if min(grey.shape) >= size else cv2.INTER_LINEAR
    return cv2.resize(grey, (size, size), interpolation=interp).astype(np.float32)


def face_crops(image: np.ndarray, faces: Faces, size: int = FACE_SIZE) -> list[np.ndarray]:
    return [face_crop(image, b, size) for b in faces.boxes]


def dwt_length(n: int, filter_length: int, mode: str = "symmetric") -> int:
    """Coefficients per axis after one DWT level (pywt.dwt_coeff_len, without importing pywt)."""
    if mode == "periodization":
        return (n + 1) // 2
    return (n + filter_length - 1) // 2


def dwt_dim(wavelet: str, level: int, bands: str = "approx", mode: str = "symmetric", size: int = FACE_SIZE) -> int:
    """Length of the feature vector of `DWTEmbedder(wavelet, level, bands=bands)`."""
    if wavelet not in FILTER_LENGTH:
        raise InputError(f"no known filter length for wavelet {wavelet!r}; known: {', '.join(FILTER_LENGTH)}")
    n, total = size, 0
    for _ in range(level):
        n = dwt_length(n, FILTER_LENGTH[wavelet], mode)
        total += 3 * n * n  # the three detail subbands of this level
    return n * n if bands == "approx" else n * n + total


class DWTEmbedder(CropEmbedder):
    """Level-L 2-D DWT coefficients of the grey 128 x 128 face box, as a unit vector."""

    def __init__(self, wavelet: str = "haar", level: int = 3, *, bands: str = "approx", mode: str = "symmetric",
                 card: ModelCard | None = None) -> None:
        import pywt  # a core dependency; imported only when this backend is built
        if wavelet not in pywt.wavelist(kind="discrete"):
            raise InputError(f"unknown discrete wavelet {wavelet!r} (see pywt.wavelist(kind='discrete'))")
        max_level = pywt.dwt_max_level(FACE_SIZE, pywt.Wavelet(wavelet).dec_len)
        if not (isinstance(level, int) and 1 <= level <= max_level):
            raise InputError(f"DWT level must be 1..{max_level} for {wavelet!r} on {FACE_SIZE} px, got {level!r}")
        if bands not in ("approx", "all"):
            raise InputError(f"bands must be 'approx' or 'all', got {bands!r}")
        self._pywt = pywt
        self.wavelet, self.level, self.bands, self.mode = wavelet, level, bands, mode
        self.name = f"dwt-{wavelet}-{level}" + ("" if bands == "approx" else "-all")
        self.dim = int(self.features(np.zeros((FACE_SIZE, FACE_SIZE), np.float32)).size)
        if card is not None:  # built from its card by the registry: its name, and the size it declares
            if card.embedding_dim != self.dim:
                raise ModelFileError(f"card {card.name!r} declares {card.embedding_dim}-d, {wavelet} level {level} "
                                     f"gives {self.dim}")
            self.name = card.name

    def features(self, crop: np.ndarray, *, centre: bool = True) -> np.ndarray:
        """The coefficient vector of one 128 x 128 grey crop (raw, as the paper, when centre=False)."""
        x = np.asarray(crop, np.float64)
        if centre:
            x = x - x.mean()
        coeffs = self._pywt.wavedec2(x, self.wavelet, mode=self.mode, level=self.level)
        if self.bands == "approx":
            return coeffs[0].ravel().astype(np.float32)
        details = [band.ravel() for level in coeffs[1:] for band in level]
        return np.concatenate([coeffs[0].ravel(), *details]).astype(np.float32)

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return face_crops(image, faces)

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.stack([self.features(c) for c in crops]))
