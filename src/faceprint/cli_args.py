"""Typed argparse values shared by every subcommand: a bad value is a usage error (exit 2)."""

from __future__ import annotations

import argparse
import math
from typing import Callable


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
    """A number in (low, high) — or (low, high] with `high_inclusive`."""
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
