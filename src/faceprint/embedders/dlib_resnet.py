"""dlib's ResNet-29 128-d embeddings on its own 150x150 chips.

The chip is aligned with dlib's 5-point predictor (eye corners and nose base) run inside
the detector's box: those are not the ArcFace five points, and the network was trained
on exactly that chip, so the detector's landmarks are not reused here.
"""

from __future__ import annotations

import threading

import numpy as np

from ..models.card import ModelCard
from ..models.catalog import DLIB_RESNET
from ..models.files import locate
from ..types import Faces
from .base import CropEmbedder, l2_normalise

CHIP_PADDING = 0.25  # dlib.get_face_chip's padding (the card's landmark_template says so)


class DlibChips:
    """dlib's face chips (the card's input_size, 150x150): the 5-point predictor in each box,
    then `dlib.get_face_chip`."""

    def __init__(self, card: ModelCard = DLIB_RESNET) -> None:
        import dlib  # heavy; only the dlib ResNet needs it

        self._dlib = dlib
        self.size = int(card.input_size[0])
        self._predictor = dlib.shape_predictor(str(locate(card.files[1])))
        self._lock = threading.Lock()

    def __call__(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        chips = []
        with self._lock:
            for x1, y1, x2, y2 in faces.boxes:
                rect = self._dlib.rectangle(int(round(x1)), int(round(y1)), int(round(x2)) - 1, int(round(y2)) - 1)
                shape = self._predictor(image, rect)
                chips.append(np.asarray(self._dlib.get_face_chip(image, shape, self.size, CHIP_PADDING)))
        return chips


class DlibResNetEmbedder(CropEmbedder):
    """The network run by dlib itself (the reference the ONNX graph of `dlib_onnx` is checked against)."""

    def __init__(self, *, card: ModelCard = DLIB_RESNET) -> None:
        import dlib

        self.name, self.dim = card.name, int(card.embedding_dim)
        self._chips = DlibChips(card)
        self._net = dlib.face_recognition_model_v1(str(locate(card.files[0])))
        self._lock = threading.Lock()

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return self._chips(image, faces)

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            rows = self._net.compute_face_descriptor([np.ascontiguousarray(c) for c in crops])
        return l2_normalise(np.array([np.asarray(r) for r in rows]))
