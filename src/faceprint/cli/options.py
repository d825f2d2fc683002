"""Options and typed values shared by the subcommands, declared once.

A bad value is a usage error: one line on stderr and exit 2 (see `main.Parser`). `--model`'s
choices and help come from the model registry, the calibrated rates in `--fmr`'s help from
`calibration.json`, so neither is typed in twice.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Callable


def int_at_least(minimum: int, what: str = "value") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


def float_in(low: float, high: float, what: str, *, high_inclusive: bool = False) -> Callable[[str], float]:
    """A number in (low, high), or (low, high] with `high_inclusive`."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: not a number: {text!r}") from None
        inside = low < value <= high if high_inclusive else low < value < high
        if math.isnan(value) or not inside:
            bracket = "]" if high_inclusive else ")"
            raise argparse.ArgumentTypeError(f"{what} must be in ({low:g}, {high:g}{bracket}, got {text}")
        return value

    return parse


def finite_float(what: str) -> Callable[[str], float]:
    """Any finite number: `nan`, `inf` and `-inf` are refused (they compare false with everything)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}: not a number: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number, got {text}")
        return value

    return parse


fmr_value = float_in(0, 1, "a false-match rate")
face_index = int_at_least(0, "a face index (0 = largest)")
threshold_value = finite_float("--threshold")


def pipeline_names() -> tuple[list[str], str]:
    """(every registered pipeline name, the default one), from the model registry."""
    from ..models.catalog import DEFAULT_PIPELINE
    from ..models.registry import pipeline_names as registered

    return registered(), DEFAULT_PIPELINE


def calibrated_rates() -> str:
    """The default pipeline's calibrated false-match rates, e.g. "1e-2, 1e-3, 1e-4"."""
    from ..thresholds import calibrated_rates, rate_text

    _, default = pipeline_names()
    return ", ".join(rate_text(r) for r in calibrated_rates(default)) or "none"


def add_model(parser: argparse.ArgumentParser, *, default_note: str | None = None, repeat: bool = False,
              purpose: str = "") -> None:
    """`--model NAME`: the names in the help come from the registry. `default_note` says what no --model means.

    The name is checked by the registry when the pipeline loads (UnknownModelError: one line
    listing the valid names, exit 2), not by argparse, so the library and the CLI say the same.
    """
    names, default = pipeline_names()
    note = default_note or f"default: {default}"
    parser.add_argument("--model", default=None, metavar="NAME",
                        action="append" if repeat else "store",
                        help=f"pipeline{purpose} ({note}; repeatable)" if repeat else
                             f"pipeline{purpose} ({note}): {', '.join(names)}; see `faceprint models`")


def add_json(parser: argparse.ArgumentParser, help_: str = "machine-readable JSON (JSON Lines for many results)"
             ) -> None:
    parser.add_argument("--json", action="store_true", help=help_)


def add_fmr(parser: argparse.ArgumentParser, what: str = "the threshold is calibrated for") -> None:
    from ..thresholds import DEFAULT_FMR, rate_text

    parser.add_argument("--fmr", type=fmr_value, default=DEFAULT_FMR,
                        help=f"false-match rate {what} (calibrated: {calibrated_rates()}; "
                             f"default {rate_text(DEFAULT_FMR)})")


def add_threshold(parser: argparse.ArgumentParser,
                  help_: str = "use this similarity threshold instead (no FMR is claimed)") -> None:
    parser.add_argument("--threshold", type=threshold_value, default=None, help=help_)


def add_image_command(sub: Any, name: str, help_: str, func: Callable[[argparse.Namespace], int], *,
                      description: str | None = None, images: str | int = "+", model_purpose: str = "",
                      json_help: str | None = None) -> argparse.ArgumentParser:
    """A subcommand that runs a pipeline on IMAGE files: its parser with --model, --json and the
    IMAGE arguments declared the one way (the command adds its own options to what it returns)."""
    p = sub.add_parser(name, help=help_, description=description or help_)
    p.set_defaults(func=func)
    add_model(p, purpose=model_purpose)
    if json_help is None:
        add_json(p)
    else:
        add_json(p, json_help)
    p.add_argument("images", nargs=images, metavar="IMAGE")
    return p
