"""xCos-style patch map for SFace: local cosines of the last 7x7 feature map, and the exact
per-cell split of the similarity through the network's final linear layers.

SFace ends in BatchNorm(1024x7x7) -> flatten -> Gemm(128) -> BatchNorm(128): after the last
convolution everything is affine, so the raw embedding is e = sum over cells of u_cell + c,
with u_cell = (fc1 scale) * W[:, :, cell] @ f[:, cell]. The similarity of faces A and B
then splits exactly into per-cell terms <u_A,cell, e_B/|e_B|> / |e_A| plus a constant;
that is xCos's "local similarity weighted by attention" read off the trained network
instead of learned by an extra head. Local cosine = cos(f_A[:, cell], f_B[:, cell]).

cv2.dnn cannot forward to an inner layer of this graph (OpenCV 5's engine), so the graph
is loaded with the feature map added as a second output; the embedding is unchanged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FEATURE = "bn1"  # BatchNorm after the last convolution: (1024, 7, 7)


@dataclass(frozen=True)
class PatchMap:
    local_cosine: np.ndarray  # (7, 7) cosine of the two faces' feature vectors per cell
    contribution_a: np.ndarray  # (7, 7) exact per-cell terms of A in the similarity
    contribution_b: np.ndarray
    constant_a: float  # what the cells do not carry (biases): sum(contribution_a) + constant_a = similarity
    constant_b: float


class SFacePatches:
    def __init__(self) -> None:
        import cv2
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        from ..models.catalog import SFACE
        from ..models.files import locate
        from ..models.onnx_graph import pruned_onnx_bytes
        from ..models.opencv_log import opencv_quiet

        model = onnx.load_from_string(pruned_onnx_bytes(locate(SFACE.files[0])))
        model.graph.output.append(helper.make_tensor_value_info(FEATURE, TensorProto.FLOAT, [1, 1024, 7, 7]))
        with opencv_quiet():
            self._net = cv2.dnn.readNetFromONNX(np.frombuffer(model.SerializeToString(), np.uint8))
        self._lock = threading.Lock()  # a cv2.dnn.Net is not safe to share between threads
        init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        weight = _dequantise(model, init, "pre_fc1_weight_dequantized")  # (128, 50176)
        bias = _dequantise(model, init, "pre_fc1_bias_dequantized")
        scale = init["fc1_gamma"] / np.sqrt(init["fc1_moving_var"] + 2e-5)
        self.weight = (scale[:, None] * weight).reshape(128, 1024, 7, 7)  # flatten order is C, H, W
        self.constant = scale * (bias - init["fc1_moving_mean"]) + init["fc1_beta"]

    def features(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(feature map (1024, 7, 7), raw embedding (128,)) of one 112x112 RGB crop."""
        with self._lock:
            self._net.setInput(np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32))
            names = self._net.getUnconnectedOutLayersNames()
            out = dict(zip(names, self._net.forward(names)))
        return out[FEATURE].reshape(1024, 7, 7), out["fc1"].reshape(-1)

    def pair(self, crop_a: np.ndarray, crop_b: np.ndarray) -> PatchMap:
        (fa, ea), (fb, eb) = self.features(crop_a), self.features(crop_b)
        na, nb = np.linalg.norm(fa, axis=0), np.linalg.norm(fb, axis=0)
        local = (fa * fb).sum(0) / np.maximum(na * nb, 1e-12)

        def split(f: np.ndarray, e: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, float]:
            unit = other / np.linalg.norm(other)
            cells = np.einsum("k,kchw,chw->hw", unit, self.weight, f) / np.linalg.norm(e)
            return cells, float(self.constant @ unit / np.linalg.norm(e))

        (ca, ka), (cb, kb) = split(fa, ea, eb), split(fb, eb, ea)
        return PatchMap(local, ca, cb, ka, kb)


def _dequantise(model, init: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The float tensor a block-wise DequantizeLinear node of the graph produces."""
    node = next(n for n in model.graph.node if n.output[0] == name)
    q, scales, zero = (init[i].astype(np.float32) for i in node.input)
    axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
    block = q.shape[axis] // scales.shape[axis]  # each scale covers `block` consecutive entries
    return (q - np.repeat(zero, block, axis=axis)) * np.repeat(scales, block, axis=axis)


@lru_cache(maxsize=1)
def sface_patches() -> SFacePatches:
    return SFacePatches()
