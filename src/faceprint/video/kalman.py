"""A constant-velocity Kalman filter on one face box (centre, width, height), one step per frame.

State (cx, cy, w, h, vcx, vcy, vw, vh). Noise scales with the box's height, as in SORT and
DeepSORT, so a 30-pixel face and a 300-pixel face are followed with the same relative
confidence; velocity noise is smaller than position noise (heads move smoothly).
"""

from __future__ import annotations

import numpy as np

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)
_H = np.eye(4, 8)
POS_STD = 1.0 / 20  # measurement / process noise on position, in box heights
VEL_STD = 1.0 / 160


def xyxy_to_cxcywh(box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, 1.0), max(y2 - y1, 1.0)])


def cxcywh_to_xyxy(s: np.ndarray) -> np.ndarray:
    cx, cy, w, h = s[:4]
    w, h = max(w, 1.0), max(h, 1.0)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


class BoxFilter:
    def __init__(self, box: np.ndarray) -> None:
        z = xyxy_to_cxcywh(box)
        self.x = np.r_[z, np.zeros(4)]
        h = z[3]
        self.P = np.diag(np.r_[[2 * POS_STD * h] * 4, [10 * VEL_STD * h] * 4] ) ** 2

    def predict(self) -> np.ndarray:
        h = max(self.x[3], 1.0)
        q = np.diag(np.r_[[POS_STD * h] * 4, [VEL_STD * h] * 4]) ** 2
        self.x = _F @ self.x
        self.P = _F @ self.P @ _F.T + q
        return self.box

    def update(self, box: np.ndarray) -> np.ndarray:
        z = xyxy_to_cxcywh(box)
        r = np.diag([POS_STD * z[3]] * 4) ** 2
        s = _H @ self.P @ _H.T + r
        k = np.linalg.solve(s, _H @ self.P).T  # P H^T S^-1 (S symmetric)
        self.x = self.x + k @ (z - _H @ self.x)
        self.P = (np.eye(8) - k @ _H) @ self.P
        return self.box

    @property
    def box(self) -> np.ndarray:
        return cxcywh_to_xyxy(self.x)
