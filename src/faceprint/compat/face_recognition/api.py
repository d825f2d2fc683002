"""face_recognition's API (1.3.0) on faceprint's model files: same names, same results.

Every function calls the same dlib models the same way face_recognition does, so boxes,
landmarks and encodings are identical for the same pixels (tests/compat checks this against
the original library when it is installed). What differs is said in
docs/migration-face_recognition.md: models load on first use instead of at import, files
are located and SHA-256-checked without `pkg_resources`, images go through faceprint's one
decoder (EXIF orientation applied), bad input raises a typed error naming it, and
model="yunet" is a faster detector.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

import numpy as np

from ...errors import ImageError, InputError, ShapeError
from . import _dlib_models as models

DETECTORS = ("hog", "cnn", "yunet")
LANDMARK_MODELS = ("large", "small")
DEFAULT_TOLERANCE = 0.6

Css = tuple[int, int, int, int]  # (top, right, bottom, left), right/bottom inclusive as in dlib


class ImageFileError(ImageError, OSError):
    """An image file could not be read. Also an OSError, as Pillow's errors were for face_recognition."""


# -- boxes -----------------------------------------------------------------------------
def _rect_to_css(rect: Any) -> Css:
    return rect.top(), rect.right(), rect.bottom(), rect.left()


def _css_to_rect(css: Sequence[int]) -> Any:
    import dlib

    top, right, bottom, left = (int(v) for v in css)
    return dlib.rectangle(left, top, right, bottom)


def _trim_css_to_bounds(css: Sequence[int], image_shape: Sequence[int]) -> Css:
    return max(css[0], 0), min(css[1], image_shape[1]), min(css[2], image_shape[0]), max(css[3], 0)


# -- images ----------------------------------------------------------------------------
def load_image_file(file: Any, mode: str | None = "RGB") -> np.ndarray:
    """Read an image file (path or binary file object) into a numpy array, RGB by default.

    `mode` is a Pillow mode: "RGB" (HxWx3) or "L" (grey, HxW); others are converted from RGB.
    """
    from PIL import Image

    from ...image import ENV_MAX_PIXELS, load_image

    source = file if isinstance(file, (str, os.PathLike, bytes, bytearray)) else None
    if source is None:
        if not hasattr(file, "read"):
            raise InputError(f"load_image_file needs a path or a binary file object, got {type(file).__name__}")
        source = file.read()
        if not isinstance(source, (bytes, bytearray)):
            raise InputError("load_image_file needs a file opened in binary mode ('rb')")
    # face_recognition had only Pillow's decompression-bomb cap; keep it unless the user set ours.
    limit = None if os.environ.get(ENV_MAX_PIXELS, "").strip() else 2 * (Image.MAX_IMAGE_PIXELS or 1 << 62)
    try:
        rgb = load_image(source, max_pixels=limit)
    except ImageError as e:
        if isinstance(e, OSError):  # ImageNotFoundError is already a FileNotFoundError
            raise
        raise ImageFileError(str(e)) from e
    if not mode or mode == "RGB":
        return rgb
    return np.array(Image.fromarray(rgb).convert(mode))


def _pixels(img: Any, *, rgb: bool = False) -> np.ndarray:
    """An HxW or HxWx3 uint8 array dlib accepts (C-contiguous: slices like frame[:, :, ::-1] are fine)."""
    if not isinstance(img, np.ndarray):
        raise ShapeError("image", type(img).__name__, "a numpy array (use load_image_file)")
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise ShapeError("image array", f"shape {img.shape}, dtype {img.dtype}", "HxWx3 RGB or HxW grey, uint8")
    if rgb and img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img)


def _check_choice(kind: str, value: object, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise InputError(f"unknown {kind} {value!r}; valid: {', '.join(valid)}")
    return value  # type: ignore[return-value]


def _upsample(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"number_of_times_to_upsample must be a whole number >= 0, got {n!r}")
    return int(n)


# -- detection -------------------------------------------------------------------------
# YuNet's boxes are taller than dlib HOG's squares, and dlib's shape predictors were trained
# on dlib's boxes: a YuNet face is given the square HOG would draw, predicted from its five
# landmarks (centre = their mean + offset, side = scale x eye-to-mouth distance). Fitted on
# LFW faces both detectors find, none of a View 1 test identity: the medians printed by
# `python -m faceprint.bench compat --fit-box` (median side error 3.4 % of the box).
YUNET_TO_HOG_OFFSET = (-0.107, -0.031)  # (dx, dy) in eye-to-mouth distances
YUNET_TO_HOG_SIDE = 2.44  # side of the square in eye-to-mouth distances


def hog_like_boxes(landmarks: np.ndarray) -> np.ndarray:
    """(N, 4) x1, y1, x2, y2 squares in dlib HOG's convention from (N, 5, 2) YuNet landmarks."""
    landmarks = np.asarray(landmarks, np.float64).reshape(-1, 5, 2)
    eyes, mouth = landmarks[:, :2].mean(1), landmarks[:, 3:].mean(1)
    scale = np.linalg.norm(mouth - eyes, axis=1)
    centre = landmarks.mean(1) + np.outer(scale, YUNET_TO_HOG_OFFSET)
    half = (YUNET_TO_HOG_SIDE * scale / 2)[:, None]
    return np.c_[centre - half, centre + half]


def _yunet_rects(img: np.ndarray) -> Any:
    import dlib

    faces = models.yunet().detect(_pixels(img, rgb=True))
    rects = dlib.rectangles()
    for x1, y1, x2, y2 in np.rint(hog_like_boxes(faces.landmarks)).astype(int):
        rects.append(dlib.rectangle(int(x1), int(y1), int(x2) - 1, int(y2) - 1))
    return rects


def _raw_face_locations(img: np.ndarray, number_of_times_to_upsample: int = 1, model: str = "hog") -> Any:
    """dlib rectangles ("hog", "yunet") or mmod_rectangles ("cnn", each with .rect and .confidence).

    "yunet" finds faces down to about 10 pixels at the image's own size, so it does not
    upsample (`number_of_times_to_upsample` is accepted and not used).
    """
    _check_choice("face detection model", model, DETECTORS)
    n = _upsample(number_of_times_to_upsample)
    if model == "yunet":
        return _yunet_rects(img)
    detector = models.cnn_detector() if model == "cnn" else models.hog_detector()
    return detector(_pixels(img), n)


def face_locations(img: np.ndarray, number_of_times_to_upsample: int = 1, model: str = "hog") -> list[Css]:
    """Face boxes as (top, right, bottom, left) tuples, trimmed to the image."""
    raw = _raw_face_locations(img, number_of_times_to_upsample, model)
    rects = [face.rect for face in raw] if model == "cnn" else list(raw)
    return [_trim_css_to_bounds(_rect_to_css(r), img.shape) for r in rects]


def _raw_face_locations_batched(images: Sequence[np.ndarray], number_of_times_to_upsample: int = 1,
                                batch_size: int = 128) -> Any:
    """The CNN detector on a list of same-sized images in batches (one mmod_rectangles per image)."""
    n = _upsample(number_of_times_to_upsample)
    pixels = [_pixels(img) for img in images]
    if len({p.shape for p in pixels}) > 1:
        raise ShapeError("batch of images", sorted({p.shape for p in pixels}), "images all of one size")
    return models.cnn_detector()(pixels, n, batch_size=batch_size)


def batch_face_locations(images: Sequence[np.ndarray], number_of_times_to_upsample: int = 1,
                         batch_size: int = 128, model: str = "cnn") -> list[list[Css]]:
    """face_locations of many images. "cnn" (the default, as in face_recognition) runs dlib's
    batched CNN on same-sized images; faceprint adds model="hog" and "yunet", one image at a
    time and of any size."""
    _check_choice("face detection model", model, DETECTORS)
    images = list(images)
    if not images:
        return []
    if model != "cnn":
        return [face_locations(img, number_of_times_to_upsample, model) for img in images]
    raw = _raw_face_locations_batched(images, number_of_times_to_upsample, batch_size)
    return [[_trim_css_to_bounds(_rect_to_css(face.rect), img.shape) for face in found]
            for img, found in zip(images, raw)]


# -- landmarks -------------------------------------------------------------------------
def _raw_face_landmarks(face_image: np.ndarray, face_locations: Iterable[Sequence[int]] | None = None,
                        model: str = "large") -> list[Any]:
    """dlib full_object_detections: 68 points ("large") or 5 ("small") per face."""
    _check_choice("landmarks model", model, LANDMARK_MODELS)
    pixels = _pixels(face_image)
    if face_locations is None:
        rects = list(_raw_face_locations(pixels))
    else:
        rects = [_css_to_rect(css) for css in face_locations]
    predictor = models.predictor(68 if model == "large" else 5)
    return [predictor(pixels, rect) for rect in rects]


def _named_points(points: list[tuple[int, int]], model: str) -> dict[str, list[tuple[int, int]]]:
    if model == "small":  # dlib's 5 points: right eye corners, left eye corners, nose base
        return {"nose_tip": [points[4]], "left_eye": points[2:4], "right_eye": points[0:2]}
    return {
        "chin": points[0:17],
        "left_eyebrow": points[17:22],
        "right_eyebrow": points[22:27],
        "nose_bridge": points[27:31],
        "nose_tip": points[31:36],
        "left_eye": points[36:42],
        "right_eye": points[42:48],
        # each lip as one closed outline: outer edge, then the inner edge back
        "top_lip": points[48:55] + [points[i] for i in (64, 63, 62, 61, 60)],
        "bottom_lip": points[54:60] + [points[i] for i in (48, 60, 67, 66, 65, 64)],
    }


def face_landmarks(face_image: np.ndarray, face_locations: Iterable[Sequence[int]] | None = None,
                   model: str = "large") -> list[dict[str, list[tuple[int, int]]]]:
    """Per face, a dict of feature name -> list of (x, y) points."""
    raw = _raw_face_landmarks(face_image, face_locations, model)
    return [_named_points([(p.x, p.y) for p in shape.parts()], model) for shape in raw]


# -- encodings -------------------------------------------------------------------------
def face_encodings(face_image: np.ndarray, known_face_locations: Iterable[Sequence[int]] | None = None,
                   num_jitters: int = 1, model: str = "small") -> list[np.ndarray]:
    """A 128-d float64 encoding per face: dlib's ResNet on the chip its 5-point ("small") or
    68-point ("large") landmarks align; `num_jitters` > 1 averages randomly jittered chips."""
    if isinstance(num_jitters, bool) or not isinstance(num_jitters, (int, np.integer)) or num_jitters < 0:
        raise InputError(f"num_jitters must be a whole number >= 0, got {num_jitters!r}")
    pixels = _pixels(face_image, rgb=True)
    return _encode(pixels, _raw_face_landmarks(pixels, known_face_locations, model), num_jitters)


def _encode(pixels: np.ndarray, shapes: list[Any], num_jitters: int = 1) -> list[np.ndarray]:
    encoder = models.encoder()
    return [np.array(encoder.call("compute_face_descriptor", pixels, shape, int(num_jitters))) for shape in shapes]


def _encodings_of_detected(face_image: np.ndarray, model: str = "hog") -> list[np.ndarray]:
    """face_encodings(face_image) with another detector: the detector's own boxes, untrimmed
    (with "hog" exactly face_encodings(face_image); the CLI uses this for --model)."""
    pixels = _pixels(face_image, rgb=True)
    raw = _raw_face_locations(pixels, 1, model)
    predictor = models.predictor(5)
    return _encode(pixels, [predictor(pixels, face.rect if model == "cnn" else face) for face in raw])


# -- comparison ------------------------------------------------------------------------
def face_distance(face_encodings: Any, face_to_compare: Any) -> np.ndarray:
    """Euclidean distance of each encoding to `face_to_compare` (0.6 is the usual tolerance)."""
    if len(face_encodings) == 0:
        return np.empty((0))
    return np.linalg.norm(np.asarray(face_encodings) - np.asarray(face_to_compare), axis=1)


def compare_faces(known_face_encodings: Any, face_encoding_to_check: Any, tolerance: float = DEFAULT_TOLERANCE) -> list:
    """For each known encoding: is it within `tolerance` of the one to check?
    (`compare_faces_at_fmr` decides at a calibrated false-match rate instead.)"""
    return list(face_distance(known_face_encodings, face_encoding_to_check) <= tolerance)
