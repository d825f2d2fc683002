"""Is a map faithful to the model? Deletion curves against random orders.

The canonical frame is cut into cells x cells squares. One face's squares are ranked by
its contribution map and blurred out a step at a time (the same fill as the maps) while
the other face stays whole, and the pair's similarity is recorded after each step; the
curve is the mean of doing this to face A and to face B. One face at a time, as the maps
were made: hiding the same squares in both faces at once would make them alike again
(blur matches blur), so a good map, whose two faces' orders agree, would be penalised. A faithful map puts
the squares that carry the match first, so similarity falls faster than when the same
number of squares is hidden in a random order: the area under the map's curve (AUC, over
the hidden fraction 0..1) is lower. Both orders end at the same point (all hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .explanation import Explanation, Pair
from .regions import SIZE


@dataclass(frozen=True)
class Deletion:
    fractions: np.ndarray  # hidden fraction of the canonical frame at each step
    by_map: np.ndarray  # similarity after each step, squares in the map's order
    by_random: np.ndarray  # (randoms, steps + 1): the same for random orders
    by_xcos: np.ndarray | None = None  # squares in the order of the SFace patch split, when there is one

    @property
    def auc_map(self) -> float:
        return float(np.trapezoid(self.by_map, self.fractions))

    @property
    def auc_xcos(self) -> float | None:
        return None if self.by_xcos is None else float(np.trapezoid(self.by_xcos, self.fractions))

    @property
    def auc_random(self) -> float:
        return float(np.mean([np.trapezoid(r, self.fractions) for r in self.by_random]))


def cell_masks(cells: int = 8) -> np.ndarray:
    """(cells**2, 112, 112) hard squares tiling the canonical frame, row-major."""
    edges = np.round(np.linspace(0, SIZE, cells + 1)).astype(int)
    out = np.zeros((cells * cells, SIZE, SIZE), np.float32)
    for i in range(cells):
        for j in range(cells):
            out[i * cells + j, edges[i]:edges[i + 1], edges[j]:edges[j + 1]] = 1
    return out


def cumulative(order: np.ndarray, cells: np.ndarray, steps: int) -> np.ndarray:
    """(steps + 1, 112, 112): the union of the first k cells of `order` at evenly spaced k,
    edges softened by 1.5 px so the cut is no sharper than the maps' patches."""
    counts = np.round(np.linspace(0, len(order), steps + 1)).astype(int)
    out = []
    for k in counts:
        m = cells[order[:k]].sum(0) if k else np.zeros((SIZE, SIZE), np.float32)
        out.append(cv2.GaussianBlur(m, (0, 0), 1.5, borderType=cv2.BORDER_REPLICATE) if 0 < k < len(order) else m)
    return np.stack(out)


def deletion(analyzer: Any, pair: Pair, explanation: Explanation, *, cells: int = 8, steps: int = 8,
             randoms: int = 3, seed: int = 0) -> Deletion:
    """Deletion curves of one pair: map order vs `randoms` random orders (squares per face)."""
    masks = cell_masks(cells)
    rng = np.random.default_rng(seed)
    (va, vb), (ea, eb) = pair.views, pair.embeddings

    def curve(order_a: np.ndarray, order_b: np.ndarray) -> np.ndarray:
        sims_a = va.embed(analyzer.embedder, cumulative(order_a, masks, steps)) @ eb
        sims_b = vb.embed(analyzer.embedder, cumulative(order_b, masks, steps)) @ ea
        return (sims_a + sims_b) / 2

    def ranked(contribution: np.ndarray) -> np.ndarray:
        score = np.tensordot(masks, contribution, axes=([1, 2], [0, 1]))  # summed contribution per cell
        return np.argsort(-score, kind="stable")

    by_map = curve(ranked(explanation.a.contribution), ranked(explanation.b.contribution))
    n = cells * cells
    by_random = np.stack([curve(rng.permutation(n), rng.permutation(n)) for _ in range(randoms)])
    by_xcos = None
    if explanation.patches is not None:  # its 7x7 cells spread over the frame, nearest cell
        up = lambda g: cv2.resize(g.astype(np.float32), (SIZE, SIZE), interpolation=cv2.INTER_NEAREST)  # noqa: E731
        by_xcos = curve(ranked(up(explanation.patches.contribution_a)), ranked(up(explanation.patches.contribution_b)))
    return Deletion(np.linspace(0, 1, steps + 1), by_map, by_random, by_xcos)


def bootstrap_mean(values: np.ndarray, *, draws: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95 % percentile-bootstrap interval."""
    values = np.asarray(values, np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (draws, len(values)))].mean(1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))
