"""The one method a detector implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..types import Faces


class Detector(Protocol):
    name: str

    def detect(self, image: np.ndarray) -> Faces:
        """Faces in an RGB uint8 HxWx3 image, largest first; `Faces.empty` when there are none."""
        ...
