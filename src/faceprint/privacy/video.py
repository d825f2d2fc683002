"""Cover every face of a video, frame by frame, with temporal filling.

Per frame: the recall detector (every `every`-th frame, and the frame after a cut; its 2x
upscaled small-face pass on every `upscale_every`-th of those runs, since it costs about 5x
the plain pass on 720p; the 3x pass photos get is too dear for every frame), the
shared tracker (`video/tracker.py`, motion only) to follow each face, and three fills so a
face the detector misses on some frames stays covered:
- forward: a track's predicted box stays covered for `fill_s` seconds after its last
  detection (a face lost to motion blur or a turn for a few frames);
- between detector runs (`every` > 1): every live track's predicted box;
- backward: frames are written `back_frames` late, so a face first detected at frame k is
  also covered on the frames of the same shot just before k (a face entering, or detected
  only once it grew).
A fourth source covers faces the detector is never sure of (one half hidden behind another,
dark, smeared by compression): weak boxes (scores 0.1-0.3, on the frame and on a
contrast-enhanced copy) that persist, chained over detector runs (`weak_tracks.py`; 5 boxes
among 10 runs), and covered back to the chain's start on the frames not yet written.
A scene cut (`video/shots.py`) ends every track and stops the backward fill at the cut.
Frames are read with the shared decoder (`video/source.py`) and written with OpenCV's
writer as `faceprint video --out` does (no audio track is copied).
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..video.writer import AnnotatedWriter
from .cover import cover
from .detect import enlarge
from .weak_tracks import WeakTracks


GROWTH_PER_FRAME = 0.05  # extra margin per frame of prediction, in face sizes


class PlainWriter(AnnotatedWriter):
    """The annotated writer's file handling, writing frames as given."""

    def write(self, image: np.ndarray, result: Any = None) -> None:  # type: ignore[override]
        import cv2

        if (image.shape[1], image.shape[0]) != self.size:  # a stream may change size mid-way
            image = cv2.resize(image, self.size)
        self._w.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        self.frames += 1


@dataclass
class TrackCover:
    """What was covered for one tracked face."""

    track: int
    first_frame: int
    last_frame: int
    identity: str | None = None  # set when --keep named it (then it is not covered)
    weak: bool = False  # a chain of weak detections confirmed by persistence (weak_tracks.py)
    detected: int = 0
    filled: int = 0
    boxes: dict[int, list[float]] = field(default_factory=dict)  # frame -> cover box

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "first_frame": self.first_frame, "last_frame": self.last_frame,
                "frames_covered": len(self.boxes), "detected": self.detected, "filled": self.filled,
                "kept": self.identity, "weak": self.weak, "boxes": [[k, *v] for k, v in sorted(self.boxes.items())]}


@dataclass
class VideoBlur:
    frames: int = 0
    fps: float = 25.0
    width: int = 0
    height: int = 0
    tracks: dict[int, TrackCover] = field(default_factory=dict)
    complete: bool = True

    def covers_at(self) -> dict[int, list[list[float]]]:
        """frame -> cover boxes (every track's), for measuring."""
        out: dict[int, list[list[float]]] = {}
        for t in self.tracks.values():
            for k, b in t.boxes.items():
                out.setdefault(k, []).append(b)
        return out

    def to_dict(self) -> dict[str, Any]:
        kept = sorted({t.identity for t in self.tracks.values() if t.identity})
        return {"frames": self.frames, "fps": round(self.fps, 3), "width": self.width, "height": self.height,
                "complete": self.complete, "faces_tracked": len(self.tracks),
                "frames_with_cover": len(self.covers_at()), "kept": kept,
                "tracks": [t.to_dict() for t in sorted(self.tracks.values(), key=lambda t: t.track)]}


def blur_video(source: Any, blurrer: Any, *, out: str | os.PathLike[str] | None = None, every: int = 1,
               fill_s: float = 0.5, back_frames: int = 8, upscale_every: int = 5, max_frames: int | None = None,
               weak: bool = True, on_frame: Callable[[int], None] | None = None) -> VideoBlur:
    """Cover the faces of `source` (a path or an open `FrameSource`); write them to `out` if given.

    `weak=False` turns off the persistent-weak-detection cover (and its contrast pass).
    Returns what was covered. A decoding failure part-way raises its typed error after the
    frames read so far were covered and written (`complete` is then False in `.result`).
    """
    from ..video.shots import CutDetector
    from ..video.source import FrameSource, open_video
    from ..video.tracker import FaceTracker

    src = source if isinstance(source, FrameSource) else open_video(source)
    info = src.info
    result = VideoBlur(fps=info.fps, width=info.width, height=info.height)
    job = _Job(blurrer, result, every=max(1, int(every)), fill=max(0, round(fill_s * info.fps)),
               back=max(0, int(back_frames)), upscale_every=max(1, int(upscale_every)))
    job.tracker = FaceTracker(info.fps, max_lost_s=max(1.0, fill_s))
    job.cuts = CutDetector()
    job.weak = WeakTracks() if weak and hasattr(blurrer, "find_with_weak") else None
    writer = None
    try:
        if out is not None:
            writer = PlainWriter(out, info.fps, (info.width, info.height))
        job.writer = writer
        try:
            for frame in src:
                job.add(frame.index, frame.image)
                if on_frame is not None:
                    on_frame(frame.index)
                if max_frames is not None and frame.index + 1 >= max_frames:
                    break
        except BaseException as e:
            result.complete = False
            job.flush()
            e.blur_result = result  # type: ignore[attr-defined]  # what was done before the failure
            raise
        job.flush()
    finally:
        if writer is not None:
            writer.close()
        if src is not source:
            src.close()
    return result


class _Job:
    """The per-frame state of one blur_video run (see the module doc)."""

    def __init__(self, blurrer: Any, result: VideoBlur, *, every: int, fill: int, back: int,
                 upscale_every: int = 1) -> None:
        self.blurrer = blurrer
        self.result = result
        self.every, self.fill, self.back = every, fill, back
        self.upscale_every = upscale_every
        self.detections = 0
        self.tracker: Any = None
        self.cuts: Any = None
        self.weak: WeakTracks | None = None
        self.weak_live: dict[int, np.ndarray] = {}  # confirmed weak chains of the last detector run
        self.writer: Any = None
        self.kept: dict[int, str | None] = {}
        # Frames not yet written: [index, image, shot, {track: cover box}]
        self.pending: deque[list[Any]] = deque()
        self.shot = 0
        self.born: dict[int, tuple[int, list[tuple[int, np.ndarray]]]] = {}  # track -> (shot, first detections)
        self.since_detect = every  # detect on the first frame

    def _cover(self, frame: int, track: int, box: np.ndarray, detected: bool, weak: bool = False) -> None:
        r = self.result
        t = r.tracks.get(track)
        if t is None:
            t = r.tracks[track] = TrackCover(track, frame, frame, weak=weak)
        t.first_frame, t.last_frame = min(t.first_frame, frame), max(t.last_frame, frame)
        if self.kept.get(track):
            t.identity = self.kept[track]
            return
        if frame not in t.boxes:
            t.detected += detected
            t.filled += not detected
        t.boxes[frame] = [round(float(v), 1) for v in box]

    def add(self, index: int, image: np.ndarray) -> None:
        size = image.shape[:2]
        if self.cuts.is_cut(image):
            self.tracker.end_all()
            if self.weak is not None:
                self.weak.end_all()
                self.weak_live = {}
            self.shot += 1
            self.since_detect = self.every  # detect on the first frame of a new shot
        self.tracker.predict()
        entry = [index, image, self.shot, {}]
        self.pending.append(entry)
        matched: set[int] = set()
        if self.since_detect >= self.every:
            self.since_detect = 0
            upscale = 1 if self.detections % self.upscale_every == 0 else 0  # the 2x pass only
            if self.weak is not None:
                faces, boxes, answers, weak = self.blurrer.find_with_weak(image, upscale=upscale)
                self._weak_run(index, weak, size)
            else:
                faces, boxes, answers = self.blurrer.find(image, upscale=upscale)
            self.detections += 1
            before = {t.id for t in self.tracker.tracks}
            ids = self.tracker.update(faces.boxes, faces.scores)
            for i, tid in enumerate(int(x) for x in ids):
                a = answers[i]
                self.kept[tid] = a.identity if a is not None else None
                matched.add(tid)
                self._cover(index, tid, boxes[i], True)
                entry[3][tid] = boxes[i]
                if tid not in before:
                    self.born[tid] = (self.shot, [])
                seen = self.born.get(tid)
                if seen is not None and len(seen[1]) < 2:
                    seen[1].append((index, faces.boxes[i].astype(np.float64)))
        self.since_detect += 1
        # Forward fill: a track's predicted box, up to `fill` frames after its last detection
        # (plus the frames between detector runs).
        for t in self.tracker.tracks:
            if t.id not in matched and t.lost_for(self.tracker.frame) <= self.fill + self.every - 1:
                box = enlarge(t.box[None], size, self._margin(t.lost_for(self.tracker.frame)))[0]
                self._cover(index, t.id, box, False)
                entry[3][t.id] = box
        for cid, box in self.weak_live.items():  # confirmed weak chains, also between detector runs
            entry[3][cid] = box
            self._cover(index, cid, box, False, weak=True)
        for tid in [t for t, (_, dets) in self.born.items() if dets and dets[0][0] < index - self.back]:
            del self.born[tid]  # every frame it could still be drawn on back has been written
        while len(self.pending) > self.back:
            self._write(self.pending.popleft())

    def _weak_run(self, index: int, weak: np.ndarray, size: tuple[int, int]) -> None:
        """Feed one run's weak boxes to the chains; a chain confirmed now is also covered on the
        frames not yet written where it had a box."""
        assert self.weak is not None
        now, earlier = self.weak.update(index, weak, size[0])
        margin = self.blurrer.margin
        self.weak_live = {cid: enlarge(b[None], size, margin)[0] for cid, b in now.items()}
        for cid, boxes in earlier.items():
            for entry in self.pending:
                if entry[0] in boxes and entry[0] != index:
                    box = enlarge(boxes[entry[0]][None], size, margin)[0]
                    entry[3][cid] = box
                    self._cover(entry[0], cid, box, True, weak=True)

    def _margin(self, frames_away: int) -> float:
        """The cover margin for a box predicted `frames_away` frames from a detection: wider the
        further it is (a new track's speed is not known yet), up to +0.25 face sizes."""
        return self.blurrer.margin + min(0.25, GROWTH_PER_FRAME * max(0, frames_away))

    def _backfill(self, entry: list[Any]) -> None:
        """Cover, on a frame about to be written, the tracks first detected a few frames later in
        the same shot: their box is moved back along the velocity of their first two detections."""
        index, image, shot, covers = entry
        for tid, (born_shot, dets) in list(self.born.items()):
            if born_shot != shot or tid in covers or not dets:
                continue
            f1, b1 = dets[0]
            if f1 <= index:
                continue
            v = (dets[1][1] - b1) / (dets[1][0] - f1) if len(dets) > 1 else 0.0
            box = enlarge((b1 - v * (f1 - index))[None], image.shape[:2], self._margin(f1 - index))[0]
            covers[tid] = box
            self._cover(index, tid, box, False)

    def _write(self, entry: list[Any]) -> None:
        self._backfill(entry)
        index, image, _, covers = entry
        self.result.frames = max(self.result.frames, index + 1)
        if self.writer is None:
            return
        boxes = [b for tid, b in covers.items() if not self.kept.get(tid)]
        arr = np.asarray(boxes, np.float32).reshape(-1, 4)
        self.writer.write(cover(image, arr, self.blurrer.method))

    def flush(self) -> None:
        while self.pending:
            self._write(self.pending.popleft())
