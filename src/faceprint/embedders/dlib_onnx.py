"""dlib's ResNet-29 128-d embeddings, run by onnxruntime on a graph built from dlib's weights.

Same chips (dlib's 5-point predictor + `dlib.get_face_chip`, 150x150) and same weights
as `dlib_resnet.DlibResNetEmbedder`; the network is rebuilt as ONNX by
`models.dlib_onnx` (descriptors equal dlib's within 1e-6 on LFW in fp32: `python -m
faceprint.bench dlib_onnx`), so model id and calibration are the same. It runs on
`models.runtime` (OpenVINO, bf16 where the CPU has it: within cosine 0.99997 of fp32) and
takes a batch of chips in one call.
"""

from __future__ import annotations

import numpy as np

from ..models.card import ModelCard
from ..models.catalog import DLIB_RESNET
from ..models.files import locate
from ..models.runtime import onnx_net
from ..types import Faces
from .base import CropEmbedder, l2_normalise
from .dlib_resnet import DlibChips


class DlibResNetOnnxEmbedder(CropEmbedder):
    # The same model as dlib's runtime (the same card): same embeddings, same id.
    def __init__(self, threads: int | None = None, precision: str | None = None, *,
                 card: ModelCard = DLIB_RESNET) -> None:
        from ..models.dlib_onnx import dlib_resnet_onnx_bytes

        self.name, self.dim = card.name, int(card.embedding_dim)
        self._chips = DlibChips(card)
        self._net = onnx_net(dlib_resnet_onnx_bytes(locate(card.files[0])), threads, precision)
        self.runtime = self._net.name

    def crop(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return self._chips(image, faces)

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(self._net(np.stack([np.asarray(c, np.float32) for c in crops])))
