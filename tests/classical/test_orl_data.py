"""The classical pipelines on ORL (real data; skipped when absent). Prints the measured numbers."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.bench.classical import (  # noqa: E402
    IDENT_KS, classical_features, orl_identification, read_pairs, systems, verification_accuracy)

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def orl(shared_data):
    root = shared_data / "orl_faces"
    paths = sorted((str(p) for p in (root / "images").glob("s*/*.pgm")),
                   key=lambda p: (int(p.split("/")[-2][1:]), int(p.split("/")[-1][:-4])))
    assert len(paths) == 400
    found = systems(classical_features(paths, ("lab-skin",), 2), len(paths))
    a, b, same, _ = read_pairs(root / "pairs.csv", root)
    index = {p: i for i, p in enumerate(paths)}
    pairs = (np.array([index[p] for p in a]), np.array([index[p] for p in b]), same, np.arange(len(same)) % 10)
    return paths, found, pairs


@pytest.mark.parametrize("name, floor_k5, floor_ver", [
    ("dwt-haar-1", 0.80, 0.75), ("dwt-haar-3", 0.80, 0.75), ("dwt-haar-3 (paper)", 0.80, 0.75),
    ("dwt-db2-2", 0.80, 0.75), ("dct-global", 0.80, 0.75), ("dct", 0.40, 0.65)])
def test_orl_identification_and_verification(orl, name, floor_k5, floor_ver):
    paths, found, (ia, ib, same, folds) = orl
    v, metric = found[name]
    assert not np.isnan(v[:, 0]).any()  # grey ORL crops are taken whole: never "no face"
    rates = {k: orl_identification(v, metric, paths, k) for k in IDENT_KS}
    ver = verification_accuracy(v, metric, ia, ib, same, folds)["accuracy"]
    print(f"\n{name}: ORL rank-1 " + ", ".join(f"k={k} {r:.3f}" for k, r in rates.items()) + f"; verification {ver:.3f}")
    assert rates[1] <= rates[3] + 0.02 and rates[3] <= rates[5] + 0.02  # more references help
    assert rates[5] >= floor_k5 and ver >= floor_ver
