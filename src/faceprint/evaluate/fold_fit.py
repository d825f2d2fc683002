"""Fold-honest fitting: every parameter of a score route is fitted on the training folds only.

LFW View 2 reports the mean accuracy over ten folds, each scored with a threshold fitted on
the other nine. A route with parameters of its own (fusion weights, a logistic model, a
cohort of impostor templates) must fit them the same way, or its number is optimistic.
`held_out` gives `fit` only the training rows (sliced copies, not a mask over all the data),
so a fitting function cannot see the test fold even by mistake; tests/accuracy checks it by
poisoning the test fold.

Cohort routes are scored per evaluated fold k: the test fold's pairs against a cohort of the
other folds' images, and each training fold j's pairs (whose scores fit the threshold)
against a cohort of the folds other than j and k. `accuracy_per_evaluation` then fits the
threshold of evaluation k on its training rows and scores its test rows.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .verification import _fit_threshold

Fit = Callable[[dict[str, np.ndarray]], Any]
Apply = Callable[[Any, dict[str, np.ndarray]], np.ndarray]


def held_out(data: dict[str, np.ndarray], fold: np.ndarray, fit: Fit, apply: Apply) -> np.ndarray:
    """Scores of every row, each fold's from parameters fitted on the other folds' rows only.

    `data` maps names to per-row arrays (first axis = rows, as `fold`). For each fold k,
    `params = fit({name: array[fold != k]})` and the rows of k get `apply(params, {name:
    array[fold == k]})`.
    """
    fold = np.asarray(fold)
    out = np.full(len(fold), np.nan)
    for k in np.unique(fold):
        test = fold == k
        params = fit({name: np.array(a[~test]) for name, a in data.items()})
        out[test] = apply(params, {name: np.array(a[test]) for name, a in data.items()})
    return out


def held_out_selected(data: dict[str, np.ndarray], fold: np.ndarray,
                      candidates: dict[str, tuple[Fit, Apply]]) -> tuple[np.ndarray, list[str]]:
    """`held_out` where the route itself (features, penalty, ...) is chosen per fold too.

    For each outer fold k, every candidate is scored by LFW accuracy in an inner
    leave-one-fold-out over the training folds only (`data["same"]` holds the labels);
    the best is refitted on all of them and applied to fold k. Returns the scores and the
    candidate chosen for each fold (ties go to the first listed).
    """
    from .verification import kfold_accuracy

    fold = np.asarray(fold)
    out = np.full(len(fold), np.nan)
    chosen = []
    for k in np.unique(fold):
        test = fold == k
        train = {name: np.array(a[~test]) for name, a in data.items()}
        best, best_acc = None, -1.0
        for name, (fit, apply) in candidates.items():
            inner = held_out(train, fold[~test], fit, apply)
            acc = kfold_accuracy(inner, train["same"], fold[~test])["mean"]
            if acc > best_acc + 1e-12:
                best, best_acc = name, acc
        fit, apply = candidates[best]
        out[test] = apply(fit(train), {name: np.array(a[test]) for name, a in data.items()})
        chosen.append(best)
    return out, chosen


def per_evaluation(data: dict[str, np.ndarray], fold: np.ndarray, fit: Fit, apply: Apply) -> np.ndarray:
    """Row e: every pair scored with the parameters fitted on evaluation e's training folds only.

    Unlike `held_out`, the threshold of evaluation e is then fitted on training scores made by
    the same parameters as its test scores (as a shipped route would be: one set of
    parameters, one threshold), which matters when the parameters change the score's scale.
    Feed the rows to `accuracy_per_evaluation`.
    """
    fold = np.asarray(fold)
    keys = np.unique(fold)
    out = np.full((len(keys), len(fold)), np.nan)
    for e, k in enumerate(keys):
        params = fit({name: np.array(a[fold != k]) for name, a in data.items()})
        out[e] = apply(params, {name: np.array(a) for name, a in data.items()})
    return out


def z_fusion_fit(train: dict[str, np.ndarray]) -> np.ndarray:
    """`accurate`'s rule: weight 1 / spread of each model's impostor scores (columns of "scores")."""
    imp = train["scores"][~train["same"]]
    return 1.0 / np.nanstd(imp, axis=0)


def z_fusion_apply(weights: np.ndarray, test: dict[str, np.ndarray]) -> np.ndarray:
    return test["scores"] @ weights / weights.sum()


def accuracy_per_evaluation(scores: np.ndarray, same: np.ndarray, fold: np.ndarray,
                            exclude: np.ndarray | None = None) -> dict[str, Any]:
    """LFW accuracy from scores[e] (one row of pair scores per evaluated fold, in np.unique order).

    Evaluation e fits its threshold on its own training rows (fold != k) and is scored on
    fold k, leaving out the pairs flagged in `exclude` (e.g. known label errors) from the
    score only: the threshold is fitted on all training pairs, as published.
    """
    keys = np.unique(fold)
    per = []
    for e, k in enumerate(keys):
        s = np.where(np.isnan(scores[e]), -np.inf, scores[e])
        t = _fit_threshold(s[fold != k], same[fold != k])
        test = (fold == k) if exclude is None else (fold == k) & ~exclude
        per.append(float(np.mean((s[test] >= t) == same[test])))
    acc = np.array(per)
    return {"mean": float(acc.mean()), "std": float(acc.std(ddof=1)),
            "stderr": float(acc.std(ddof=1) / math.sqrt(acc.size)), "per_fold": per}


def same_for_every_evaluation(scores: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """A route without cohort: the same score row under every evaluated fold."""
    return np.tile(scores, (len(np.unique(fold)), 1))
