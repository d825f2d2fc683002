"""Active liveness: a random sequence of challenges, checked on a clip of one continuous face track.

The server draws challenges (turn_left, turn_right, look_up, blink) with a nonce and a deadline;
the client films the person doing them. Per processed frame we measure the largest face's head
pose from the 468-point mesh (`assessors/facemesh.py`, `assessors/pose.py`) and eye openness
from the pixels of the eye boxes the mesh places (`liveness/eyes.py`), then require that

- every frame has exactly one face (a second face of at least half its size fails the clip);
- consecutive frames form one continuous track: the face moves less than 20 % of its width,
  changes size by less than 15 %, and turns less than 15 degrees between processed frames
  (a cut between photos of a slideshow breaks it; a real head moves less in 1/15 s), and it
  never stays exactly still for 3 processed frames (a digital still or a held slide does);
- a turn builds up: at least 3 of the 8 processed frames before it is complete each turn a
  further degree or more its way (a slideshow jumps from pose to pose and holds);
- each challenge happens, in the order given, after the previous one, within the deadline:
  - turn_left / turn_right: yaw at least 25 degrees from the track's starting yaw, towards the
    person's own left / right (an unmirrored camera: their left is the image's right);
  - look_up: pitch at least 12 degrees above the starting pitch;
  - blink: eye darkness below 60 % of the track's open-eye level (its 80th percentile), then
    back above 80 % of it.

A still photo never turns or blinks; a slideshow jumps. A replayed video of the person doing
this very challenge, or a mask worn by someone, is not stopped by this check.

Frames are processed at about `PROCESS_FPS` (frame skipping): a blink (100-400 ms) still spans
at least one processed frame, and a 10 s clip costs about 150 mesh runs, not 300.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import InputError
from ..types import Faces

CHALLENGES = ("turn_left", "turn_right", "look_up", "blink")
PROCESS_FPS = 15.0
TURN_DEG, LOOK_UP_DEG = 25.0, 12.0
BLINK_CLOSED, BLINK_OPEN = 0.60, 0.80
# Between processed frames of the three real selfie clips: at most 0.08 of the face width moved,
# 6 % size change, 6.6 degrees of yaw and 8.1 of pitch; the limits are about twice that.
MAX_SHIFT, MAX_SCALE, MAX_TURN = 0.2, 0.15, 15.0
FROZEN = 3  # this many processed frames in a row with the very same box and pose: a still picture
APPROACH, APPROACH_STEPS, STEP_DEG = 8, 3, 1.0  # a turn must build up over frames, not jump
SECOND_FACE = 0.5  # a second face at least this fraction of the first's area: two people
DEADLINE_PER_CHALLENGE = 10.0  # seconds


def parse_challenges(text: str | Sequence[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    out = [str(c).strip().lower() for c in items if str(c).strip()]
    bad = [c for c in out if c not in CHALLENGES]
    if bad or not out:
        raise InputError(f"challenges must be a comma-separated list of {', '.join(CHALLENGES)}; got {text!r}")
    return out


def random_challenges(n: int = 3) -> list[str]:
    """`n` challenges from a cryptographic RNG, never the same twice in a row, and at least one turn."""
    rng = secrets.SystemRandom()
    while True:
        seq: list[str] = []
        while len(seq) < n:
            c = rng.choice(CHALLENGES)
            if not seq or seq[-1] != c:
                seq.append(c)
        if any(c.startswith("turn") for c in seq):
            return seq


@dataclass(frozen=True)
class FrameMeasure:
    t: float  # seconds from the clip's first frame
    faces: int
    box: tuple[float, float, float, float] | None = None
    yaw: float = math.nan
    pitch: float = math.nan
    eyes: float = math.nan  # eye darkness (liveness/eyes.py): high open, low closed
    second_face: bool = False


class FrameMeter:
    """Per frame: the largest face's box, yaw/pitch from the mesh, eye openness (needs the landmarks extra)."""

    def __init__(self, detector: Any) -> None:
        from ..assessors.facemesh import FaceMeshAssessor

        self.detector = detector
        self.mesh = FaceMeshAssessor()

    def measure(self, rgb: np.ndarray, t: float) -> FrameMeasure:
        import cv2

        from ..assessors.pose import pose_from_mesh
        from .eyes import eye_darkness

        faces: Faces = self.detector.detect(rgb)
        if not len(faces):
            return FrameMeasure(t, 0)
        areas = faces.areas
        second = len(faces) > 1 and float(areas[1]) >= SECOND_FACE * float(areas[0])
        face = self.mesh.assess(rgb, faces[:1])
        mesh = face.columns["landmarks_468"][0]
        yaw, pitch, _ = pose_from_mesh(mesh)
        eyes = eye_darkness(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), mesh)
        box = tuple(float(v) for v in faces.boxes[0])
        return FrameMeasure(t, len(faces), box, float(yaw), float(pitch), eyes, second)


def continuous(a: FrameMeasure, b: FrameMeasure) -> bool:
    """Could `b` be the same head as `a` one processed frame later?"""
    if a.box is None or b.box is None:
        return False
    wa, wb = a.box[2] - a.box[0], b.box[2] - b.box[0]
    ca = np.array([(a.box[0] + a.box[2]) / 2, (a.box[1] + a.box[3]) / 2])
    cb = np.array([(b.box[0] + b.box[2]) / 2, (b.box[1] + b.box[3]) / 2])
    if float(np.linalg.norm(cb - ca)) > MAX_SHIFT * max(wa, 1.0):
        return False
    if abs(math.log(max(wb, 1.0) / max(wa, 1.0))) > math.log(1 + MAX_SCALE):
        return False
    return abs(b.yaw - a.yaw) <= MAX_TURN and abs(b.pitch - a.pitch) <= MAX_TURN


@dataclass
class ChallengeResult:
    challenge: str
    passed: bool
    when: float | None  # seconds into the clip when it was completed

    def to_dict(self) -> dict[str, Any]:
        return {"challenge": self.challenge, "passed": self.passed,
                "when": None if self.when is None else round(self.when, 2)}


@dataclass
class ActiveResult:
    live: bool
    challenges: list[ChallengeResult]
    reason: str | None
    frames: int = 0
    track_frames: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"live": self.live, "challenges": [c.to_dict() for c in self.challenges], "reason": self.reason,
                "frames_processed": self.frames, "track_frames": self.track_frames}


def _built_up(track: list[FrameMeasure], i: int, key: str, sign: float) -> bool:
    """Did the angle `key` move `sign`-wards by STEP_DEG or more in at least APPROACH_STEPS recent frames?"""
    values = [getattr(m, key) for m in track[max(0, i - APPROACH):i + 1]]
    steps = [sign * (b - a) for a, b in zip(values, values[1:])]
    return sum(s >= STEP_DEG for s in steps) >= APPROACH_STEPS


def _happened(challenge: str, track: list[FrameMeasure], start: int, base: dict[str, float]) -> int | None:
    """Index (in `track`) of the frame that completes `challenge`, searching from `start`; None if never."""
    for i in range(start, len(track)):
        f = track[i]
        # their left = the image's right = yaw > 0 (an unmirrored camera)
        if challenge == "turn_left" and f.yaw - base["yaw"] >= TURN_DEG and _built_up(track, i, "yaw", 1.0):
            return i
        if challenge == "turn_right" and f.yaw - base["yaw"] <= -TURN_DEG and _built_up(track, i, "yaw", -1.0):
            return i
        if challenge == "look_up" and f.pitch - base["pitch"] >= LOOK_UP_DEG and _built_up(track, i, "pitch", 1.0):
            return i
        if challenge == "blink" and f.eyes < BLINK_CLOSED * base["eyes"]:
            for j in range(i + 1, len(track)):
                if track[j].eyes > BLINK_OPEN * base["eyes"]:
                    return j
            return None
    return None


def check(measures: Sequence[FrameMeasure], challenges: Sequence[str], deadline: float) -> ActiveResult:
    """Did the challenges happen, in order and within `deadline` seconds, on one continuous track?"""
    results = [ChallengeResult(c, False, None) for c in challenges]
    n = len(measures)
    if n == 0:
        return ActiveResult(False, results, "the clip has no frames", 0)
    if any(m.second_face for m in measures):
        return ActiveResult(False, results, "more than one face in the clip", n)
    # One track: the first face onwards, ending at the first gap or jump.
    first = next((i for i, m in enumerate(measures) if m.box is not None), None)
    if first is None:
        return ActiveResult(False, results, "no face in the clip", n)
    track = [measures[first]]
    broken, still = None, 0
    for m in measures[first + 1:]:
        if not continuous(track[-1], m):
            broken = m.t
            break
        same = m.box == track[-1].box and m.yaw == track[-1].yaw and m.pitch == track[-1].pitch
        still = still + 1 if same else 0
        if still >= FROZEN - 1:
            return ActiveResult(False, results, f"the face does not move at all from {track[-1].t:.2f} s: a still "
                                "picture, not a live head", n, len(track))
        track.append(m)
    head = track[: max(1, min(5, len(track)))]
    base = {"yaw": float(np.median([m.yaw for m in head])), "pitch": float(np.median([m.pitch for m in head])),
            # the open-eye level: a high percentile, so a blink among the first frames does not lower it
            "eyes": float(np.percentile([m.eyes for m in track], 80))}
    start, reason = 0, None
    for r in results:
        k = _happened(r.challenge, track, start, base)
        if k is None:
            if broken is not None:
                reason = (f"{r.challenge} not seen on the face's continuous track, which broke at "
                          f"{broken:.2f} s (a cut or jump: a slideshow or a changed face?)")
            else:
                reason = f"{r.challenge} not seen in the clip"
            break
        when = track[k].t - track[0].t
        if when > deadline:
            reason = f"{r.challenge} done at {when:.1f} s, after the {deadline:.0f} s deadline"
            break
        r.passed, r.when = True, track[k].t
        start = k + 1
    live = all(r.passed for r in results)
    return ActiveResult(live, results, None if live else reason, n, len(track))


def measure_frames(meter: FrameMeter, frames: Iterable[tuple[float, np.ndarray]]) -> list[FrameMeasure]:
    """Measure (time in seconds, RGB frame) pairs, skipping frames to about PROCESS_FPS."""
    out: list[FrameMeasure] = []
    next_t = -1.0
    for t, frame in frames:
        if t + 1e-6 < next_t:
            continue
        out.append(meter.measure(frame, t))
        next_t = t + 1.0 / PROCESS_FPS
    return out


def check_clip(meter: FrameMeter, frames: Iterable[tuple[float, np.ndarray]], challenges: Sequence[str],
               deadline: float | None = None) -> ActiveResult:
    """Measure the frames and check the challenges (deadline: DEADLINE_PER_CHALLENGE each by default)."""
    limit = DEADLINE_PER_CHALLENGE * len(challenges) if deadline is None else float(deadline)
    return check(measure_frames(meter, frames), challenges, limit)


def video_frames(path: str, max_seconds: float = 60.0) -> Iterable[tuple[float, np.ndarray]]:
    """(seconds, RGB frame) of a video file, from OpenCV's decoder (a minimal frame loop)."""
    import cv2

    from ..errors import ImageError

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ImageError(f"cannot read video {path!r}: not a video OpenCV can decode")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    if not (1.0 <= fps <= 240.0):
        fps = 30.0
    i = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            t = i / fps
            if t > max_seconds:
                raise InputError(f"video {path!r} is longer than {max_seconds:.0f} s")
            yield t, np.ascontiguousarray(frame[:, :, ::-1])
            i += 1
    finally:
        cap.release()
    if i == 0:
        raise ImageError(f"cannot read video {path!r}: no frame decoded")


@dataclass
class Session:
    """One challenge issued by the service: answered once, before it expires."""

    id: str
    nonce: str
    challenges: list[str]
    deadline: float  # seconds of clip allowed for the whole sequence
    expires_at: float  # unix time
    used: bool = False
    created_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "nonce": self.nonce, "challenges": self.challenges, "deadline_s": self.deadline,
                "expires_at": round(self.expires_at, 3)}


def new_session(challenges: Sequence[str] | None = None, n: int = 3, ttl: float = 120.0) -> Session:
    seq = list(challenges) if challenges else random_challenges(n)
    return Session(secrets.token_hex(16), secrets.token_hex(16), seq, DEADLINE_PER_CHALLENGE * len(seq),
                   time.time() + ttl)
