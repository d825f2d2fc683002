"""Keep OpenCV's own log lines off the user's terminal while faceprint builds a model.

OpenCV 5 logs a harmless `setPreferableTarget ... not supported by the new graph engine`
warning for every network it builds, in every worker process, straight into progress bars.
Raising its log level only around our model construction, and restoring it after, keeps a
library user's own OpenCV logging as they set it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import cv2


@contextmanager
def opencv_quiet() -> Iterator[None]:
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(min(previous, logging.LOG_LEVEL_ERROR))
    try:
        yield
    finally:
        logging.setLogLevel(previous)
