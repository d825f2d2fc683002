"""Faithfulness on real genuine pairs: hiding what the map ranks first lowers similarity faster."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.data
def test_map_order_deletes_the_match_faster_than_random(shared_data, fast):
    from faceprint.bench.explain import genuine_pairs
    from faceprint.explainers.explanation import explain_pair, prepare
    from faceprint.explainers.faithfulness import deletion

    diffs = []
    for k, (a, b) in enumerate(genuine_pairs(shared_data / "lfw_deepfunneled", 8)):
        pair = prepare(fast, a, b, face_rule="central")
        d = deletion(fast, pair, explain_pair(fast, pair), randoms=1, seed=k)
        assert np.allclose(d.by_map[[0, -1]], d.by_random[0, [0, -1]], atol=1e-5)  # same start and end
        diffs.append(d.auc_map - d.auc_random)
    diffs = np.array(diffs)
    print(f"deletion AUC map - random over {len(diffs)} genuine LFW pairs: mean {diffs.mean():.3f}, "
          f"map lower on {(diffs < 0).sum()}")
    assert diffs.mean() < -0.05 and (diffs < 0).sum() >= 6
