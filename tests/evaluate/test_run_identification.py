"""The identification protocol's own arithmetic (the metrics themselves are tested in tests/unit)."""

from __future__ import annotations

import numpy as np
import pytest


def test_two_column_reduction_gives_the_same_open_set_numbers():
    """The identification bootstrap resamples a (P, 2) summary; it must equal the full matrix."""
    from faceprint.evaluate.identification import open_set
    from faceprint.evaluate.run_identification import _TWO, two_column

    rng = np.random.default_rng(3)
    s = np.round(rng.normal(size=(300, 12)), 1)  # rounding makes ties
    s[5], s[:, 3] = -np.inf, -np.inf  # a probe with no face, a template with no face
    gallery = np.array(list("abcdefabcdef"))
    probes = rng.choice(list("abcdefxyz"), 300)
    full = open_set(s, probes, gallery, (0.1, 0.01))
    small, labels = two_column(s, probes, gallery)
    two = open_set(small, labels, _TWO, (0.1, 0.01))
    assert two["n_mated"] == full["n_mated"] and two["n_non_mated"] == full["n_non_mated"]
    for a, b in zip(full["points"], two["points"]):
        assert a == pytest.approx(b)
