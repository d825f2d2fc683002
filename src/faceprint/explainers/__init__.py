"""Explain a match: where two faces look alike and where they differ (issue 8).

`explain(analyzer, a, b)` -> `Explanation` (maps, per-region shares, a sentence);
`render(explanation)` -> the side-by-side picture; `faithfulness` measures whether the
maps are true to the model (deletion curves against random orders).

The package is `explainers` (like detectors, embedders, assessors) so that importing it
never rebinds the top-level verb `faceprint.explain`.
"""

from __future__ import annotations

from .explanation import Explanation, FaceMaps, explain

__all__ = ["Explanation", "FaceMaps", "explain"]
