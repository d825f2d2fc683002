"""Clustering metrics: hand-worked case, brute force on small data, scikit-learn, 100k items."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.cluster import pair_confusion_matrix

from faceprint.errors import InputError
from faceprint.evaluate.clustering import bcubed_prf, clustering_report, nmi, pairwise_prf

# true clusters {0,1,2} {3,4} {5}; predicted {0,1} {2,3,4,5}
TRUE = [0, 0, 0, 1, 1, 2]
PRED = [0, 0, 1, 1, 1, 1]


def test_pairwise_hand_worked():
    # together in both: (0,1), (3,4) = 2; predicted pairs C(2,2) + C(4,2) = 7; true pairs 3 + 1 = 4
    # P = 2/7, R = 1/2, F1 = 2 * (1/7) / (2/7 + 1/2) = 4/11
    assert pairwise_prf(TRUE, PRED) == pytest.approx((2 / 7, 1 / 2, 4 / 11))


def test_bcubed_hand_worked():
    # item precision (share of its predicted cluster with its label): 1, 1, 1/4, 2/4, 2/4, 1/4 -> 3.5/6
    # item recall (share of its true cluster with it in pred):      2/3, 2/3, 1/3, 1, 1, 1    -> 14/3/6
    # P = 7/12, R = 7/9, F1 = 2PR/(P+R) = 2/3
    assert bcubed_prf(TRUE, PRED) == pytest.approx((7 / 12, 7 / 9, 2 / 3))


def test_nmi_hand_worked_extremes():
    assert nmi([0, 0, 1, 1], [5, 5, 3, 3]) == pytest.approx(1.0)  # same partition, renamed
    assert nmi([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0  # independent: MI = 0
    assert nmi([7, 7, 7], [1, 1, 1]) == 1.0  # both unsplit (sklearn's convention)
    assert nmi([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0


def test_all_singletons_predicted():
    # no predicted pairs: precision 0/0 := 1, recall 0; BCubed precision 1, recall 2/3 per item in {0,1,2}
    p, r, f = pairwise_prf([0, 0, 0, 1], [0, 1, 2, 3])
    assert (p, r, f) == (1.0, 0.0, 0.0)
    assert bcubed_prf([0, 0, 0, 1], [0, 1, 2, 3])[:2] == pytest.approx((1.0, (1 / 3 * 3 + 1) / 4))


def _brute(true, pred):
    pairs = list(itertools.combinations(range(len(true)), 2))
    same_t = np.array([true[i] == true[j] for i, j in pairs])
    same_p = np.array([pred[i] == pred[j] for i, j in pairs])
    pw_p, pw_r = (same_t & same_p).sum() / same_p.sum(), (same_t & same_p).sum() / same_t.sum()
    bp = np.mean([np.mean(true[pred == pred[i]] == true[i]) for i in range(len(true))])
    br = np.mean([np.mean(pred[true == true[i]] == pred[i]) for i in range(len(true))])
    return pw_p, pw_r, bp, br


@pytest.mark.parametrize("seed", range(3))
def test_against_brute_force_and_sklearn(seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 8, 150)
    pred = np.where(rng.random(150) < 0.7, true, rng.integers(0, 12, 150))
    pw_p, pw_r, bp, br = _brute(true, pred)
    assert pairwise_prf(true, pred)[:2] == pytest.approx((pw_p, pw_r), abs=1e-12)
    assert bcubed_prf(true, pred)[:2] == pytest.approx((bp, br), abs=1e-12)
    assert nmi(true, pred) == pytest.approx(normalized_mutual_info_score(true, pred), abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_nmi_matches_sklearn_string_labels(seed):
    rng = np.random.default_rng(seed)
    true = rng.choice(["ann", "bob", "cy", "dee"], 300)
    pred = rng.integers(0, rng.integers(1, 20), 300)
    assert nmi(true, pred) == pytest.approx(normalized_mutual_info_score(true, pred), abs=1e-9)


def test_100k_items_fast_and_matches_sklearn_pair_counts():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 5000, 100_000)
    pred = np.where(rng.random(100_000) < 0.8, true, rng.integers(0, 7000, 100_000))
    start = time.perf_counter()
    report = clustering_report(true, pred)
    assert time.perf_counter() - start < 2.0
    c = pair_confusion_matrix(true, pred)  # ordered-pair counts: [1,1] together in both
    assert report["pairwise_precision"] == pytest.approx(c[1, 1] / (c[1, 1] + c[0, 1]), abs=1e-12)
    assert report["pairwise_recall"] == pytest.approx(c[1, 1] / (c[1, 1] + c[1, 0]), abs=1e-12)
    assert report["nmi"] == pytest.approx(normalized_mutual_info_score(true, pred), abs=1e-9)
    assert report["n_items"] == 100_000
    assert report["n_true"] == np.unique(true).size and report["n_clusters"] == np.unique(pred).size


def test_report_keys_and_values():
    r = clustering_report(TRUE, PRED)
    assert r["pairwise_f1"] == pytest.approx(4 / 11) and r["bcubed_f1"] == pytest.approx(2 / 3)
    assert r["nmi"] == pytest.approx(normalized_mutual_info_score(TRUE, PRED), abs=1e-9)
    assert (r["n_items"], r["n_clusters"], r["n_true"]) == (6, 2, 3)


@pytest.mark.parametrize("fn", [pairwise_prf, bcubed_prf, nmi, clustering_report])
@pytest.mark.parametrize(
    ("true", "pred", "message"),
    [
        ([], [], "empty"),
        ([0, 1, 2], [0, 1], "equal length"),
        ([[0, 1]], [[0, 1]], "1-D"),
        (np.array([1, "a", None], dtype=object), [0, 1, 2], "comparable"),
    ],
)
def test_bad_input(fn, true, pred, message):
    with pytest.raises(InputError, match=message):
        fn(true, pred)
