"""Liveness: is the face in front of the camera a live person, not a photo or a screen?

- passive (`passive.py`): one photo, two small anti-spoofing networks (MiniFASNet);
- active (`active.py`): a random sequence of head turns and blinks checked on a clip.

Neither is a guarantee; docs/liveness.md says what each stops and what it does not.
Nothing is loaded by importing this package.
"""

from __future__ import annotations

__all__ = ["NotLiveError", "PassiveLiveness", "THRESHOLD"]


def __getattr__(name: str):  # lazy: importing the package loads no model and no runtime
    if name in __all__:
        from . import passive

        return getattr(passive, name)
    raise AttributeError(name)
