"""Five-point alignment: a least-squares similarity transform onto a canonical template."""

from __future__ import annotations

import cv2
import numpy as np

from .errors import ShapeError

# The ArcFace 112x112 template (image-left eye, image-right eye, nose, mouth corners),
# the crop SFace and most ArcFace-family models were trained on.
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix of the rotation + uniform scale + shift mapping `src` onto `dst` (Umeyama 1991).

    Closed form, so the same landmarks always give the same crop (RANSAC-based
    estimators are not deterministic across OpenCV versions).
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.ndim != 2 or src.shape[1] != 2 or src.shape != dst.shape:
        raise ShapeError("landmarks", src.shape, f"{dst.shape} like the template")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    var_s = (s**2).sum() / len(src)
    scale = (sig * np.diag(sign)).sum() / var_s if var_s > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def align_face(image: np.ndarray, landmarks: np.ndarray, template: np.ndarray = ARCFACE_112,
               size: tuple[int, int] = (112, 112)) -> np.ndarray:
    """Warp one face so its five landmarks land on `template`; returns an HxWx3 crop."""
    m = similarity_transform(landmarks, template)
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
