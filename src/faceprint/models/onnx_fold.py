"""Fold an ONNX graph's constant subgraphs (e.g. weight-only int8 dequantisation) into fp32 weights.

SFace and YuNet ship as block-quantised int8 *weights* that the graph dequantises on every
run (DequantizeLinear + Reshape feeding each Conv); the arithmetic is fp32 throughout.
Computing those weights once, with onnxruntime itself, gives an fp32 graph with the same
outputs (to float rounding) that onnxruntime can then fuse (Conv + BatchNorm, ...).
"""

from __future__ import annotations

import numpy as np


def fold_constant_weights(model, session_factory):  # -> onnx.ModelProto
    """`model` with every node whose inputs are all initializers replaced by its computed output.

    `session_factory(model_bytes)` returns an onnxruntime session (the caller's threading).
    The batch dimension of the graph's inputs and outputs becomes symbolic ("N").
    """
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    constant = {t.name for t in graph.initializer}
    folded_nodes, kept_nodes = [], []
    for node in graph.node:
        if all(i in constant for i in node.input if i):
            folded_nodes.append(node)
            constant.update(node.output)
        else:
            kept_nodes.append(node)
    needed = sorted({i for n in kept_nodes for i in n.input if i in constant})
    computed = sorted(set(needed) - {t.name for t in graph.initializer})
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer if t.name in needed}
    if computed:
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        del probe.graph.output[:]
        del probe.graph.value_info[:]
        probe.graph.output.extend([helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in computed])
        feeds = {i.name: np.zeros([d.dim_value or 1 for d in i.type.tensor_type.shape.dim],
                                  helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type)) for i in graph.input}
        values.update(zip(computed, session_factory(probe.SerializeToString()).run(computed, feeds)))
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(kept_nodes)
    del out.graph.initializer[:]
    out.graph.initializer.extend([numpy_helper.from_array(np.asarray(v), k) for k, v in values.items()])
    del out.graph.value_info[:]
    for v in [*out.graph.input, *out.graph.output]:
        dim = v.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_param = "N"
    return out
