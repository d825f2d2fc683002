"""468 dense landmarks per face: MediaPipe FaceMesh (`.tflite`) run with LiteRT (optional extra).

Each face is cut out as MediaPipe does: a square 1.5x the box's longer side, centred on
the box and rotated so the eyes are level, resized to 192x192 RGB in [0, 1]. The
network's (x, y, z) are mapped back to image pixels; z is relative depth in the same
pixel scale as x (smaller = nearer the camera), centred near the face's middle.
"""

from __future__ import annotations

import math
import threading

import cv2
import numpy as np

from ..types import Faces
from .base import litert_model

INPUT = 192
ROI_SCALE = 1.5


def roi_transform(box: np.ndarray, landmarks: np.ndarray, size: int = INPUT, scale: float = ROI_SCALE
                  ) -> np.ndarray:
    """2x3 affine map from image pixels to the (size x size) crop, eyes level."""
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max(x2 - x1, y2 - y1) * scale
    (lx, ly), (rx, ry) = landmarks[0], landmarks[1]
    angle = math.atan2(ry - ly, rx - lx)  # the eyes' tilt in the image
    c, s = math.cos(-angle), math.sin(-angle)
    k = size / side
    # rotate by -angle about the box centre, scale to the crop, centre in the crop
    m = np.array([[k * c, -k * s, 0.0], [k * s, k * c, 0.0]])
    m[:, 2] = np.array([size / 2, size / 2]) - m[:, :2] @ np.array([cx, cy])
    return m


class FaceMeshAssessor:
    """Adds `landmarks_468` (N, 468, 3) in image pixels and `landmarks_468_score` (N,)."""

    name = "landmarks"
    columns = ("landmarks_468", "landmarks_468_score")

    def __init__(self, num_threads: int = 1) -> None:
        self._net = litert_model("landmarks", "facemesh", num_threads)
        self._input = self._net.get_input_details()[0]["index"]
        outs = self._net.get_output_details()
        # One output holds the 468 x 3 numbers, the other the face-presence logit.
        big = max(outs, key=lambda d: int(np.prod(d["shape"])))
        small = min(outs, key=lambda d: int(np.prod(d["shape"])))
        self._points, self._flag = big["index"], small["index"]
        self._lock = threading.Lock()  # a LiteRT interpreter holds per-call tensors

    def mesh(self, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, float]:
        """(468, 3) points in image pixels and the face-presence probability of one face.

        Two passes: detectors' 5 points understate in-plane rotation (YuNet reports about a
        quarter of a 30-degree tilt), so the second crop is levelled by the mesh's own eyes.
        """
        points, _ = self._mesh_once(image, roi_transform(box, landmarks))
        return self._mesh_once(image, roi_transform(box, five_from_mesh(points)))

    def _mesh_once(self, image: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, float]:
        crop = cv2.warpAffine(image, m, (INPUT, INPUT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        tensor = (crop.astype(np.float32) / 255.0)[None]
        with self._lock:
            self._net.set_tensor(self._input, tensor)
            self._net.invoke()
            raw = self._net.get_tensor(self._points).reshape(-1, 3)[:468].astype(np.float64)
            logit = float(self._net.get_tensor(self._flag).reshape(-1)[-1])
        inv = cv2.invertAffineTransform(m)
        xy = raw[:, :2] @ inv[:, :2].T + inv[:, 2]
        z = raw[:, 2] / (m[0, 0] ** 2 + m[0, 1] ** 2) ** 0.5  # crop pixels -> image pixels
        return np.c_[xy, z].astype(np.float32), 1.0 / (1.0 + math.exp(-logit))

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        n = len(faces)
        points = np.zeros((n, 468, 3), np.float64)
        scores = np.zeros(n, np.float64)
        for i in range(n):
            points[i], scores[i] = self.mesh(image, faces.boxes[i], faces.landmarks[i])
        # rounded float64: sub-pixel noise is not information, and JSON stays readable
        return faces.with_column("landmarks_468", np.round(points, 2)).with_column(
            "landmarks_468_score", np.round(scores, 4))


def five_from_mesh(points: np.ndarray) -> np.ndarray:
    """The 5 ArcFace-order points (eye centres, nose tip, mouth corners) read off a (468, 3) mesh."""
    p = np.asarray(points)[:, :2]
    return np.stack([p[[33, 133]].mean(0), p[[263, 362]].mean(0), p[1], p[61], p[291]])
