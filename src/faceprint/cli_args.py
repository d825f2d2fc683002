"""Moved to `faceprint.cli.options`; kept so modules not yet updated still import (remove after merging)."""

from .cli.options import float_in, int_at_least  # noqa: F401
