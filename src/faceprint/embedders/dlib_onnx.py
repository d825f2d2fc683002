"""dlib's ResNet-29 128-d embeddings, run by onnxruntime on a graph built from dlib's weights.

Same chips (dlib's 5-point predictor + `dlib.get_face_chip`, 150x150) and same weights
as `dlib_resnet.DlibResNetEmbedder`; the network is rebuilt as ONNX by
`models.dlib_onnx` (descriptors equal dlib's within 1e-6 on LFW: `python -m
faceprint.bench dlib_onnx`), so embeddings, model id and calibration are the same. It is
about 5x faster than dlib's own CPU code and takes a batch of chips in one call.
"""

from __future__ import annotations

import numpy as np

from ..models.card import ModelCard
from ..models.catalog import DLIB_RESNET
from ..models.files import locate
from ..types import Faces
from .base import CropEmbedder, l2_normalise
from .dlib_resnet import DlibChips


def ort_session(model: bytes, threads: int | None = None):
    """A CPU onnxruntime session; `threads` intra-op threads (default: OpenCV's setting,
    which batch workers set to 1 so that processes do not fight over cores)."""
    import cv2
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads if threads is not None else cv2.getNumThreads())
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # no warnings about initializers the optimiser drops
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class DlibResNetOnnxEmbedder(CropEmbedder):
    # The same model as dlib's runtime (the same card): same embeddings, same id.
    def __init__(self, threads: int | None = None, *, card: ModelCard = DLIB_RESNET) -> None:
        from ..models.dlib_onnx import dlib_resnet_onnx_bytes

        self.name, self.dim = card.name, int(card.embedding_dim)
        self._chips = DlibChips(card)
        self._session = ort_session(dlib_resnet_onnx_bytes(locate(card.files[0])), threads)

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return self._chips(image, faces)

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        batch = np.stack([np.asarray(c, np.float32) for c in crops])  # session.run is thread-safe
        return l2_normalise(self._session.run(None, {"chips": batch})[0])
