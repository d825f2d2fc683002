"""SFace 128-d embeddings on ArcFace-aligned 112x112 crops.

The shipped graph holds block-quantised int8 weights that it dequantises on every run.
With OpenVINO installed (`models.runtime`), those weights are folded once into fp32
(`models.onnx_fold`) and the network runs there: bf16 on CPUs that have it, 3-3.8x
OpenCV's speed, cosine >= 0.9997 to fp32. Without OpenVINO, OpenCV's DNN module runs the
graph as shipped (about twice onnxruntime's speed on it).
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
from ..models.onnx_graph import folded_onnx_bytes, pruned_onnx_bytes
from ..models.runtime import OpenVinoNet, openvino_available
from ..types import Faces
from .base import CropEmbedder, l2_normalise


class SFaceEmbedder(CropEmbedder):
    def __init__(self, threads: int | None = None, precision: str | None = None, *, card: ModelCard = SFACE) -> None:
        self.name, self.dim, self.size = card.name, int(card.embedding_dim), tuple(card.input_size)
        graph = pruned_onnx_bytes(locate(card.files[0]))
        self._ov = None
        if openvino_available():
            self._ov = OpenVinoNet(folded_onnx_bytes(graph), threads, precision)
            self.runtime = self._ov.name
            return
        with opencv_quiet():
            self._net = cv2.dnn.readNetFromONNX(np.frombuffer(graph, np.uint8))
        self._lock = threading.Lock()  # a cv2.dnn.Net is not safe to share between threads
        self.runtime = "opencv-f32"

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return [align_face(image, lm, ARCFACE_112, self.size) for lm in faces.landmarks]

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if self._ov is not None:
            if not crops:
                return np.zeros((0, self.dim), np.float32)
            # RGB 0-255, NCHW, no mean or scaling; all crops in one call
            return l2_normalise(self._ov(np.ascontiguousarray(np.stack(crops).transpose(0, 3, 1, 2), np.float32)))
        out = np.zeros((len(crops), self.dim), np.float32)
        with self._lock:
            for i, crop in enumerate(crops):
                # The network takes RGB 0-255, NCHW, no mean or scaling.
                blob = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32)
                self._net.setInput(blob)
                out[i] = self._net.forward().reshape(-1)
        return l2_normalise(out)
