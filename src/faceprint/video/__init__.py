"""Video as an input: frames, face tracks, one identity per track, timeline and outputs.

    from faceprint.video import open_video, FaceTracker   # usable on their own
    run = faceprint.track("clip.mp4", gallery="people.db")  # see faceprint.video.run

Modules: `source` (decoding, bounded memory), `shots` (scene cuts), `kalman` + `tracker`
(association), `identity` (best views, gallery, strangers), `run` (the loop, `track`),
`timeline` (results), `writer` (annotated copy), `sheet` (HTML contact sheet),
`synthetic` (test clips from LFW photos with ground truth). Importing loads nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["open_video", "FrameSource", "Frame", "VideoInfo", "FaceTracker", "track", "VideoRun"]


def __getattr__(name: str) -> Any:
    if name in ("open_video", "FrameSource", "Frame", "VideoInfo"):
        from . import source
        return getattr(source, name)
    if name == "FaceTracker":
        from .tracker import FaceTracker
        return FaceTracker
    if name in ("track", "VideoRun"):
        from . import run
        return getattr(run, name)
    raise AttributeError(f"module 'faceprint.video' has no attribute {name!r}")
