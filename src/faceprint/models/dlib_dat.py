"""Read a dlib DNN `.dat` file (dlib's own serialization) into a flat list of layers.

dlib writes a network recursively, each layer wrapping the subnetwork nearer the input:
a layer writes its version, then its subnetwork, then its own details. Reading it the
same way yields the layers from the input outwards. The pieces of the format used here:

* integers: one control byte (low nibble = number of bytes, 0x80 = negative), then the
  magnitude's bytes, little-endian;
* floats: two integers, a mantissa m and an exponent e, meaning m * 2**e;
* strings: an integer length, then the bytes; bools: the character '1' or '0';
* tensors: version 2, then (num_samples, k, nr, nc), then raw little-endian float32; a
  layer's weights are one `params` tensor cut into consecutive views (alias tensors,
  stored as version 1 and a shape, no offset): filters then biases, gamma then beta;
* `add_layer` (version 2; version 3 when its subnetwork is the input layer): subnetwork,
  details, three bools, three scratch tensors (empty in a saved model); version 3 ends
  with the input's sample expansion factor;
* `add_tag_layer` and `add_skip_layer` (version 1): only the subnetwork, so a tag's id
  is not in the file: the network's structure must be known to interpret them
  (`models/dlib_onnx.py` checks it against the ResNet's definition);
* `add_loss_layer` (version 1): the loss details, then the subnetwork.

Only the layer kinds dlib's face-recognition ResNet uses are understood; anything else
raises ModelFileError naming the layer, rather than being guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelFileError


@dataclass
class Layer:
    """One layer: its kind ("con", "affine", "relu", "max_pool", "avg_pool", "add_prev",
    "fc", "tag_or_skip", "input", "loss_metric"), its settings and weights."""

    kind: str
    attrs: dict = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.pos, self.name = data, 0, name

    def fail(self, what: str) -> ModelFileError:
        return ModelFileError(f"{self.name}: {what} at byte {self.pos}; not a dlib network file this reader knows")

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of file")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def int(self) -> int:
        control = self.byte()
        size, negative = control & 0x0F, bool(control & 0x80)
        if size > 8:
            raise self.fail(f"bad integer size {size}")
        raw = self.data[self.pos:self.pos + size]
        self.pos += size
        value = int.from_bytes(raw, "little")
        return -value if negative else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(np.ldexp(float(mantissa), exponent))

    def string(self) -> str:
        n = self.int()
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s.decode("latin-1")

    def bool(self) -> bool:
        c = self.byte()
        if c not in (0x30, 0x31):
            raise self.fail(f"bad bool byte {c:#x}")
        return c == 0x31

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise self.fail("unknown tensor version")
        shape = tuple(self.int() for _ in range(4))
        n = int(np.prod(shape))
        end = self.pos + 4 * n
        if end > len(self.data):
            raise self.fail("tensor runs past the end of the file")
        values = np.frombuffer(self.data, "<f4", n, self.pos).astype(np.float32).reshape(shape)
        self.pos = end
        return values

    def alias(self) -> tuple[int, int, int, int]:
        """An alias_tensor's shape (no offset is stored: views follow each other in `params`)."""
        if self.int() != 1:
            raise self.fail("unknown alias_tensor version")
        return tuple(self.int() for _ in range(4))


def _split(params: np.ndarray, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Consecutive views of `params` with the given shapes (filters then biases, gamma then beta)."""
    flat, out, at = params.reshape(-1), [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        out.append(flat[at:at + n].reshape(shape))
        at += n
    return out


def _details(r: _Reader) -> Layer:
    tag = r.string()
    if tag == "con_4":
        params = r.tensor()
        a = {k: r.int() for k in ("num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")}
        filters, biases = _split(params, r.alias(), r.alias())
        for _ in range(4):  # learning-rate and weight-decay multipliers
            r.float()
        return Layer("con", a, {"filters": filters, "biases": biases.reshape(-1)})
    if tag == "affine_":
        params = r.tensor()
        gamma, beta = _split(params, r.alias(), r.alias())
        mode = r.int()
        return Layer("affine", {"mode": mode}, {"gamma": gamma.reshape(-1), "beta": beta.reshape(-1)})
    if tag == "relu_":
        return Layer("relu")
    if tag in ("max_pool_2", "avg_pool_2"):
        a = {k: r.int() for k in ("nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")}
        return Layer(tag[:-2], a)
    if tag == "add_prev_":
        return Layer("add_prev")
    if tag == "fc_2":
        a = {"num_outputs": r.int(), "num_inputs": r.int()}
        params = r.tensor()
        weights, biases = _split(params, r.alias(), r.alias())
        a["bias_mode"] = r.int()
        for _ in range(4):
            r.float()
        w = {"weights": weights.reshape(a["num_inputs"], a["num_outputs"])}  # out = x @ weights
        if biases.size:
            w["biases"] = biases.reshape(-1)
        return Layer("fc", a, w)
    raise r.fail(f"unsupported layer {tag!r}")


def _input(r: _Reader) -> Layer:
    tag = r.string()
    if tag != "input_rgb_image_sized":
        raise r.fail(f"unsupported input layer {tag!r}")
    mean = [r.float() for _ in range(3)]
    return Layer("input", {"mean_rgb": mean, "rows": r.int(), "cols": r.int()})


def _scratch(r: _Reader) -> None:
    for _ in range(3):
        r.bool()
    for _ in range(3):
        r.tensor()


def _subnet(r: _Reader, out: list[Layer]) -> None:
    # Recursive like the writer: the ResNet nests about 150 deep, well within Python's limit.
    version = r.int()
    if version == 3:  # add_layer whose subnetwork is the input layer
        out.append(_input(r))
        out.append(_details(r))
        _scratch(r)
        r.int()  # sample expansion factor (1 for an image input)
    elif version == 2:
        _subnet(r, out)
        out.append(_details(r))
        _scratch(r)
    elif version == 1:  # tag or skip layer: nothing but the subnetwork
        _subnet(r, out)
        out.append(Layer("tag_or_skip"))
    else:
        raise r.fail(f"unknown layer version {version}")


def read_dlib_net(path: str | Path) -> list[Layer]:
    """The layers of a dlib `loss_metric` network file, input first, loss last."""
    data = Path(path).read_bytes()
    r = _Reader(data, str(path))
    if r.int() != 1:
        raise r.fail("not a dlib loss layer")
    if r.string() != "loss_metric_2":
        raise r.fail("only loss_metric networks are supported")
    loss = Layer("loss_metric", {"margin": r.float(), "distance_threshold": r.float()})
    layers: list[Layer] = []
    _subnet(r, layers)
    if r.pos != len(data):
        raise r.fail(f"{len(data) - r.pos} bytes left over")
    return [*layers, loss]


__all__ = ["Layer", "read_dlib_net"]
