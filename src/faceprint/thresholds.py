"""Calibrated thresholds: which similarity means which false-match rate, per pipeline.

The numbers live in `models/calibration.json`, written by `python -m faceprint.calibrate`
(see that module for the data and the procedure). They are measured, never typed in; so is
the list of calibrated rates (`calibrated_rates`), which the CLI help, the service, the
benchmarks and the fairness report read from here.

A caller resolves one `Threshold(value, fmr)` up front (`Threshold.resolve`, or
`Analyzer.threshold` / `Gallery.threshold`, which call it) and passes it down: an
uncalibrated rate fails before any model work, and nothing below chooses again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError

DEFAULT_FMR = 1e-3  # the one default false-match rate of verify, identify, explain, video, index


@dataclass(frozen=True)
class Threshold:
    """A similarity threshold and the false-match rate it was calibrated for (None: given by hand)."""

    value: float
    fmr: float | None

    @classmethod
    def resolve(cls, pipeline: str | None, fmr: float = DEFAULT_FMR, threshold: "float | Threshold | None" = None,
                *, model: str | None = None) -> "Threshold":
        """`threshold` when given (a number claims no rate), else the one `pipeline` has for `fmr`."""
        if isinstance(threshold, Threshold):
            return threshold
        from . import validate

        threshold, fmr = validate.threshold(threshold), validate.fmr(fmr)  # typed errors for bad arguments
        if threshold is not None:
            return cls(float(threshold), None)
        if pipeline is None:
            raise InputError(f"{model or 'this model'!r} has no calibrated thresholds; pass threshold=")
        return cls(float(threshold_for(pipeline, fmr)), float(fmr))


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


def calibrated_rates(pipeline: str | None = None) -> tuple[float, ...]:
    """The false-match rates `calibration.json` has thresholds for (of `pipeline`, else of any
    pipeline), largest first, e.g. (0.01, 0.001, 0.0001)."""
    records = [calibration_for(pipeline) or {}] if pipeline else list(_table()["pipelines"].values())
    return tuple(sorted({float(r) for rec in records for r in rec.get("thresholds", {})}, reverse=True))


def rate_text(rate: float) -> str:
    """1e-3 as "1e-3" (how the docs and the CLI write rates)."""
    return f"{rate:.0e}".replace("e-0", "e-") if rate < 0.1 else f"{rate:g}"


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
