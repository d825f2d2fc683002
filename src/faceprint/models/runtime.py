"""Which runtime executes an ONNX network on the CPU, and at what precision.

OpenVINO when it is installed (a core dependency; measured fastest here), else onnxruntime.
On CPUs with bf16 matrix units (Intel AMX, AVX-512 BF16) OpenVINO computes convolutions
in bf16 with fp32 accumulation: on the 2-core Xeon these figures come from, SFace ran
3-3.8x and dlib's ResNet 5-5.7x faster than in fp32, and the unit embeddings stayed at
cosine >= 0.9997 (SFace) and >= 0.99997 (dlib) to the fp32 ones on LFW faces
(`python -m faceprint.bench precision`). LFW accuracy and the calibrated thresholds were
re-measured with bf16 (README, "Speed"). On other CPUs the same code runs fp32.

`FACEPRINT_PRECISION=f32` forces fp32 everywhere (bit-for-bit reproduction across CPUs);
`FACEPRINT_RUNTIME=onnxruntime` skips OpenVINO.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

import numpy as np

from ..errors import InputError

PRECISIONS = ("auto", "f32", "bf16")
RUNTIMES = ("auto", "openvino", "onnxruntime")

_core: Any = None
_core_lock = threading.Lock()


def _choice(env: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(env, "auto").strip().lower() or "auto"
    if value not in allowed:
        raise InputError(f"{env}={value!r} is not one of {', '.join(allowed)}")
    return value


def precision() -> str:
    """The precision asked for: `auto` (bf16 where the CPU has it), `f32` or `bf16`."""
    return _choice("FACEPRINT_PRECISION", PRECISIONS)


def _openvino_core() -> Any:
    global _core
    with _core_lock:
        if _core is None:
            import openvino as ov

            _core = ov.Core()
        return _core


def openvino_available() -> bool:
    if _choice("FACEPRINT_RUNTIME", RUNTIMES) == "onnxruntime":
        return False
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def bf16_supported() -> bool:
    """Whether OpenVINO's CPU plugin reports native bf16 on this machine."""
    if not openvino_available():
        return False
    return "BF16" in _openvino_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _threads(threads: int | None) -> int:
    """Default: OpenCV's setting, which batch workers set to 1 so processes do not fight over cores."""
    import cv2

    return max(1, threads if threads is not None else cv2.getNumThreads())


class OpenVinoNet:
    """A compiled OpenVINO model; one infer request per calling thread (requests are not shareable)."""

    def __init__(self, model: bytes, threads: int | None = None, want: str | None = None) -> None:
        core = _openvino_core()
        want = want or precision()
        hint = "bf16" if want == "bf16" or (want == "auto" and bf16_supported()) else "f32"
        self.compiled = core.compile_model(core.read_model(model, b""), "CPU", {
            "INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": _threads(threads),
            "PERFORMANCE_HINT": "LATENCY"})
        self.name = f"openvino-{hint}"
        self._local = threading.local()

    def __call__(self, blob: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        return np.array(request.infer({0: blob})[0], np.float32)  # copy: the request reuses its buffer


class OnnxRuntimeNet:
    def __init__(self, model: bytes, threads: int | None = None) -> None:
        self.session = ort_session(model, threads)
        self._input = self.session.get_inputs()[0].name
        self.name = "onnxruntime-f32"

    def __call__(self, blob: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: blob})[0]  # session.run is thread-safe


def ort_session(model: bytes, threads: int | None = None) -> Any:
    """A CPU onnxruntime session with `threads` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads(threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # no warnings about initializers the optimiser drops
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def onnx_net(model: bytes, threads: int | None = None, want: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """`net(blob) -> output` for a one-input, one-output fp32 ONNX graph, on the best runtime here."""
    if openvino_available():
        return OpenVinoNet(model, threads, want)
    return OnnxRuntimeNet(model, threads)
