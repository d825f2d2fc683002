"""What `track()` reports: one `FrameResult` per frame, and a `VideoSummary` of the whole video.

`TrackSummary.to_dict()` is the JSON Lines record of `faceprint video --json` (one line per
track): track, identity (null = unknown), similarity, start and end (seconds), frames, box
(the best view's x1,y1,x2,y2), plus stranger, shot, detections, views and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .source import VideoInfo


@dataclass(frozen=True)
class TrackedFace:
    """One face in one frame."""

    track: int
    box: tuple[float, float, float, float]
    detected: bool  # the detector found it in this frame (else the box is the tracker's prediction)
    identity: str | None  # the frozen decision, None while pending or when unknown
    decided: bool

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "box": [round(v, 1) for v in self.box], "detected": self.detected,
                "identity": self.identity, "decided": self.decided}


@dataclass(frozen=True)
class FrameResult:
    index: int
    time: float
    detected: bool  # the detector ran on this frame
    cut: bool  # this frame starts a new shot
    faces: tuple[TrackedFace, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.index, "time": round(self.time, 3), "detected": self.detected, "cut": self.cut,
                "faces": [f.to_dict() for f in self.faces]}


@dataclass
class TrackSummary:
    track: int
    identity: str | None
    similarity: float | None
    start: float
    end: float
    frames: int  # frames the track was shown in (detected or predicted between detections)
    box: tuple[float, float, float, float] | None  # the best view's box
    best_time: float | None
    shot: int
    detections: int
    views: int  # views the identity was computed from
    reason: str
    stranger: int | None = None
    template: np.ndarray | None = field(default=None, repr=False)
    thumb: bytes | None = field(default=None, repr=False)  # JPEG of the best view

    def to_dict(self) -> dict[str, Any]:
        r = lambda v: None if v is None else round(float(v), 3)  # noqa: E731
        return {"track": self.track, "identity": self.identity,
                "similarity": None if self.similarity is None else round(float(self.similarity), 6),
                "stranger": self.stranger, "start": r(self.start), "end": r(self.end), "frames": self.frames,
                "box": None if self.box is None else [round(float(v), 1) for v in self.box],
                "best_time": r(self.best_time), "shot": self.shot, "detections": self.detections,
                "views": self.views, "reason": self.reason}


@dataclass
class VideoSummary:
    info: VideoInfo
    model: str
    tracks: list[TrackSummary]
    frames_read: int
    frames_detected: int
    shots: int
    elapsed_s: float
    threshold: float | None
    fmr: float | None
    gallery_size: int
    complete: bool = True
    error: dict[str, str] | None = None  # {"code", "message"} when decoding stopped early

    @property
    def processing_fps(self) -> float:
        return self.frames_read / self.elapsed_s if self.elapsed_s > 0 else float("nan")

    def timeline(self) -> list[dict[str, Any]]:
        """The tracks as JSON-ready dicts, in order of appearance."""
        return [t.to_dict() for t in sorted(self.tracks, key=lambda t: (t.start, t.track))]

    def to_dict(self) -> dict[str, Any]:
        named = sorted({t.identity for t in self.tracks if t.identity})
        strangers = sorted({t.stranger for t in self.tracks if t.stranger is not None})
        fps = self.processing_fps
        return {"video": self.info.to_dict(), "model": self.model, "frames": self.frames_read,
                "frames_detected": self.frames_detected, "shots": self.shots, "tracks": len(self.tracks),
                "identities": named, "strangers": len(strangers), "threshold": self.threshold, "fmr": self.fmr,
                "gallery_size": self.gallery_size, "elapsed_s": round(self.elapsed_s, 3),
                "processing_fps": None if not np.isfinite(fps) else round(fps, 2),
                "complete": self.complete, "error": self.error, "timeline": self.timeline()}
