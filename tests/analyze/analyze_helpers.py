"""Degraded copies of real photos, each made to have one defect, and helpers for the extras."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

# Regions of skimage's astronaut (512x512): her eyes and her mouth.
EYES = (slice(88, 116), slice(185, 265))
MOUTH = (slice(132, 160), slice(190, 252))


def degrade(image: np.ndarray, kind: str) -> np.ndarray:
    img = image.astype(np.float32)
    if kind == "blurred":
        return cv2.GaussianBlur(image, (0, 0), 4)
    if kind == "underexposed":
        return (img * 0.12).astype(np.uint8)
    if kind == "overexposed":
        return np.clip(img * 1.8 + 60, 0, 255).astype(np.uint8)
    if kind == "low_contrast":
        return (128 + (img - 128) * 0.12).astype(np.uint8)
    if kind == "too_small":
        return cv2.resize(image, None, fx=0.22, fy=0.22, interpolation=cv2.INTER_AREA)
    if kind == "eyes_not_visible":
        out = image.copy()
        out[EYES] = 20  # a flat bar, as a strip of tape or a censor bar
        return out
    if kind == "mouth_not_visible":
        out = image.copy()
        out[MOUTH] = 20
        return out
    raise ValueError(kind)


def rotate(image: np.ndarray, degrees: float, centre: tuple[float, float] = (223, 120)) -> np.ndarray:
    """In-plane rotation about the astronaut's face, counter-clockwise in the image for degrees > 0."""
    m = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return cv2.warpAffine(image, m, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)


def mirrored(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def rgb(grey: np.ndarray) -> np.ndarray:
    return np.stack([grey] * 3, -1)


def needs_extra(name: str):
    """Skip (with the install command as the reason) when an optional analysis is not installed."""
    from faceprint.assessors.base import install_hint, is_installed

    if not is_installed(name):
        pytest.skip(f"optional extra {name!r} not installed: {install_hint(name)}")
