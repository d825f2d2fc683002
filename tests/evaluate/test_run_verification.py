"""The verification protocol's bookkeeping on hand-worked scores (metrics: tests/unit)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from faceprint.evaluate.run_verification import evaluate_model, sampled_roc
from faceprint.evaluate.verification import roc

# 4 genuine pairs (one failed: -inf) and 20 impostor pairs 0.00, 0.05, ..., 0.95.
GEN = np.array([0.9, 0.8, 0.3, -np.inf])
IMP = np.arange(20) * 0.05
SCORES = np.r_[GEN, IMP]
SAME = np.r_[[True] * 4, [False] * 20]


def test_calibrated_thresholds_fnmr_fmr_and_counts():
    r = evaluate_model(SCORES, SAME, None, calibrated={"0.1": 0.42, "0.01": 0.875}, n_boot=20)
    assert r["failed_pairs"] == 1 and r["failed_genuine_pairs"] == 1
    c01, c001 = r["calibrated"]  # sorted by rate, highest first
    # t = 0.42: genuine 0.3 and the failed pair are rejected; impostors 0.45 .. 0.95 (11 of 20) pass.
    assert (c01["fmr_target"], c01["fnmr"], c01["false_non_matches"]) == (0.1, 0.5, 2)
    assert c01["fmr"] == pytest.approx(11 / 20) and c01["false_matches"] == 11
    assert c01["fmr_supported"] is True  # 20 >= ceil(1/0.1)
    # t = 0.875: only 0.9 accepted; impostors 0.9 and 0.95 pass; 20 impostors cannot check FMR 0.01.
    assert c001["fnmr"] == 0.75 and c001["false_matches"] == 2 and c001["fmr_supported"] is False
    lo, hi = c01["fnmr_ci95"]
    assert 0 <= lo <= 0.5 <= hi <= 1


def test_fars_the_impostors_cannot_support_are_listed_not_computed():
    r = evaluate_model(SCORES, SAME, None, n_boot=0)
    assert [t["far"] for t in r["tar_at_far"]] == [0.1]
    assert [(o["far"], o["needs_impostors"], o["have"]) for o in r["omitted_fars"]] == [
        (0.01, 100, 20), (0.001, 1000, 20), (0.0001, 10000, 20)]
    # FAR 0.1 of 20 impostors: 2 may pass, so t is just above the 3rd highest (0.85): TAR 1/4.
    (t,) = r["tar_at_far"]
    assert t["tar"] == 0.25 and t["far_actual"] == pytest.approx(0.1)
    assert r["calibrated"] is None and r["auc"]["ci95"] is None and "kfold_accuracy" not in r


def test_kfold_counts_failed_pairs_as_different():
    fold = np.r_[[1, 2, 1, 2], np.tile([1, 2], 10)]
    r = evaluate_model(SCORES, SAME, fold, n_boot=0)
    acc = r["kfold_accuracy"]
    assert acc["folds"] == 2 and len(acc["per_fold"]) == 2
    # The failed genuine pair (fold 2) is always wrong: fold 2 can be at most 11/12 right.
    assert acc["per_fold"][1] <= 11 / 12


def test_sampled_roc_keeps_ends_and_order():
    fmr, tmr, thr = roc(np.r_[np.random.default_rng(0).normal(1, 1, 500), np.random.default_rng(1).normal(0, 1, 5000)],
                        np.r_[np.ones(500), np.zeros(5000)])
    s = sampled_roc(fmr, tmr, thr)
    assert s["fmr"][0] == 0 and s["fmr"][-1] == 1 and s["tmr"][-1] == 1
    assert np.all(np.diff(s["fmr"]) >= 0) and np.all(np.diff(s["tmr"]) >= 0)
    assert len(s["fmr"]) <= 243 and math.isinf(s["threshold"][0])
