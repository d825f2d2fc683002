"""MiniFASNetV2 and MiniFASNetV1SE in PyTorch, for the maintainer's converter only.

faceprint never imports this module: it needs torch, which is not a dependency. It
rebuilds the two networks of minivision-ai/Silent-Face-Anti-Spoofing (Apache-2.0) from
their published architecture facts so that their state dicts load unchanged:

- every unit is a bias-free convolution + batch norm, with a per-channel PReLU after it
  ("conv" units) or nothing ("linear" units, the projections);
- a depthwise block is 1x1 expand (conv) -> kxk depthwise (conv, stride s) -> 1x1
  project (linear), with the input added back when it keeps its shape; in the SE
  variant the last block of each residual stage rescales the projection by a
  squeeze-and-excitation gate (avg pool, 1x1 down /4, BN, ReLU, 1x1 up, BN, sigmoid)
  before the add;
- the stem is a 3x3 stride-2 conv unit and a 3x3 depthwise conv unit; then a stride-2
  block and 4 residual blocks, a stride-2 block and 6, a stride-2 block and 2; a 1x1 conv
  unit to 512 channels; a depthwise linear unit whose kernel covers the whole 5x5 map of
  an 80x80 input; a 512->128 linear layer, 1-d batch norm, and a 128->3 linear layer
  (dropout, a no-op at inference, is left out);
- the channel widths are the lists below (V2 uses the "1.8M_" widths, V1SE "1.8M").

Parameter names follow the original's attribute names so that `load_state_dict` is
strict: a missing or extra weight is an error, not a silent mismatch.
"""

from __future__ import annotations

import torch
from torch import nn

# Channel widths (49 numbers), indexed the way the blocks below read them.
WIDTHS_V1 = [32, 32, 103, 103, 64, 13, 13, 64, 26, 26, 64, 13, 13, 64, 52, 52, 64, 231, 231, 128,
             154, 154, 128, 52, 52, 128, 26, 26, 128, 52, 52, 128, 26, 26, 128, 26, 26, 128, 308, 308,
             128, 26, 26, 128, 26, 26, 128, 512, 512]
WIDTHS_V2 = [32, 32, 103, 103, 64, 13, 13, 64, 13, 13, 64, 13, 13, 64, 13, 13, 64, 231, 231, 128,
             231, 231, 128, 52, 52, 128, 26, 26, 128, 77, 77, 128, 26, 26, 128, 26, 26, 128, 308, 308,
             128, 26, 26, 128, 26, 26, 128, 512, 512]


class Unit(nn.Module):
    """Bias-free conv + BN, then a per-channel PReLU unless `linear`."""

    def __init__(self, c_in: int, c_out: int, kernel: int | tuple[int, int] = 1, stride: int = 1,
                 padding: int = 0, groups: int = 1, linear: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        if not linear:
            self.prelu = nn.PReLU(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return self.prelu(x) if hasattr(self, "prelu") else x


class Gate(nn.Module):
    """Squeeze-and-excitation: rescale each channel by a gate read from the pooled map."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        mid = channels // reduction
        self.fc1 = nn.Conv2d(channels, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.fc2 = nn.Conv2d(mid, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x.mean(dim=(2, 3), keepdim=True)
        g = torch.relu(self.bn1(self.fc1(g)))
        return x * torch.sigmoid(self.bn2(self.fc2(g)))


class Block(nn.Module):
    """1x1 expand -> 3x3 depthwise -> 1x1 project; residual (and optionally gated) when stride 1."""

    def __init__(self, c_in: int, c_mid: int, c_dw: int, c_out: int, stride: int, residual: bool,
                 gated: bool = False) -> None:
        super().__init__()
        self.conv = Unit(c_in, c_mid)
        self.conv_dw = Unit(c_mid, c_dw, 3, stride, 1, groups=c_mid)
        self.project = Unit(c_dw, c_out, linear=True)
        self.residual = residual
        if gated:
            self.se_module = Gate(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.conv_dw(self.conv(x)))
        if not self.residual:
            return y
        if hasattr(self, "se_module"):
            y = self.se_module(y)
        return x + y


class Stage(nn.Module):
    """`n` residual blocks; in the SE variant the last one is gated."""

    def __init__(self, w: list[int], start: int, n: int, gated_last: bool) -> None:
        super().__init__()
        blocks = []
        for i in range(n):
            k = start + 3 * i  # each block reads widths k (in), k+1, k+2, k+3 (out)
            blocks.append(Block(w[k], w[k + 1], w[k + 2], w[k + 3], 1, True, gated_last and i == n - 1))
        self.model = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class MiniFASNet(nn.Module):
    """80x80 BGR (0-255, no normalisation) -> 3 logits; class 1 is "real"."""

    def __init__(self, w: list[int], se: bool, input_size: int = 80, classes: int = 3) -> None:
        super().__init__()
        final = (input_size + 15) // 16  # the map's side after four stride-2 steps
        self.conv1 = Unit(3, w[0], 3, 2, 1)
        self.conv2_dw = Unit(w[0], w[1], 3, 1, 1, groups=w[1])
        self.conv_23 = Block(w[1], w[2], w[3], w[4], 2, False)
        self.conv_3 = Stage(w, 4, 4, se)
        self.conv_34 = Block(w[16], w[17], w[18], w[19], 2, False)
        self.conv_4 = Stage(w, 19, 6, se)
        self.conv_45 = Block(w[37], w[38], w[39], w[40], 2, False)
        self.conv_5 = Stage(w, 40, 2, se)
        self.conv_6_sep = Unit(w[46], w[47])
        self.conv_6_dw = Unit(w[47], w[48], (final, final), groups=w[48], linear=True)
        self.linear = nn.Linear(512, 128, bias=False)
        self.bn = nn.BatchNorm1d(128)
        self.prob = nn.Linear(128, classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for part in (self.conv1, self.conv2_dw, self.conv_23, self.conv_3, self.conv_34, self.conv_4,
                     self.conv_45, self.conv_5, self.conv_6_sep, self.conv_6_dw):
            x = part(x)
        return self.prob(self.bn(self.linear(torch.flatten(x, 1))))


def build(kind: str) -> MiniFASNet:
    """`kind` is "MiniFASNetV2" or "MiniFASNetV1SE" (the suffix of the weight file's name)."""
    if kind == "MiniFASNetV2":
        return MiniFASNet(WIDTHS_V2, se=False)
    if kind == "MiniFASNetV1SE":
        return MiniFASNet(WIDTHS_V1, se=True)
    raise ValueError(f"unknown MiniFASNet variant {kind!r}")


def load(path: str, kind: str) -> MiniFASNet:
    """The network with the state dict at `path` (a DataParallel `module.` prefix is dropped), in eval mode."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}
    net = build(kind)
    net.load_state_dict(state, strict=True)
    return net.eval()
