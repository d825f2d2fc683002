"""Identification metrics (CMC, open-set FNIR at FPIR) on a hand-worked gallery."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import InputError
from faceprint.evaluate.identification import cmc, open_set

# Gallery: A has two templates, B and C one each.
GALLERY = np.array(["A", "A", "B", "C"])
PROBES = np.array(["A", "B", "C", "D", "E"])  # D and E are not enrolled (non-mated)
SIM = np.array([
    # A1    A2    B     C        per identity (max over templates)  true rank
    [0.2, 0.9, 0.5, 0.1],  # A: A=.9  B=.5  C=.1   -> 1 (only if A's best template is used)
    [0.3, 0.1, 0.45, 0.2],  # B: A=.3  B=.45 C=.2  -> 1, but with a low score
    [0.4, 0.4, 0.2, 0.4],  # C: A=.4  B=.2  C=.4   -> tie with A: pessimistic rank 2
    [0.3, 0.2, 0.8, 0.1],  # D: top .8
    [0.1, 0.5, 0.2, 0.3],  # E: top .5
])


def test_cmc_hand_worked():
    # mated ranks 1, 1, 2 -> rank1 2/3, rank2 and beyond 3/3
    r = cmc(SIM, PROBES, GALLERY, ranks=(1, 2, 5))
    assert r["rates"] == {1: pytest.approx(2 / 3), 2: 1.0, 5: 1.0}
    assert (r["n_probes"], r["n_skipped"]) == (3, 2)


def test_cmc_does_not_depend_on_gallery_order():
    perm = [3, 1, 2, 0]
    assert cmc(SIM[:, perm], PROBES, GALLERY[perm], ranks=(1, 2)) == cmc(SIM, PROBES, GALLERY, ranks=(1, 2))


def test_cmc_all_equal_scores_gets_no_credit():
    # every identity ties with the true one: pessimistic rank = number of identities (3)
    r = cmc(np.zeros((3, 4)), ["A", "B", "C"], GALLERY, ranks=(1, 2, 3))
    assert r["rates"] == {1: 0.0, 2: 0.0, 3: 1.0}


def test_open_set_hand_worked():
    # non-mated tops .8 .5. FPIR .5: 2 >= ceil(1/.5), k = 1 passes -> t just above .5
    #   mated hits (rank 1 and score >= t): A (.9) only; B's .45 < t; C is rank 2 -> FNIR 2/3
    # FPIR 1: t = -inf -> hits A and B -> FNIR 1/3
    # FPIR .1 needs 10 non-mated probes -> omitted
    r = open_set(SIM, PROBES, GALLERY, fpirs=(0.5, 1.0, 0.1))
    assert r["omitted"] == [0.1]
    assert (r["n_mated"], r["n_non_mated"]) == (3, 2)
    p5, p1 = r["points"]
    assert p5["fpir"] == 0.5 and p5["threshold"] == np.nextafter(0.5, 1)
    assert p5["fnir"] == pytest.approx(2 / 3) and p5["fpir_actual"] == 0.5
    assert p1["threshold"] == -np.inf and p1["fnir"] == pytest.approx(1 / 3) and p1["fpir_actual"] == 1.0


def test_open_set_without_non_mated_omits_everything():
    r = open_set(SIM[:3], PROBES[:3], GALLERY, fpirs=(0.1, 0.01))
    assert r["points"] == [] and r["omitted"] == [0.1, 0.01] and r["n_non_mated"] == 0


def test_open_set_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    gallery = rng.integers(0, 30, 60)  # ~30 identities, several templates each
    probes = rng.integers(0, 45, 400)  # labels 30..44 are never enrolled
    sim = np.round(rng.normal(size=(400, 60)), 1)  # rounded: ties
    sim[gallery[None, :] == probes[:, None]] += 1.0
    r = open_set(sim, probes, gallery, fpirs=(0.05,))
    (pt,) = r["points"]
    ids = np.unique(gallery)
    hits, mated = 0, 0
    for row, label in zip(sim, probes):
        best = {g: row[gallery == g].max() for g in ids}
        if label not in best:
            continue
        mated += 1
        true = best[label]
        others = [v for g, v in best.items() if g != label]
        hits += bool(true > max(others) and true >= pt["threshold"])
    assert pt["fnir"] == pytest.approx(1 - hits / mated, abs=1e-12)
    assert pt["fpir_actual"] <= 0.05


@pytest.mark.parametrize(
    ("sim", "probes", "gallery", "message"),
    [
        (np.zeros((0, 3)), [], ["A", "B", "C"], "non-empty 2-D"),
        (np.zeros(3), ["A"], ["A", "B", "C"], "non-empty 2-D"),
        (np.zeros((2, 3)), ["A"], ["A", "B", "C"], "probe_labels: expected 2"),
        (np.zeros((2, 3)), ["A", "B"], ["A", "B"], "gallery_labels: expected 3"),
        (np.full((1, 1), np.nan), ["A"], ["A"], "NaN"),
        (np.zeros((2, 2)), ["X", "Y"], ["A", "B"], "no probe label is in the gallery"),
    ],
)
def test_bad_input(sim, probes, gallery, message):
    for fn in (cmc, open_set):
        with pytest.raises(InputError, match=message):
            fn(sim, probes, gallery)


def test_bad_ranks_and_fpirs():
    with pytest.raises(InputError, match="ranks"):
        cmc(SIM, PROBES, GALLERY, ranks=(0, 1))
    with pytest.raises(InputError, match="fmr"):
        open_set(SIM, PROBES, GALLERY, fpirs=(0.0,))
