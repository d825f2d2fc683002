"""Weak detections confirmed by persistence: the video blur's second chance at hard faces.

A face half hidden behind another, dark or blurred by compression can score 0.1-0.3 on
every frame, below the blur's threshold, where a patch of background also scores now and
then. What tells them apart is time: the face's weak boxes come back frame after frame at
about the same place, the background's come and go. So weak boxes are chained by overlap
from one detector run to the next (the same idea as hysteresis thresholding of edges, or
ByteTrack's second, low-score association), and a chain is covered once it has `hits` boxes
among the last `window` runs. On that run its earlier boxes are returned too, so the frames
not yet written are covered back to where the chain began. A chain lives while it is
confirmed and seen again within `window` runs; a scene cut ends them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_HITS = 5
DEFAULT_WINDOW = 10
LINK_IOU = 0.3
MAX_SIDE = 0.5  # of the frame's height: a weak box larger than this is background, not a hidden face


@dataclass
class WeakChain:
    id: int
    box: np.ndarray
    runs: list[int] = field(default_factory=list)  # detector runs with a box of this chain
    boxes: dict[int, np.ndarray] = field(default_factory=dict)  # frame -> box
    confirmed: bool = False


class WeakTracks:
    """Chain the weak boxes of successive detector runs; say which to cover (see the module doc)."""

    def __init__(self, hits: int = DEFAULT_HITS, window: int = DEFAULT_WINDOW, *, first_id: int = 1_000_000) -> None:
        if not 1 <= hits <= window:
            raise ValueError(f"weak tracks: need 1 <= hits ({hits}) <= window ({window})")
        self.hits, self.window = int(hits), int(window)
        self._chains: list[WeakChain] = []
        self._run = -1
        self._next_id = first_id

    def end_all(self) -> None:
        self._chains.clear()

    def update(self, frame: int, boxes: np.ndarray, height: int) -> tuple[dict[int, np.ndarray], dict[int, dict[int, np.ndarray]]]:
        """Add one detector run's weak boxes of `frame`.

        Returns ({chain id: box to cover on this frame}, {chain id: {earlier frame: box}} for
        the chains confirmed on this run).
        """
        from ..video.tracker import iou_matrix

        self._run += 1
        run = self._run
        b = np.asarray(boxes, np.float32).reshape(-1, 4)
        if len(b):
            b = b[np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) < MAX_SIDE * height]
        self._chains = [c for c in self._chains if run - c.runs[-1] <= self.window]
        used: set[int] = set()
        if len(b) and self._chains:
            iou = iou_matrix(np.array([c.box for c in self._chains]), b)
            # Best overlaps first, each chain and each box used once.
            for ci, j in sorted(np.ndindex(*iou.shape), key=lambda ij: -iou[ij]):
                if iou[ci, j] < LINK_IOU:
                    break
                c = self._chains[ci]
                if j in used or c.runs[-1] == run:
                    continue
                used.add(j)
                c.box, c.boxes[frame] = b[j], b[j]
                c.runs.append(run)
                if len(c.boxes) > self.window:  # a sparse chain that never confirms: keep its recent boxes
                    del c.boxes[next(iter(c.boxes))]
        for j in range(len(b)):
            if j not in used:
                self._chains.append(WeakChain(self._next_id, b[j], [run], {frame: b[j]}))
                self._next_id += 1
        now: dict[int, np.ndarray] = {}
        earlier: dict[int, dict[int, np.ndarray]] = {}
        for c in self._chains:
            if not c.confirmed and sum(r > run - self.window for r in c.runs) >= self.hits:
                c.confirmed = True
                earlier[c.id] = {f: x for f, x in c.boxes.items() if f != frame}
            if c.confirmed:
                now[c.id] = c.boxes.get(frame, c.box)
        for c in self._chains:  # only the last box is needed once a chain is confirmed
            if c.confirmed:
                c.boxes = {frame: c.box}
        return now, earlier
