"""Quality-weighted fusion that stays ONE embedding per image (issue 21, route 3).

Each image i gets the unit vector [cos t_i * e_sface, sin t_i * e_dlib], with its angle t_i a
function of the image's own quality q_i: tan^2 t_i = exp(b0 + b * z(q_i)), z the quality
standardised on the training images and clipped to +-3. The cosine of two such vectors is
cos t_i cos t_j * s_sface + sin t_i sin t_j * s_dlib, so SFace weighs less when either face is
doubtful, and galleries, clustering and calibration keep their one comparison path. With b = 0
it is `accurate`'s z-fusion (tan^2 t = w_dlib / w_sface).

(b0, b) are fitted on training pairs only: a grid around the z-fusion angle, scored by
training accuracy at its best threshold, smoothed over neighbouring grid points so the
choice is the middle of a plateau rather than a lucky spike.
"""

from __future__ import annotations

import numpy as np

from .verification import _fit_threshold

CLIP = 3.0
OFFSETS = np.linspace(-0.6, 0.6, 25)  # b0 around the z-fusion angle (log tan^2 units)
SLOPES = np.linspace(-0.6, 0.6, 25)  # b, per standard deviation of the quality


def angles(b0: float, b: float, z: np.ndarray) -> np.ndarray:
    return np.arctan(np.exp((b0 + b * z) / 2.0))


def _z(q: np.ndarray, mu: float, sd: float) -> np.ndarray:
    return np.clip(np.nan_to_num((q - mu) / sd), -CLIP, CLIP)


def _train_accuracy(s: np.ndarray, y: np.ndarray) -> float:
    s = np.where(np.isnan(s), -np.inf, s)
    t = _fit_threshold(s, y)
    return float(np.mean((s >= t) == y))


def angle_fit(train: dict[str, np.ndarray]) -> tuple[float, float, float, float]:
    """(b0, b, mean, sd) from training pairs: columns "ss", "sd" (SFace and dlib cosines), "qa",
    "qb" (each side's quality) and "same"."""
    from scipy.ndimage import uniform_filter

    ss, sd, y = train["ss"], train["sd"], train["same"]
    q = np.r_[train["qa"], train["qb"]]
    mu, spread = float(np.nanmean(q)), float(np.nanstd(q)) or 1.0
    za, zb = _z(train["qa"], mu, spread), _z(train["qb"], mu, spread)
    base = float(np.log(np.nanstd(ss[~y]) / np.nanstd(sd[~y])))  # z-fusion: tan^2 t = sd_sface / sd_dlib
    grid = np.zeros((len(OFFSETS), len(SLOPES)))
    for i, d in enumerate(OFFSETS):
        for j, b in enumerate(SLOPES):
            ta, tb = angles(base + d, b, za), angles(base + d, b, zb)
            grid[i, j] = _train_accuracy(np.cos(ta) * np.cos(tb) * ss + np.sin(ta) * np.sin(tb) * sd, y)
    i, j = np.unravel_index(np.argmax(uniform_filter(grid, size=5, mode="nearest")), grid.shape)
    return base + float(OFFSETS[i]), float(SLOPES[j]), mu, spread


def angle_embedding(params: tuple[float, float, float, float], sface: np.ndarray, dlib: np.ndarray,
                    quality: np.ndarray) -> np.ndarray:
    """The one embedding per image: (N, 256) unit rows [cos t e_sface, sin t e_dlib]."""
    b0, b, mu, spread = params
    t = angles(b0, b, _z(quality, mu, spread))[:, None]
    return np.concatenate([np.cos(t) * sface, np.sin(t) * dlib], axis=1)


def angle_apply(params: tuple[float, float, float, float], pairs: dict[str, np.ndarray]) -> np.ndarray:
    """The cosine of two angle embeddings, from the pair's two cosines and qualities."""
    b0, b, mu, spread = params
    ta, tb = angles(b0, b, _z(pairs["qa"], mu, spread)), angles(b0, b, _z(pairs["qb"], mu, spread))
    return np.cos(ta) * np.cos(tb) * pairs["ss"] + np.sin(ta) * np.sin(tb) * pairs["sd"]
