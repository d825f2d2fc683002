"""SFace 128-d embeddings on ArcFace-aligned 112x112 crops, run by OpenCV's DNN module.

OpenCV runs this int8 graph about twice as fast as onnxruntime on the CPU here
(17 ms vs 35 ms per face on one thread), so it is the runtime of choice.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from ..align import ARCFACE_112, align_face
from ..models.card import ModelCard
from ..models.catalog import SFACE
from ..models.files import locate
from ..models.opencv_log import opencv_quiet
from ..models.onnx_graph import pruned_onnx_bytes
from ..types import Faces
from .base import CropEmbedder, l2_normalise


class SFaceEmbedder(CropEmbedder):
    def __init__(self, *, card: ModelCard = SFACE) -> None:
        self.name, self.dim, self.size = card.name, int(card.embedding_dim), tuple(card.input_size)
        graph = pruned_onnx_bytes(locate(card.files[0]))
        with opencv_quiet():
            self._net = cv2.dnn.readNetFromONNX(np.frombuffer(graph, np.uint8))
        self._lock = threading.Lock()  # a cv2.dnn.Net is not safe to share between threads

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return [align_face(image, lm, ARCFACE_112, self.size) for lm in faces.landmarks]

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(crops), self.dim), np.float32)
        with self._lock:
            for i, crop in enumerate(crops):
                # The network takes RGB 0-255, NCHW, no mean or scaling.
                blob = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32)
                self._net.setInput(blob)
                out[i] = self._net.forward().reshape(-1)
        return l2_normalise(out)
