"""The few lines the CLI and the service call for `--require-live` / `require_live=true`."""

from __future__ import annotations

from typing import Any

import numpy as np


def require_live(image: np.ndarray, choice: Any, what: str) -> dict[str, Any]:
    """`{"live", "score", "threshold", "model"}` of the face a `FaceChoice` picked; `NotLiveError` if not live."""
    from .passive import shared

    live = shared()
    score = live.require(image, choice.faces, choice.index, what)
    return live.verdict(score)
