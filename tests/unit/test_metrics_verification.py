"""Verification metrics on hand-worked cases, against scikit-learn, and on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from faceprint.errors import InputError
from faceprint.evaluate.verification import (
    auc,
    best_accuracy_threshold,
    bootstrap_ci,
    eer,
    fmr_at_threshold,
    fnmr_at_threshold,
    kfold_accuracy,
    min_impostors,
    roc,
    supported_fmrs,
    tar_at_far,
    threshold_at_fmr,
)

# 4 genuine (0.9, 0.8, 0.6, 0.4) and 3 impostor (0.7, 0.6, 0.3); one genuine/impostor tie at 0.6.
S = [0.9, 0.8, 0.7, 0.6, 0.6, 0.4, 0.3]
Y = [1, 1, 0, 1, 0, 1, 0]


def test_roc_hand_worked():
    # threshold: inf  .9   .8   .7   .6   .4   .3
    # genuine>=t:  0    1    2    2    3    4    4   -> /4
    # impost>=t:   0    0    0    1    2    2    3   -> /3  (the 0.6 tie moves both at once)
    fmr, tmr, thr = roc(S, Y)
    np.testing.assert_allclose(thr, [np.inf, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3])
    np.testing.assert_allclose(tmr, [0, 0.25, 0.5, 0.5, 0.75, 1, 1])
    np.testing.assert_allclose(fmr, [0, 0, 0, 1 / 3, 2 / 3, 2 / 3, 1])


def test_auc_hand_worked_tie_counts_half():
    # genuine-beats-impostor counts: 0.9 -> 3, 0.8 -> 3, 0.6 -> 1 + 0.5 (tie), 0.4 -> 1: 8.5 / 12
    assert auc(S, Y) == pytest.approx(8.5 / 12, abs=1e-12)


def test_eer_hand_worked():
    # fnmr = 1 - tmr: 1, .75, .5, .5, .25, 0, 0; fmr: 0, 0, 0, 1/3, 2/3, 2/3, 1
    # d = fmr - fnmr first >= 0 at t=.6 (d=5/12), previous t=.7 (d=-1/6): w = (1/6)/(7/12) = 2/7
    # eer = 1/3 + 2/7 * 1/3 = 3/7 (fnmr: .5 - 2/7 * .25 = 3/7 too); t = .7 - 2/7 * .1
    value, t = eer(S, Y)
    assert value == pytest.approx(3 / 7, abs=1e-12)
    assert t == pytest.approx(0.7 - 0.2 / 7, abs=1e-12)


def test_eer_separable_is_zero_at_lowest_genuine():
    # thr inf .9 .8 .2 .1: d = -1, -.5, 0, ... -> crossing exactly at .8 (w = 1)
    assert eer([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == (0.0, pytest.approx(0.8))


def test_eer_first_point_crossing_uses_lower_threshold():
    # genuine 0.9, impostor 0.9 tie, impostor 0.1: thr inf, .9, .1; fmr 0, .5, 1; fnmr 1, 0, 0
    # d = -1, .5 -> w = 2/3, eer = 1/3; upper threshold is +inf so the .9 threshold is returned
    assert eer([0.9, 0.9, 0.1], [1, 0, 0]) == (pytest.approx(1 / 3), 0.9)


@pytest.mark.parametrize("seed", range(5))
def test_roc_and_auc_match_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 400)
    s = rng.integers(0, 15, 400) / 15 + 0.1 * y  # few distinct values: many ties
    fmr, tmr, thr = roc(s, y)
    fpr_ref, tpr_ref, thr_ref = roc_curve(y, s, drop_intermediate=False)
    assert fmr.shape == fpr_ref.shape
    np.testing.assert_allclose(fmr, fpr_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(tmr, tpr_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(thr, thr_ref, rtol=0, atol=1e-9)
    assert auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-9)


def test_threshold_at_fmr_hand_worked_and_tar():
    # impostors .7 .6 .3, fmr 1/3: k = floor(3 * 1/3) = 1 may pass -> t just above the 2nd highest (.6)
    t = threshold_at_fmr([0.7, 0.6, 0.3], 1 / 3)
    assert t == np.nextafter(0.6, 1.0)
    # genuine >= t: .9, .8 of (.9, .8, .6, .4) -> tar .5; impostors >= t: .7 -> 1/3
    assert tar_at_far(S, Y, 1 / 3) == {"tar": 0.5, "threshold": t, "far_actual": pytest.approx(1 / 3)}


def test_threshold_at_fmr_never_splits_a_tie():
    # impostors .5 .5 .5 .1, fmr .5: k = 2 but the 3rd highest is also .5 -> t above .5, 0 pass
    t = threshold_at_fmr([0.5, 0.5, 0.5, 0.1], 0.5)
    assert t > 0.5 and fmr_at_threshold([0.5, 0.5, 0.5, 0.1], t) == 0.0


def test_threshold_at_fmr_is_smallest_on_random_data():
    rng = np.random.default_rng(1)
    imp = np.round(rng.normal(size=1000), 2)  # rounded: ties
    for fmr in (0.1, 0.01, 0.005, 0.001):
        t = threshold_at_fmr(imp, fmr)
        assert fmr_at_threshold(imp, t) <= fmr
        assert fmr_at_threshold(imp, np.nextafter(t, -np.inf)) > fmr


def test_threshold_at_fmr_float_slack():
    # 0.29 * 100 = 28.999999999999996 in floats: 29 impostors may still pass
    imp = np.arange(100.0)
    assert fmr_at_threshold(imp, threshold_at_fmr(imp, 0.29)) == pytest.approx(0.29)


def test_threshold_at_fmr_one_allows_everything():
    assert threshold_at_fmr([0.2, 0.4], 1.0) == -math.inf


def test_supported_fmrs_rule():
    # need ceil(1/fmr) impostors: 10 for 0.1, 100 for 0.01, 4 for 0.3
    assert min_impostors(0.1) == 10 and min_impostors(0.01) == 100 and min_impostors(0.3) == 4
    assert supported_fmrs(99, (0.1, 0.01, 0.3)) == (0.1, 0.3)
    assert supported_fmrs(100, (0.1, 0.01)) == (0.1, 0.01)
    with pytest.raises(InputError, match=r"needs at least 100 impostor"):
        threshold_at_fmr(np.zeros(99), 0.01)
    threshold_at_fmr(np.zeros(100), 0.01)


def test_error_rates_at_threshold():
    assert fnmr_at_threshold([0.9, 0.5, 0.4, 0.1], 0.5) == 0.5  # .4 and .1 fall below
    assert fmr_at_threshold([0.9, 0.5, 0.4, 0.1], 0.5) == 0.5  # .9 and .5 pass (>=)


def test_best_accuracy_threshold_separable():
    # unique .1 .2 .3 .8 .9 -> midpoint .25 separates perfectly
    assert best_accuracy_threshold([0.1, 0.2, 0.3, 0.8, 0.9], [0, 0, 1, 1, 1]) == pytest.approx(0.25)


def test_best_accuracy_threshold_tie_takes_lowest():
    # sorted: .1(imp) .35(gen) .4(imp) .8(gen); candidates .1 .225 .375 .6 inf
    # correct:         2         3         2       3    2  -> .225 and .6 tie; lowest wins
    assert best_accuracy_threshold([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.225)


def _lfw_like():
    # fold 0 and 1: genuine .9 .8, impostor .2 .1; fold 2: genuine .9 .25, impostor .2 .1
    fold = [[0.9, 0.8, 0.2, 0.1], [0.9, 0.8, 0.2, 0.1], [0.9, 0.25, 0.2, 0.1]]
    return np.array(fold).ravel(), np.array([1, 1, 0, 0] * 3)


def test_kfold_accuracy_known_answer():
    # held out 0 (or 1): train has .25 genuine -> t = (.2 + .25)/2 = .225, test all right: 1.0
    # held out 2: train unique .1 .2 .8 .9 -> t = .5, test rejects genuine .25: 3/4
    # mean 11/12; std (ddof=1) = sqrt((2 * (1/12)^2 + (1/6)^2) / 2) = sqrt(1/48); stderr = 1/12
    s, y = _lfw_like()
    r = kfold_accuracy(s, y, 3)
    assert r["per_fold"] == [1.0, 1.0, 0.75]
    np.testing.assert_allclose(r["thresholds"], [0.225, 0.225, 0.5])
    assert r["mean"] == pytest.approx(11 / 12)
    assert r["std"] == pytest.approx(math.sqrt(1 / 48))
    assert r["stderr"] == pytest.approx(1 / 12)


def test_kfold_accuracy_explicit_fold_ids_match_contiguous():
    s, y = _lfw_like()
    perm = np.random.default_rng(0).permutation(12)
    ids = np.repeat([0, 1, 2], 4)
    r = kfold_accuracy(s[perm], y[perm], ids[perm])
    assert r["per_fold"] == [1.0, 1.0, 0.75]


def test_kfold_accuracy_nan_is_different():
    # genuine .8 of fold 0 failed (NaN -> -inf):
    # fold 0: train folds 1+2 -> t = .225, test: NaN pair predicted different -> 3/4
    # fold 1: train has genuine -inf .9 .9 .25 -> .225 still best (7/8) -> test 1.0
    # fold 2: train unique finite .1 .2 .8 .9 -> t = .5 -> 3/4
    s, y = _lfw_like()
    s[1] = np.nan
    r = kfold_accuracy(s, y, 3)
    assert r["per_fold"] == [0.75, 1.0, 0.75]
    assert r["mean"] == pytest.approx(2.5 / 3)


def test_nan_never_accepted_even_if_all_genuine_failed():
    # all genuine failed: "accept all finite" is the lowest candidate, never -inf
    t = best_accuracy_threshold([np.nan, np.nan, 0.3, 0.4], [1, 1, 0, 0])
    assert t > -np.inf


def test_bootstrap_ci_deterministic_and_sane():
    x = np.r_[np.ones(200), np.zeros(200)]  # mean .5, se = .5 / sqrt(400) = .025
    a = bootstrap_ci(np.mean, x, n=2000, seed=3)
    assert a == bootstrap_ci(np.mean, x, n=2000, seed=3)
    assert a != bootstrap_ci(np.mean, x, n=2000, seed=4)
    # normal approximation: .5 -+ 1.96 * .025 = (.451, .549)
    assert a[0] == pytest.approx(0.451, abs=0.01) and a[1] == pytest.approx(0.549, abs=0.01)


def test_bootstrap_ci_resamples_rows_jointly():
    x = np.arange(50.0)
    assert bootstrap_ci(lambda a, b: float(np.abs(b - 2 * a).max()), x, 2 * x, n=50) == (0.0, 0.0)


def test_bootstrap_ci_of_auc_brackets_point_estimate():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(100), np.zeros(100)]
    s = rng.normal(size=200) + y
    lo, hi = bootstrap_ci(auc, s, y, n=200)
    assert lo < auc(s, y) < hi


@pytest.mark.parametrize(
    "fn", [roc, auc, eer, best_accuracy_threshold, kfold_accuracy, lambda s, y: tar_at_far(s, y, 0.5)]
)
@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([], [], "empty"),
        ([0.1, 0.2, 0.3], [1, 1, 1], "both genuine"),
        ([0.1, 0.2, 0.3], [0, 0, 0], "both genuine"),
        ([0.1, 0.2, 0.3], [1, 0], "differ in length"),
        ([0.1, 0.2, 0.3], [1, 0, 2], "0 .impostor. or 1"),
        ([[0.1, 0.2]], [1, 0], "1-D"),
        (["a", "b"], [1, 0], "numbers"),
    ],
)
def test_bad_input(fn, scores, labels, message):
    with pytest.raises(InputError, match=message):
        fn(scores, labels)


def test_nan_refused_outside_lfw_protocol():
    with pytest.raises(InputError, match="NaN"):
        roc([0.1, np.nan], [1, 0])


@pytest.mark.parametrize("fmr", [0, -0.1, 1.5, True, "0.1"])
def test_bad_fmr(fmr):
    with pytest.raises(InputError, match="fmr"):
        threshold_at_fmr([0.1, 0.2], fmr)


def test_bad_folds_and_bootstrap_args():
    s, y = _lfw_like()
    with pytest.raises(InputError, match="folds"):
        kfold_accuracy(s, y, 1)
    with pytest.raises(InputError, match="folds"):
        kfold_accuracy(s, y, [0, 1])
    with pytest.raises(InputError, match="only one class"):
        kfold_accuracy(s, y, np.where(y == 1, 0, np.arange(12) % 2 + 1))  # fold 0 = every genuine
    with pytest.raises(InputError, match="equal length"):
        bootstrap_ci(auc, s, y[:5])
    with pytest.raises(InputError, match="alpha"):
        bootstrap_ci(auc, s, y, alpha=1.5)
