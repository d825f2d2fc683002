"""YuNet through OpenCV's FaceDetectorYN (the default detector: small, fast, 5 landmarks)."""

from __future__ import annotations

import threading

import cv2
import numpy as np

from ..models.card import ModelCard
from ..models.catalog import YUNET
from ..models.files import locate
from ..models.opencv_log import opencv_quiet
from ..types import Faces


class YuNetDetector:
    name = "yunet"

    def __init__(self, score_threshold: float = 0.6, nms_threshold: float = 0.3, max_side: int = 1920, *,
                 card: ModelCard = YUNET) -> None:
        # Images larger than `max_side` are detected on a downscaled copy: YuNet's cost
        # grows with pixels, and faces that small in a huge photo are rarely usable.
        self.max_side = max_side
        self.name = card.name
        with opencv_quiet():
            self._net = cv2.FaceDetectorYN.create(str(locate(card.files[0])), "", (320, 320),
                                                  score_threshold, nms_threshold, 5000)
        self._lock = threading.Lock()  # a FaceDetectorYN keeps per-call state

    def detect(self, image: np.ndarray) -> Faces:
        h, w = image.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            bgr = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        with self._lock:
            self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
            _, rows = self._net.detect(bgr)
        if rows is None or len(rows) == 0:
            return Faces.empty((h, w), self.name)
        rows = rows.astype(np.float64) / np.r_[[scale] * 14, 1.0]
        boxes = np.c_[rows[:, 0], rows[:, 1], rows[:, 0] + rows[:, 2], rows[:, 1] + rows[:, 3]]
        boxes = np.clip(boxes, 0, [w, h, w, h])
        # YuNet's order (subject's right eye, left eye, nose, right mouth, left mouth) is
        # image-left first, which is already the ArcFace order.
        landmarks = rows[:, 4:14].reshape(-1, 5, 2)
        return Faces(boxes, landmarks, rows[:, 14], (h, w), self.name).by_size()
