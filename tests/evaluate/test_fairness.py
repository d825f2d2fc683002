"""Fairness tables on hand-worked cases: per-group rates at global thresholds, ratios, verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from faceprint.evaluate.fairness import NO_GROUPS, GroupPairs, all_pairs, fairness, fairness_section, group_rates

# Group x: genuine 0.9, 0.4; impostors 0.6, 0.2, 0.1, 0.0. Group y: genuine 0.8, 0.7; impostors
# 0.3, 0.2, 0.1, 0.05. One cross-group genuine pair (0.1) that no group owns.
PAIRS = GroupPairs(
    genuine=np.array([0.9, 0.4, 0.8, 0.7, 0.1]), genuine_group=np.array([0, 0, 1, 1, -1]),
    impostor=np.array([0.6, 0.2, 0.1, 0.0, 0.3, 0.2, 0.1, 0.05]), impostor_group=np.array([0, 0, 0, 0, 1, 1, 1, 1]),
    names=["x", "y"])


def _by_group(table):
    return {g["group"]: g for g in table["groups"]}


def test_rates_per_group_at_a_threshold():
    (t,) = group_rates(PAIRS, {"t=0.45": (0.45, None)})
    x, y = _by_group(t)["x"], _by_group(t)["y"]
    assert (x["fnmr"], x["fmr"], x["false_non_matches"], x["false_matches"]) == (0.5, 0.25, 1, 1)
    assert (y["fnmr"], y["fmr"]) == (0.0, 0.0)
    assert x["n_genuine"] == 2 and x["n_impostor"] == 4  # the cross-group genuine pair is nobody's
    # Only the minimum is 0: the ratio is infinite (None in JSON, flagged), and that is unfair.
    assert t["fmr_max_min_ratio"] is None and t["fmr_ratio_infinite"]
    assert t["fnmr_max_min_ratio"] is None and t["fnmr_ratio_infinite"]
    assert t["fair"] == "no"


@pytest.mark.parametrize("threshold, fmr_ratio, fnmr_ratio, fair", [
    (0.25, 1.0, 1.0, "yes"),   # x: FMR 1/4 (0.6), y: FMR 1/4 (0.3); nobody falsely rejected
    (0.15, 1.0, 1.0, "yes"),   # FMR 2/4 in both groups
    (0.75, 1.0, 1.0, "yes"),   # FNMR 1/2 in both (0.4 and 0.7); no false match anywhere: 0/0 is equal
    (0.85, 1.0, 2.0, "no"),    # FNMR x 1/2, y 2/2: ratio 2 > 1.5
])
def test_ratios_and_verdicts(threshold, fmr_ratio, fnmr_ratio, fair):
    (t,) = group_rates(PAIRS, {"t": (threshold, None)}, max_ratio=1.5)
    assert math.isclose(t["fmr_max_min_ratio"], fmr_ratio)
    assert math.isclose(t["fnmr_max_min_ratio"], fnmr_ratio)
    assert t["fair"] == fair


def test_tolerance_is_the_callers_choice():
    (t,) = group_rates(PAIRS, {"t": (0.85, None)}, max_ratio=2.0)
    assert t["fair"] == "yes" and "<= 2" in t["why"]


def test_an_fmr_no_group_can_measure_cannot_be_judged():
    # FMR 0.1 needs ceil(1/0.1) = 10 impostor pairs per group; each group has 4.
    (t,) = group_rates(PAIRS, {"FMR 0.1": (0.5, 0.1)})
    assert not any(g["fmr_measurable"] for g in t["groups"])
    assert t["fair"] == "cannot tell" and t["fmr_max_min_ratio"] is None and not t["fmr_ratio_infinite"]


def test_all_pairs_by_class_and_group_with_a_missing_face():
    v = np.array([[1, 0], [0.6, 0.8], [0, 1], [np.nan, np.nan]], np.float32)
    p = all_pairs(v, ["A", "A", "B", "B"], ["x", "x", "y", "y"])
    assert p.names == ["x", "y"]
    gen = sorted(zip(p.genuine_group.tolist(), p.genuine.tolist()))
    assert gen[0] == (0, pytest.approx(0.6)) and gen[1] == (1, -math.inf)  # B's pair has no face: -inf
    imp = sorted(zip(p.impostor_group.tolist(), p.impostor.tolist()))
    assert [g for g, _ in imp] == [-1, -1, -1, -1]  # every A-B pair spans the two groups
    assert sorted(s for _, s in imp) == [-math.inf, -math.inf, 0.0, pytest.approx(0.8)]


def test_blocks_do_not_change_the_pairs():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(37, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    ids = rng.integers(0, 6, 37).astype(str)
    grp = rng.integers(0, 3, 37).astype(str)
    a, b = all_pairs(v, ids, grp, block=5), all_pairs(v, ids, grp, block=100)
    assert a.impostor.size + a.genuine.size == 37 * 36 // 2
    np.testing.assert_allclose(np.sort(a.impostor), np.sort(b.impostor), rtol=1e-6)
    np.testing.assert_allclose(np.sort(a.genuine), np.sort(b.genuine), rtol=1e-6)


def test_without_group_columns_the_report_says_so():
    v = np.eye(3, dtype=np.float32)
    assert fairness(v, ["a", "b", "c"], {}) == {"evaluated": False, "reason": NO_GROUPS}
    assert fairness_section({"m": v}, ["a", "b", "c"], {})["reason"] == "no group columns: fairness not evaluated"


def test_fairness_uses_global_thresholds_and_omits_unsupported_fmrs():
    rng = np.random.default_rng(1)
    n = 60
    ids = np.repeat(np.arange(20), 3).astype(str)
    centres = rng.normal(size=(20, 16))
    v = (centres[np.repeat(np.arange(20), 3)] + 0.3 * rng.normal(size=(n, 16))).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    groups = {"half": np.where(np.arange(n) < 30, "first", "second")}
    f = fairness(v, ids, groups, fmrs=(1e-1, 1e-2, 1e-4), extra_thresholds={"hand": 0.5})
    col = f["columns"]["half"]
    assert col["n_impostor"] == n * (n - 1) // 2 - 20 * 3 and col["n_genuine"] == 60
    assert col["omitted_fmrs"] == [1e-4]  # 1,710 impostor pairs support 1e-1 and 1e-2 only
    labels = [t["threshold_label"] for t in col["tables"]]
    assert labels == ["overall FMR 0.1", "overall FMR 0.01", "hand"]
    # The global threshold keeps the overall FMR at or under its target.
    all_imp = all_pairs(v, ids, groups["half"]).impostor
    t01 = col["tables"][0]["threshold"]
    assert np.mean(all_imp >= t01) <= 0.1

