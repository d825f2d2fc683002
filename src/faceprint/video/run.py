"""`track(source, ...)`: detect every N-th frame, track in between, name each track once.

    run = faceprint.track("door.mp4", gallery="people.db", model="fast")
    for frame in run:                 # one FrameResult per decoded frame
        ...
    print(run.summary.timeline())     # one dict per track

Per frame: a cut check (`shots.py`); on detection frames (every `every`-th, the frame
after a cut and the frame after a new face appeared) the `Analyzer`'s detector, one cheap
appearance vector per face for the tracker (the pipeline's first crop embedder, SFace, one
crop, no mirror), and the quality measures that pick each track's best views. Between
detection frames the tracker's prediction moves the boxes. The pipeline's full embedder
runs only on each track's few best views (`identity.py`).

A decoding failure part-way (a truncated file) ends the iteration with the typed error,
and `run.summary` still holds every track seen up to there (`complete` False).
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterator

import numpy as np

from ..thresholds import DEFAULT_FMR
from ..cluster.grouping import CLUSTER_FMR
from ..errors import FaceprintError
from .identity import TrackEvidence, cluster_strangers, make_view
from .shots import CutDetector
from .source import Frame, FrameSource, open_video
from .timeline import FrameResult, TrackedFace, TrackSummary, VideoSummary
from .tracker import FaceTracker, Track

DETECTIONS_PER_SECOND = 8.0  # `every` by default: about 8 detector runs per second of video
STRANGER_FMR = CLUSTER_FMR  # strangers are told apart at the rate `faceprint cluster` merges at


def default_every(fps: float) -> int:
    return max(1, int(round(fps / DETECTIONS_PER_SECOND)))


class VideoRun:
    """An iterable over the `FrameResult`s of one video; `summary` once iterated (see `track`)."""

    def __init__(self, source: Any, analyzer: Any, *, gallery: Any = None, every: int | None = None,
                 fmr: float = DEFAULT_FMR, views: int = 5, decide_after_s: float = 1.0, max_lost_s: float = 1.0,
                 appearance: bool = True, timeout_s: float = 10.0, max_duration_s: float | None = None,
                 max_frames: int | None = None, thumbs: bool = True,
                 on_frame: Callable[[Frame, FrameResult], None] | None = None, tracker: Any = None,
                 close_gallery: bool = False) -> None:
        from ..assessors.base import crop_embedder

        self.analyzer = analyzer
        self.gallery = gallery
        self._close_gallery = close_gallery  # `track(gallery="path")` opened it: closed at the end
        self.fmr = fmr
        self.views = views
        self.decide_after_s = decide_after_s
        self.thumbs = thumbs
        self.on_frame = on_frame
        self.max_frames = max_frames
        self.source: FrameSource = source if isinstance(source, FrameSource) else open_video(source, timeout_s=timeout_s)
        self.info = self.source.info
        if max_duration_s is not None and self.info.duration is not None and self.info.duration > max_duration_s:
            from .errors import VideoTooLongError

            self.source.close()
            raise VideoTooLongError(f"{self.info.source}: {self.info.duration:.1f} s long, over the limit of "
                                    f"{max_duration_s:g} s")
        self.max_duration_s = max_duration_s
        self.every = every or default_every(self.info.fps)
        self.tracker = tracker or FaceTracker(self.info.fps, max_lost_s=max_lost_s)
        self._features = crop_embedder(analyzer.embedder) if appearance else None
        self._evidence: dict[int, TrackEvidence] = {}
        self._start_time: dict[int, float] = {}
        self._end_time: dict[int, float] = {}
        self._shown: dict[int, int] = {}
        self._shot_of: dict[int, int] = {}
        self._finished: list[TrackSummary] = []
        self._summary: VideoSummary | None = None
        self.frames_read = self.frames_detected = 0
        self.shot = 0
        self._iterated = False

    # -- the loop ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[FrameResult]:
        if self._iterated:
            raise FaceprintError("a video run is iterated once")
        self._iterated = True
        started = time.perf_counter()
        cuts = CutDetector()
        last_detection, force = -10**9, True
        error: FaceprintError | None = None
        try:
            for frame in self.source:
                if self.max_frames is not None and frame.index >= self.max_frames:
                    break
                if self.max_duration_s is not None and frame.time > self.max_duration_s:
                    from .errors import VideoTooLongError

                    raise VideoTooLongError(f"{self.info.source}: longer than the limit of "
                                            f"{self.max_duration_s:g} s")
                cut = cuts.is_cut(frame.image) and frame.index > 0
                if cut:
                    self.tracker.end_all()
                    self.shot += 1
                self.tracker.predict()
                self._close_ended(frame)
                detect = force or cut or frame.index - last_detection >= self.every
                force = False
                if detect:
                    force = self._detect(frame)
                    last_detection = frame.index
                    self.frames_detected += 1
                result = self._result(frame, detect, cut, last_detection)
                self.frames_read += 1
                if self.on_frame is not None:
                    self.on_frame(frame, result)
                yield result
        except FaceprintError as e:
            error = e
        finally:
            self.source.close()
            self._summary = self._finish(time.perf_counter() - started, error)
        if error is not None:
            raise error

    def _detect(self, frame: Frame) -> bool:
        """Run the detector and feed the tracker; True when a new track started (detect again next frame)."""
        from ..assessors import quality

        image = frame.image
        faces = self.analyzer.detector.detect(image)
        feats = None
        if len(faces) and self._features is not None:
            emb = self._features
            feats = lambda idx: emb.embed_crops(emb.crop(image, faces[idx]))  # noqa: E731 - only when asked
        ids = self.tracker.update(faces.boxes, faces.scores, feats)
        started = False
        if len(faces):
            q, reasons = quality.score(quality.measure(image, faces))
            for i, tid in enumerate(ids.tolist()):
                if tid <= 0:
                    continue
                ev = self._evidence.get(tid)
                if ev is None:
                    started = True
                    ev = self._evidence[tid] = TrackEvidence(tid, self.views)
                    self._start_time[tid] = frame.time
                    self._shot_of[tid] = self.shot
                self._end_time[tid] = frame.time
                ev.add(make_view(image, faces.boxes[i], faces.landmarks[i], float(q[i]), reasons[i],
                                 frame.index, frame.time))
                if ev.ready(frame.time - self._start_time[tid], self.decide_after_s):
                    self._decide(ev)
        return started

    def _decide(self, ev: TrackEvidence):
        return ev.decide(self.analyzer.embedder, self.analyzer.model_id, self.gallery, self.fmr)

    def _result(self, frame: Frame, detected: bool, cut: bool, last_detection: int) -> FrameResult:
        out = []
        for t in self.tracker.tracks:
            if t.last_frame < last_detection:
                continue  # missed at the latest detection: not drawn until it is found again
            ev = self._evidence.get(t.id)
            if ev is None:
                continue
            self._shown[t.id] = self._shown.get(t.id, 0) + 1
            d = ev.decision
            out.append(TrackedFace(t.id, tuple(float(v) for v in t.box), detected and t.last_frame == frame.index,
                                   d.identity if d else None, d is not None))
        return FrameResult(frame.index, frame.time, detected, cut, tuple(out))

    def _close_ended(self, frame: Frame | None) -> None:
        for t in self.tracker.pop_ended():
            self._finish_track(t)

    def _finish_track(self, t: Track) -> None:
        ev = self._evidence.pop(t.id, None)
        if ev is None:
            return
        d = self._decide(ev)
        best = ev.best_any
        thumb = None
        if self.thumbs and best is not None:
            from ..cluster.batch import face_thumbnail

            thumb = face_thumbnail(best.patch, best.patch_box)
        self._finished.append(TrackSummary(
            t.id, d.identity, d.similarity, self._start_time.pop(t.id), self._end_time.pop(t.id),
            self._shown.pop(t.id, 0), None if best is None else tuple(float(v) for v in best.box),
            None if best is None else best.time, self._shot_of.pop(t.id), ev.detections, d.views_used, d.reason,
            None, d.template, thumb))

    def _finish(self, elapsed: float, error: FaceprintError | None) -> VideoSummary:
        self.tracker.end_all()
        self._close_ended(None)
        unknown = [t for t in self._finished if t.identity is None and t.template is not None]
        threshold = None
        if unknown:
            threshold = self._stranger_threshold()
            for t, k in zip(unknown, cluster_strangers([t.template for t in unknown], threshold)):
                t.stranger = k
        tracks = sorted(self._finished, key=lambda t: (t.start, t.track))
        t_gal, rate, size = None, None, 0
        if self.gallery is not None and len(self.gallery):
            th = self.gallery.threshold(self.fmr)
            t_gal, rate = th.value, th.fmr
            size = len(self.gallery)
        if self._close_gallery:
            self.gallery.close()
        err = None if error is None else {"code": error.code, "message": str(error)}
        return VideoSummary(self.info, self.analyzer.model_id, tracks, self.frames_read, self.frames_detected,
                            self.shot + 1 if self.frames_read else 0, elapsed, t_gal, rate, size,
                            error is None, err)

    def _stranger_threshold(self) -> float:
        try:
            return self.analyzer.threshold(STRANGER_FMR).value
        except FaceprintError:
            return 0.5  # an uncalibrated custom pipeline: a plain cosine of 0.5

    @property
    def summary(self) -> VideoSummary:
        """The whole video's tracks; available once iteration ended (or failed)."""
        if self._summary is None:
            raise FaceprintError("the summary is ready once the frames have been iterated (see VideoRun.run())")
        return self._summary

    def run(self) -> VideoSummary:
        """Process every frame and return the summary (raises a decoding error after finishing)."""
        for _ in self:
            pass
        return self.summary


def track(source: Any, *, model: str | None = None, analyzer: Any = None, gallery: Any = None,
          every: int | None = None, fmr: float = DEFAULT_FMR, **options: Any) -> VideoRun:
    """Faces tracked through a video (path, camera index or stream URL), one identity per track.

    Iterate the result for one `FrameResult` per frame, then read `.summary` (a
    `VideoSummary`: tracks, timeline); or call `.run()` for the summary alone. `gallery` is an
    open `Gallery` or a path/URI (opened for the call, with the same pipeline); `every` = detect
    on every N-th frame (default: about 8 detections per second of video).
    """
    from .. import _analyzer

    if gallery is not None and isinstance(gallery, (str, os.PathLike)):
        from ..gallery import open_gallery

        g = open_gallery(gallery, analyzer)
        analyzer = analyzer or (g.analyzer() if model is None else _analyzer(model))
        try:
            return VideoRun(source, analyzer, gallery=g, every=every, fmr=fmr, close_gallery=True, **options)
        except BaseException:
            g.close()
            raise
    analyzer = analyzer or (gallery.analyzer() if gallery is not None and model is None else _analyzer(model))
    return VideoRun(source, analyzer, gallery=gallery, every=every, fmr=fmr, **options)
