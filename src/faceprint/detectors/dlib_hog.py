"""dlib's HOG detector with 5 landmarks taken from its 68-point shape predictor."""

from __future__ import annotations

import threading

import numpy as np

from ..models.card import ModelCard
from ..models.catalog import DLIB_HOG
from ..models.files import locate
from ..types import Faces

# 68-point iBUG indices -> ArcFace five: eye centres (mean of each eye's six points),
# nose tip, mouth corners.
_LEFT_EYE, _RIGHT_EYE, _NOSE_TIP, _MOUTH_L, _MOUTH_R = range(36, 42), range(42, 48), 30, 48, 54


class DlibHogDetector:
    name = "dlib-hog"

    def __init__(self, upsample: int = 1, *, card: ModelCard = DLIB_HOG) -> None:
        import dlib  # imported here: dlib is heavy and only this backend needs it

        self.upsample = upsample  # the face_recognition library's default is 1
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(str(locate(card.files[0])))
        self.name = card.name
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> Faces:
        h, w = image.shape[:2]
        with self._lock:
            rects, scores, _ = self._detector.run(image, self.upsample, 0.0)
            shapes = [self._predictor(image, r) for r in rects]
        if not rects:
            return Faces.empty((h, w), self.name)
        boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects], np.float64)
        boxes = np.clip(boxes, 0, [w, h, w, h])
        lms = []
        for s in shapes:
            pts = np.array([[p.x, p.y] for p in s.parts()], np.float64)
            lms.append([pts[_LEFT_EYE].mean(0), pts[_RIGHT_EYE].mean(0), pts[_NOSE_TIP], pts[_MOUTH_L], pts[_MOUTH_R]])
        # HOG scores are SVM margins; a logistic squash puts them on the [0, 1] scale
        # other detectors use without changing their order.
        probs = 1.0 / (1.0 + np.exp(-np.asarray(scores, np.float64)))
        return Faces(boxes, np.array(lms), probs, (h, w), self.name).by_size()
