"""Hardware floors: a network's multiply-adds, and the rate this CPU sustains on the same ops.

A stage's floor is its multiply-adds divided by the multiply-adds per second this machine
measures, in the same process and with the same thread count, on a dense fp32 3x3
convolution run by onnxruntime (the op that dominates every network here; the int8
YuNet and SFace graphs are weight-only quantised: they compute in fp32). The floor is a
bound, not a prediction: real layers (7x7 stems, 1x1 and depthwise convs, small spatial
maps) run below the dense-conv rate.
"""

from __future__ import annotations

import time

import numpy as np


def multiply_adds(model, inputs: dict[str, list[int]]) -> int:
    """Multiply-adds of one forward pass of `model` (an onnx.ModelProto) at the given input shapes:
    Conv (any group) and MatMul/Gemm; element-wise ops, pools and activations are left out."""
    import onnx
    from onnx import shape_inference

    m = onnx.ModelProto()
    m.CopyFrom(model)
    for i in m.graph.input:
        if i.name in inputs:
            dims = i.type.tensor_type.shape.dim
            for d, v in zip(dims, inputs[i.name]):
                d.Clear()
                d.dim_value = int(v)
    del m.graph.value_info[:]  # shapes stored for the exporter's input size would win otherwise
    m = shape_inference.infer_shapes(m)
    shapes = {}
    for v in [*m.graph.value_info, *m.graph.input, *m.graph.output]:
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    for node in m.graph.node:
        if node.op_type == "Conv":
            w, out = shapes.get(node.input[1]), shapes.get(node.output[0])
            if not w or not out or 0 in out:
                raise ValueError(f"no static shape for {node.name or node.output[0]}")
            total += int(np.prod(out)) * int(np.prod(w[1:]))
        elif node.op_type in ("MatMul", "Gemm"):
            a, out = shapes.get(node.input[0]), shapes.get(node.output[0])
            trans_a = any(at.name == "transA" and at.i for at in node.attribute)
            k = a[-2] if trans_a else a[-1]
            total += int(np.prod(out)) * int(k)
    return total


def conv_rate(threads: int, seconds: float = 0.5) -> float:
    """Multiply-adds per second of onnxruntime on a 64->64 3x3 fp32 conv of a 56x56 map."""
    from onnx import TensorProto, helper, numpy_helper

    from ..models.runtime import ort_session

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((64, 64, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
                              "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, 56, 56])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 56, 56])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = ort_session(model.SerializeToString(), threads)
    x = rng.standard_normal((1, 64, 56, 56)).astype(np.float32)
    session.run(None, {"x": x})
    macs = 64 * 64 * 9 * 56 * 56
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:  # best of many: the floor is what the CPU can do
        t0 = time.perf_counter()
        for _ in range(5):
            session.run(None, {"x": x})
        best = max(best, 5 * macs / (time.perf_counter() - t0))
    return best


def gemm_rate(seconds: float = 0.5) -> float:
    """Multiply-adds per second of numpy's BLAS on a 512x512 fp32 matrix product."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 512, 512)).astype(np.float32)
    a @ b
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        for _ in range(5):
            a @ b
        best = max(best, 5 * 512**3 / (time.perf_counter() - t0))
    return best
