"""Checks of the public functions' arguments, done once at the entry points.

A wrong type or value is a typed error with a sentence naming the argument and what came,
before any model is loaded or any work is done: never a bare TypeError from deep inside
numpy, and never a NaN answer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ArgumentTypeError, FaceIndexError, InputError, ShapeError
from .types import FACE_RULES


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def fmr(value: Any) -> float:
    """A false-match rate: a finite number in (0, 1)."""
    if not _is_number(value):
        raise ArgumentTypeError(f"fmr must be a number such as 1e-3, got {_shown(value)}")
    rate = float(value)
    if not 0 < rate < 1:  # also refuses NaN and infinities
        raise InputError(f"fmr must be a rate between 0 and 1 (such as 1e-3), got {rate:g}")
    return rate


def threshold(value: Any) -> float | None:
    """None (use the calibrated one) or a finite similarity threshold."""
    if value is None:
        return None
    if not _is_number(value):
        raise ArgumentTypeError(f"threshold must be a number (a similarity) or None, got {_shown(value)}")
    t = float(value)
    if not math.isfinite(t):
        raise InputError(f"threshold must be a finite number, got {t}")
    return t


def model(value: Any) -> str | None:
    """None (the default pipeline) or a pipeline name."""
    if value is None or isinstance(value, str):
        return value
    raise ArgumentTypeError(f"model must be a pipeline name (a string such as 'fast') or None, got {_shown(value)}")


def face(value: Any, name: str = "face") -> int | None:
    """None (let the rule pick) or a face index, 0 for the largest."""
    if value is None:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be a face index (an int, 0 = largest) or None, got {_shown(value)}")
    if value < 0:
        raise FaceIndexError(f"{name} must be 0 or more (0 = the largest face), got {value}")
    return int(value)


def face_rule(value: Any) -> str:
    if not isinstance(value, str) or value not in FACE_RULES:
        raise InputError(f"face_rule must be one of {', '.join(FACE_RULES)}, got {_shown(value)}")
    return value


def extras(value: Any) -> Any:
    """None, a comma-separated string, or an iterable of names (the names are checked later)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return value
    raise ArgumentTypeError(f"extras must be a comma-separated string or a list of names such as "
                            f"['landmarks'], got {_shown(value)}")


def embedding(value: Any, name: str) -> np.ndarray:
    """A finite 1-D float vector."""
    if value is None or isinstance(value, (str, bytes)):
        raise ArgumentTypeError(f"{name} must be an embedding (a 1-D array of numbers), got {_shown(value)}")
    try:
        v = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be an embedding (a 1-D array of numbers), got {_shown(value)}") from None
    if v.ndim != 1 or v.size == 0:
        raise ShapeError(name, f"shape {v.shape}", "a 1-D vector (D,)")
    if not np.isfinite(v).all():
        raise InputError(f"{name} has NaN or infinite values")
    return v


def embedding_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    va, vb = embedding(a, "embedding a"), embedding(b, "embedding b")
    if va.shape != vb.shape:
        raise ShapeError("embedding b", f"{vb.shape[0]} values",
                         f"as many values as embedding a ({va.shape[0]}): both must come from one model")
    return va, vb
