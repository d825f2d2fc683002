"""dlib's face-recognition ResNet as an ONNX graph, built in memory from its `.dat` weights.

The network (dlib's `dnn_face_recognition_ex.cpp`) is

    loss_metric<fc_no_bias<128, avg_pool_everything<alevel0<...alevel4<
        max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>

with residual blocks `relu(x + affine(con(relu(affine(con(x))))))` and down-sampling
blocks whose shortcut is a 2x2 average pool of x. Two dlib behaviours matter:

* a strided conv or pool has no padding (dlib's default padding is 0 unless stride 1),
  so the 8x8 -> 3x3 conv and the 8x8 -> 4x4 pool disagree in size;
* `add_prev` adds tensors of different shapes by zero-filling the smaller one at the end
  of each axis (fewer channels, fewer rows/columns). The graph pads the same way.

Each conv's following affine (dlib's frozen batch norm) is folded into the conv's weights
and bias; the input normalisation ((pixel - channel mean) / 256, RGB) is in the graph, so
the graph takes dlib's 150x150 RGB face chips as (N, 150, 150, 3) float32 in 0-255.
Tag/skip layers carry no id in the file: the builder checks the layer sequence against
the structure above and refuses a file that differs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from .dlib_dat import Layer, read_dlib_net

OPSET = 17


def build_onnx(layers: list[Layer], *, fold_affine: bool = True):  # -> onnx.ModelProto
    """The ONNX model computing the same descriptors as dlib for these layers."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10**6))

    def const(name: str, value: np.ndarray) -> str:
        full = f"{name}_{next(counter)}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), full))
        return full

    def node(op: str, inputs: list[str], **attrs) -> str:
        out = f"{op.lower()}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    if not layers or layers[0].kind != "input" or layers[-1].kind != "loss_metric":
        raise ModelFileError("not a dlib metric network with an RGB image input")
    inp = layers[0].attrs
    size = (inp["rows"], inp["cols"])
    x = node("Sub", ["chips", const("mean_rgb", np.array(inp["mean_rgb"], np.float32))])
    x = node("Mul", [x, const("scale", np.array(1 / 256, np.float32))])  # exact: a power of two
    x = node("Transpose", [x], perm=[0, 3, 1, 2])
    shape = (3, *size)  # (channels, rows, cols) of x, tracked to pad mismatched adds

    tag1 = tag2 = None
    i, body = 0, layers[1:-1]
    while i < len(body):
        layer = body[i]
        kind, a = layer.kind, layer.attrs
        if kind == "con":
            w, b = layer.weights["filters"], layer.weights["biases"]
            nxt = body[i + 1] if i + 1 < len(body) else None
            if fold_affine and nxt is not None and nxt.kind == "affine" and nxt.attrs["mode"] == 0:
                g, beta = nxt.weights["gamma"], nxt.weights["beta"]
                w, b = w * g[:, None, None, None], b * g + beta
                i += 1
            x = node("Conv", [x, const("w", w.astype(np.float32)), const("b", b.astype(np.float32))],
                     kernel_shape=[a["nr"], a["nc"]], strides=[a["stride_y"], a["stride_x"]],
                     pads=[a["padding_y"], a["padding_x"], a["padding_y"], a["padding_x"]])
            shape = (a["num_filters"], *(1 + (s + 2 * p - k) // st for s, p, k, st in zip(
                shape[1:], (a["padding_y"], a["padding_x"]), (a["nr"], a["nc"]), (a["stride_y"], a["stride_x"]))))
        elif kind == "affine":
            if a["mode"] != 0:
                raise ModelFileError("only per-channel (conv mode) affine layers are supported")
            c = len(layer.weights["gamma"])
            x = node("Mul", [x, const("gamma", layer.weights["gamma"].reshape(1, c, 1, 1))])
            x = node("Add", [x, const("beta", layer.weights["beta"].reshape(1, c, 1, 1))])
        elif kind == "relu":
            x = node("Relu", [x])
        elif kind in ("max_pool", "avg_pool") and a["nr"] == 0:  # avg_pool_everything
            x = node("GlobalAveragePool", [x])
            shape = (shape[0], 1, 1)
        elif kind in ("max_pool", "avg_pool"):
            x = node("MaxPool" if kind == "max_pool" else "AveragePool", [x], kernel_shape=[a["nr"], a["nc"]],
                     strides=[a["stride_y"], a["stride_x"]],
                     pads=[a["padding_y"], a["padding_x"], a["padding_y"], a["padding_x"]])
            shape = (shape[0], *(1 + (s + 2 * p - k) // st for s, p, k, st in zip(
                shape[1:], (a["padding_y"], a["padding_x"]), (a["nr"], a["nc"]), (a["stride_y"], a["stride_x"]))))
        elif kind == "tag_or_skip":
            if i + 1 < len(body) and body[i + 1].kind == "tag_or_skip":
                # tag2 on the block's output, then skip1 back to the block's input
                if tag1 is None or (i + 2 < len(body) and body[i + 2].kind != "avg_pool"):
                    raise ModelFileError("unexpected tag/skip pattern for dlib's ResNet")
                tag2, (x, shape) = (x, shape), tag1
                i += 1
            else:
                tag1, tag2 = (x, shape), None
        elif kind == "add_prev":
            other = tag2 if tag2 is not None else tag1
            if other is None:
                raise ModelFileError("add_prev without a tagged input")
            (x, shape), tag2 = _add_zero_filled(node, const, (x, shape), other), None
        elif kind == "fc":
            if "biases" in layer.weights:
                raise ModelFileError("only fc_no_bias is supported")
            x = node("Flatten", [x], axis=1)
            x = node("MatMul", [x, const("fc", layer.weights["weights"].astype(np.float32))])
        else:
            raise ModelFileError(f"layer {kind!r} is not part of dlib's face ResNet")
        i += 1

    nodes[-1].output[0] = "descriptor"
    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chips", TensorProto.FLOAT, ["N", size[0], size[1], 3])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="faceprint")
    model.ir_version = 8  # onnxruntime >= 1.15 reads it
    return model


def _add_zero_filled(node, const, a: tuple[str, tuple], b: tuple[str, tuple]) -> tuple[str, tuple]:
    """dlib's add_prev: the sum over the larger shape, the smaller input zero-filled at the end."""
    out_shape = tuple(max(p, q) for p, q in zip(a[1], b[1]))
    padded = []
    for name, shape in (a, b):
        extra = [o - s for o, s in zip(out_shape, shape)]
        if any(extra):
            pads = np.array([0, 0, 0, 0, 0, *extra], np.int64)
            name = node("Pad", [name, const("pads", pads)])
        padded.append(name)
    return node("Add", padded), out_shape


def dlib_resnet_onnx_bytes(dat_path: str | Path) -> bytes:
    return build_onnx(read_dlib_net(dat_path)).SerializeToString()

