"""Calibrated thresholds: which similarity means which false-match rate, per pipeline.

The numbers live in `models/calibration.json`, written by `python -m faceprint.calibrate`
(see that module for the data and the procedure). They are measured, never typed in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError

DEFAULT_FMR = 1e-3


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    try:
        text = resources.files("faceprint.models").joinpath("calibration.json").read_text()
    except FileNotFoundError:
        return {"pipelines": {}}
    return json.loads(text)


def calibration_for(pipeline: str) -> dict[str, Any] | None:
    """The whole calibration record of one pipeline (thresholds, data, weights), or None."""
    return _table()["pipelines"].get(pipeline)


def calibration_source() -> dict[str, Any]:
    return {k: v for k, v in _table().items() if k != "pipelines"}


def threshold_for(pipeline: str, fmr: float) -> float:
    """The similarity threshold calibrated for `fmr`; only calibrated rates are offered."""
    record = calibration_for(pipeline)
    if record is None:
        raise InputError(f"pipeline {pipeline!r} has no calibrated thresholds; pass a threshold explicitly")
    table = {float(k): float(v) for k, v in record["thresholds"].items()}
    for rate, value in table.items():
        if abs(rate - fmr) <= 1e-12 + 1e-6 * rate:
            return value
    rates = ", ".join(f"{r:g}" for r in sorted(table, reverse=True))
    raise InputError(f"no threshold calibrated for FMR {fmr:g} with {pipeline!r}; calibrated rates: {rates}")


def fusion_weights(pipeline: str, embedders: tuple[str, ...]) -> list[float]:
    """The fused pipeline's per-embedder weights, as measured; never a silent default."""
    if len(embedders) == 1:
        return [1.0]  # nothing is fused: the weight only rescales, and the vector is normalised
    weights = (calibration_for(pipeline) or {}).get("fusion_weights", {})
    missing = [name for name in embedders if name not in weights]
    if missing:
        raise InputError(f"pipeline {pipeline!r} has no calibrated fusion weight for {', '.join(missing)}; "
                         "run python -m faceprint.calibrate")
    return [float(weights[name]) for name in embedders]
