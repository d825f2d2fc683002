"""Load ONNX graphs that need a repair before a runtime accepts them."""

from __future__ import annotations

from pathlib import Path


def pruned_onnx_bytes(path: Path) -> bytes:
    """The model with graph inputs that no node consumes (or that are weights) removed.

    Some exporters list every weight as a graph input too; SFace int8 lists 29 weights
    no node reads, and both onnxruntime and OpenCV refuse such a graph.
    """
    import onnx  # only needed at load time

    model = onnx.load(str(path))
    initialisers = {i.name for i in model.graph.initializer}
    consumed = {name for node in model.graph.node for name in node.input}
    keep = [i for i in model.graph.input if i.name in consumed and i.name not in initialisers]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model.SerializeToString()


def folded_onnx_bytes(model: bytes) -> bytes:
    """`model` with its constant subgraphs (int8 weight dequantisation) computed once into fp32."""
    import onnx

    from .onnx_fold import fold_constant_weights
    from .runtime import ort_session

    folded = fold_constant_weights(onnx.load_from_string(model), lambda b: ort_session(b, 1))
    return folded.SerializeToString()
