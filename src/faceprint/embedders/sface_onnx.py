"""SFace through onnxruntime on fp32 weights folded from the shipped int8 graph, in batches.

The shipped graph stores int8 weights and dequantises them on every run; folding that
once (`models.onnx_fold`) leaves the same fp32 arithmetic, so embeddings equal the OpenCV
backend's (`sface.py`) to float rounding (4.5e-7 on LFW crops), and onnxruntime can fuse
Conv + BatchNorm and run all faces of a call in one batch.
"""

from __future__ import annotations

import numpy as np

from ..models.card import ModelCard
from ..models.catalog import SFACE
from ..models.files import locate
from ..models.onnx_graph import pruned_onnx_bytes
from .base import l2_normalise
from .sface import SFaceEmbedder


class SFaceOnnxEmbedder(SFaceEmbedder):
    def __init__(self, threads: int | None = None, *, card: ModelCard = SFACE) -> None:
        # SFaceEmbedder.__init__ is not called: it would load the OpenCV net this one replaces
        import onnx

        from ..models.onnx_fold import fold_constant_weights
        from ..models.runtime import ort_session

        self.name, self.dim, self.size = card.name, int(card.embedding_dim), tuple(card.input_size)
        model = onnx.load_from_string(pruned_onnx_bytes(locate(card.files[0])))
        folded = fold_constant_weights(model, lambda b: ort_session(b, 1))
        self._session = ort_session(folded.SerializeToString(), threads)
        self._input = self._session.get_inputs()[0].name

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        # RGB 0-255, NCHW, no mean or scaling (as the OpenCV backend feeds it)
        blob = np.ascontiguousarray(np.stack(crops).transpose(0, 3, 1, 2), dtype=np.float32)
        return l2_normalise(self._session.run(None, {self._input: blob})[0])
