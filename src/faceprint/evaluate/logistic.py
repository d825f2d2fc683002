"""Binary logistic regression by Newton's method (numpy only), for score-level fusion.

Features are standardised with the training rows' mean and spread (kept in the model), an
L2 penalty (not on the intercept) keeps the Hessian invertible when features correlate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Logistic:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # standardised features, then the intercept

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of "same" per row (monotone in the probability: use it as the score)."""
        z = (np.asarray(x, np.float64) - self.mean) / self.scale
        return z @ self.coef[:-1] + self.coef[-1]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iterations: int = 50) -> Logistic:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    mean, scale = x.mean(0), x.std(0) + 1e-12
    z = np.c_[(x - mean) / scale, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = l2 * np.r_[np.ones(z.shape[1] - 1), 0.0]
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return Logistic(mean, scale, w)
