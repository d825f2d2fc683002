"""`POST /v1/liveness/sessions` (a random challenge) and `POST /v1/liveness/sessions/{id}` (the answer).

The active check of `liveness/active.py` as a challenge and response:

1. the client asks for a session and gets its id, a nonce, the random challenge sequence,
   the seconds of footage allowed for it (`deadline_s`) and when the session expires;
2. it films the person doing the challenges and posts, with the nonce, either a short clip
   (`clip`, any video OpenCV decodes) or a sequence of images (`frame`, repeated, with their
   capture times in `times_ms`, or evenly spaced at `fps`);
3. the answer is `{"live", "challenges": [{"name", "passed", "at"}], "reason"}`.

A session answers once: the first answer consumes it, pass or fail, and posting it again
(a replayed nonce) is refused with 409 `session_used`; an expired one is 410
`session_expired`; a wrong nonce consumes it too (403 `bad_nonce`). Open sessions are bounded
(`max_sessions`; past that, 503 `busy`). With an `identity` claimed at creation, the face of
the track must also match that enrolled person at the gallery's calibrated threshold, on its
first frame and on its most frontal frame of the last third (a continuous track ties the rest
to them). The frames are measured at about 15 per second (`active.PROCESS_FPS`).

`app.state.liveness_options` (a `LivenessOptions`) sets the limits; its `fixed_challenges`
is for tests only (the browser test forces `turn_left` on a real head-turn clip).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile

from ..errors import FaceprintError, InputError
from ..gallery.store import MAX_NAME
from .forms import DEFAULT_FMR_TEXT, FmrText, discard, read_video, renamed, spool
from .http_errors import ServiceError

router = APIRouter()
_setup_lock = threading.Lock()


@dataclass(frozen=True)
class LivenessOptions:
    challenges: int = 3  # per session, drawn at random (active.random_challenges)
    ttl_s: float = 120.0  # a session must be answered this soon after it was issued
    max_sessions: int = 256  # issued and not yet answered; more are refused (503 busy)
    max_frames: int = 600  # images in one answer
    max_clip_bytes: int = 20 * 1024 * 1024  # also bounded by the service's body limit
    fixed_challenges: tuple[str, ...] | None = None  # tests only: this sequence instead of a random one


class SessionStore:
    """Issued sessions, each answered at most once; the ids of answered ones are kept until they expire."""

    def __init__(self, options: LivenessOptions) -> None:
        self.options = options
        self._open: dict[str, Any] = {}
        self._used: dict[str, float] = {}  # id -> its expiry: a replay is told "used", not "unknown"
        self._lock = threading.Lock()

    def _prune(self, now: float) -> None:
        for sid in [k for k, s in self._open.items() if s.expires_at < now]:
            self._used[sid] = self._open.pop(sid).expires_at
        for sid in [k for k, t in self._used.items() if t + self.options.ttl_s < now]:
            del self._used[sid]
        for sid in list(self._used)[:max(0, len(self._used) - 16 * self.options.max_sessions)]:
            del self._used[sid]  # bounded too: the oldest answered ids go first (dicts keep insertion order)

    def issue(self, identity: str | None) -> Any:
        from ..liveness.active import new_session, parse_challenges

        fixed = self.options.fixed_challenges
        session = new_session(parse_challenges(fixed) if fixed else None, n=self.options.challenges,
                              ttl=self.options.ttl_s)
        session.identity = identity
        with self._lock:
            self._prune(time.time())
            if len(self._open) >= self.options.max_sessions:
                raise ServiceError("busy", f"{len(self._open)} liveness sessions are open, the most this "
                                   "service keeps; retry later", 503)
            self._open[session.id] = session
        return session

    def take(self, sid: str, nonce: str) -> Any:
        """The session, removed from the open ones (single use), or the reason it cannot be answered."""
        now = time.time()
        with self._lock:
            session = self._open.pop(sid, None)
            if session is not None:
                self._used[sid] = session.expires_at
            elif sid in self._used:
                raise ServiceError("session_used", "this liveness session was already answered or has expired; "
                                   "ask for a new one (each session answers once)", 409)
            self._prune(now)
        if session is None:
            raise ServiceError("not_found", "no such liveness session", 404)
        if session.expires_at < now:
            raise ServiceError("session_expired", "this liveness session expired "
                               f"{now - session.expires_at:.0f} s ago; ask for a new one", 410)
        if not _same(nonce, session.nonce):
            raise ServiceError("bad_nonce", "the nonce does not belong to this session; the session is now "
                               "closed, ask for a new one", 403)
        return session


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _state(request: Request) -> tuple[Any, SessionStore, LivenessOptions]:
    app = request.app
    with _setup_lock:
        if getattr(app.state, "liveness_sessions", None) is None:
            options = getattr(app.state, "liveness_options", None) or LivenessOptions()
            app.state.liveness_options = options
            app.state.liveness_sessions = SessionStore(options)
            app.state.liveness_meter_lock = threading.Lock()
    return app.state.service, app.state.liveness_sessions, app.state.liveness_options


@router.post("/liveness/sessions", status_code=201,
             summary="Start an active liveness check: a random challenge sequence, a nonce and a deadline")
async def create_session(
        request: Request,
        identity: Annotated[str | None, Form(min_length=1, max_length=MAX_NAME,
                                             description="the enrolled person the face must also be")] = None,
        ) -> dict[str, Any]:
    service, sessions, _ = _state(request)
    if identity is not None:
        service.gallery.show(identity)  # unknown: 404 now, not after the person has filmed themselves
    session = sessions.issue(identity)
    return {**session.to_dict(), "identity": identity, "answer": f"/v1/liveness/sessions/{session.id}"}


@router.post("/liveness/sessions/{session_id}",
             summary="Answer a liveness session with a clip or a sequence of frames; is the face live?")
async def answer_session(
        request: Request,
        session_id: str,
        nonce: Annotated[str, Form(min_length=1, max_length=128, description="the session's nonce")],
        clip: Annotated[UploadFile | None, File(description="a short video of the challenges")] = None,
        frame: Annotated[list[UploadFile] | None, File(description="or: the frames as images, in order")] = None,
        times_ms: Annotated[str | None, Form(max_length=20_000, description="comma-separated capture time of "
                                             "each frame in milliseconds (default: evenly spaced at fps)")] = None,
        fps: Annotated[float, Form(gt=0, le=120, description="frames per second when times_ms is absent")] = 10.0,
        fmr: Annotated[FmrText, Form(description="false-match rate of the identity threshold")] = DEFAULT_FMR_TEXT,
        ) -> dict[str, Any]:
    service, sessions, options = _state(request)
    if (clip is None) == (not frame):
        raise InputError("send either a clip or frames (one or more `frame` images), not both or neither")
    session = sessions.take(session_id, nonce)  # consumed from here on, whatever the answer
    if clip is not None:
        name, data = await read_video(clip, "clip", options.max_clip_bytes)
        source: Any = ("clip", name, data)
    else:
        if len(frame) > options.max_frames:
            raise InputError(f"at most {options.max_frames} frames per answer, got {len(frame)}")
        blobs = [await f.read() for f in frame]
        source = ("frames", _times(times_ms, len(blobs), fps), blobs)
    limit = session.deadline + 5.0  # seconds of footage read: the deadline and a little more
    meter_lock = request.app.state.liveness_meter_lock

    def work() -> dict[str, Any]:
        with meter_lock:  # one shared mesh model; its graph is not for two threads at once
            meter = _meter(request.app, service)
            if source[0] == "clip":
                result, kept = _check_clip(meter, source[1], source[2], session, limit)
            else:
                frames = ((t, service.decode(b, f"frame {i + 1}")) for i, (t, b) in
                          enumerate(zip(source[1], source[2])) if t <= limit)
                result, kept = _check(meter, frames, session)
        out = {"live": result.live, "reason": result.reason, "session": session.id,
               "challenges": [{"name": c.challenge, "passed": c.passed,
                               "at": None if c.when is None else round(c.when, 2)} for c in result.challenges],
               "frames_processed": result.frames, "track_frames": result.track_frames}
        if session.identity is not None:
            out["identity"] = {"claimed": session.identity, "matched": False}
            if result.live:
                match = _identity(service, session.identity, float(fmr), kept)
                out["identity"] = match
                if not match["matched"]:
                    out["live"], out["reason"] = False, match["reason"]
        return out
    return await service.runner.run(work)


def _times(text: str | None, n: int, fps: float) -> list[float]:
    """Seconds from the first frame for each of `n` frames."""
    if text is None or not text.strip():
        return [i / fps for i in range(n)]
    try:
        ms = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError("times_ms must be comma-separated numbers (milliseconds)") from None
    if len(ms) != n:
        raise InputError(f"times_ms has {len(ms)} values for {n} frames")
    if not all(math.isfinite(v) for v in ms) or any(b < a for a, b in zip(ms, ms[1:])):
        raise InputError("times_ms must be finite and never decrease")
    return [(v - ms[0]) / 1000.0 for v in ms]


def _meter(app: Any, service: Any) -> Any:
    meter = getattr(app.state, "liveness_meter", None)
    if meter is None or meter.detector is not service.analyzer.detector:
        from ..liveness.active import FrameMeter

        meter = app.state.liveness_meter = FrameMeter(service.analyzer.detector)  # needs the landmarks extra
    return meter


class _Keeping:
    """A FrameMeter that keeps a JPEG of every frame it measures (for the identity check afterwards)."""

    def __init__(self, meter: Any) -> None:
        self.meter, self.kept = meter, {}

    def measure(self, rgb: np.ndarray, t: float) -> Any:
        import cv2

        ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if ok:
            self.kept[t] = jpeg
        return self.meter.measure(rgb, t)


def _check(meter: Any, frames: Any, session: Any) -> tuple[Any, dict[str, Any]]:
    from ..liveness.active import check, measure_frames

    keeping = _Keeping(meter) if session.identity is not None else meter
    measures = measure_frames(keeping, frames)
    result = check(measures, session.challenges, session.deadline)
    kept = {}
    if session.identity is not None and result.live:
        first = next(i for i, m in enumerate(measures) if m.box is not None)
        kept = {"track": measures[first:first + result.track_frames], "jpeg": keeping.kept}
    return result, kept


def _check_clip(meter: Any, name: str, data: bytes, session: Any, limit: float) -> tuple[Any, dict[str, Any]]:
    from ..liveness.active import video_frames

    path = spool(data, "faceprint-liveness-")  # the decoder needs a file
    try:
        return _check(meter, _until(video_frames(path, max_seconds=600.0), limit), session)
    except FaceprintError as e:
        raise renamed(e, path, f"clip {name}") from None
    finally:
        discard(path)


def _until(frames: Any, limit: float) -> Any:
    """Stop reading at `limit` seconds: footage past the deadline cannot help, and costs."""
    for t, rgb in frames:
        if t > limit:
            return
        yield t, rgb


def _identity(service: Any, name: str, fmr: float, kept: dict[str, Any]) -> dict[str, Any]:
    """Does the track's face match the enrolled `name`? On its first frame and its most frontal late frame."""
    import cv2

    track, jpeg = kept["track"], kept["jpeg"]
    tail = track[len(track) * 2 // 3:] or track
    base_yaw, base_pitch = track[0].yaw, track[0].pitch
    late = min(tail, key=lambda m: abs(m.yaw - base_yaw) + abs(m.pitch - base_pitch))
    gallery, analyzer = service.gallery, service.analyzer
    top = max(1, min(len(gallery), 100))
    scores = []
    for m in (track[0], late):
        rgb = cv2.imdecode(jpeg[m.t], cv2.IMREAD_COLOR)[:, :, ::-1]
        faces = analyzer.embed_faces(np.ascontiguousarray(rgb))
        if not len(faces):
            return {"claimed": name, "matched": False, "similarity": None,
                    "reason": f"no face found to compare with {name!r} at {m.t:.2f} s"}
        answer = gallery.identify_vectors(faces.embeddings[:1], model=faces.embedding_model, top=top, fmr=fmr)[0]
        sim = next((c.similarity for c in answer.candidates if c.identity == name), None)
        scores.append((m.t, -1.0 if sim is None else sim, answer.threshold))
    t, worst, threshold = min(scores, key=lambda s: s[1])
    matched = worst >= threshold
    out = {"claimed": name, "matched": matched, "similarity": round(worst, 4), "threshold": round(threshold, 4),
           "fmr": fmr}
    if not matched:
        out["reason"] = (f"the face does not match {name!r} at the FMR {fmr:g} threshold (similarity "
                         f"{worst:.3f} < {threshold:.3f} at {t:.2f} s)")
    return out
