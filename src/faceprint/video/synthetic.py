"""Test videos built from real LFW photos, with the ground truth known by construction.

A scene is a large canvas (a drawn background) with people's photos pasted on it; a
camera moves over it (pan, zoom, small rotation) and the frames get motion blur and JPEG
noise where the shot asks. A shot shows one or more people (side by side), each cycling
through several of their own photos (a new photo is a new pose and lighting at the same
place, like a head turn). Shots are joined by hard cuts, and people come back in later
shots. For every frame the ground truth is each visible person's name and the box of
their photo in the frame: a track whose box centre lies in that box belongs to them.

Only the central part of each LFW photo is pasted (the deep-funneled images have black
corners, and the edges sometimes hold bystanders). Used by the tests (a few seconds, A then
B then A) and by `python -m faceprint.bench video` (a minute, five people).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CENTRE = (slice(35, 215), slice(35, 215))  # of the 250x250 deep-funneled photo


@dataclass(frozen=True)
class Actor:
    person: str
    photos: tuple[str, ...]  # paths, shown in turn
    centre: tuple[float, float]  # in the world canvas, as fractions of its width and height
    size: float  # the pasted photo's side, as a fraction of the frame height
    hold_s: float = 1.2  # seconds per photo


@dataclass(frozen=True)
class Shot:
    seconds: float
    actors: tuple[Actor, ...]
    camera_from: tuple[float, float, float, float] = (0.5, 0.5, 1.0, 0.0)  # centre x, y (world fractions), zoom, degrees
    camera_to: tuple[float, float, float, float] = (0.5, 0.5, 1.0, 0.0)
    blur: float = 0.0  # Gaussian sigma (pixels) of motion blur over the shot's middle third
    jpeg: int = 0  # JPEG quality re-applied to each frame (0: none)


@dataclass
class GroundTruth:
    fps: float
    size: tuple[int, int]  # (width, height)
    shots: list[tuple[int, int]] = field(default_factory=list)  # [first, last] frame of each shot
    frames: list[list[tuple[str, tuple[float, float, float, float]]]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"fps": self.fps, "size": list(self.size), "shots": self.shots,
                "frames": [[[p, list(b)] for p, b in f] for f in self.frames]}

    @classmethod
    def from_dict(cls, d: dict) -> "GroundTruth":
        return cls(float(d["fps"]), tuple(d["size"]), [tuple(s) for s in d["shots"]],
                   [[(p, tuple(b)) for p, b in f] for f in d["frames"]])

    def person_at(self, frame: int, box: tuple[float, ...] | np.ndarray) -> str | None:
        """The person whose face is at `box` in `frame`: its centre lies in the middle 60 % of
        their photo, where LFW's labelled face is (None: nobody, or a bystander at the edge)."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for person, (x1, y1, x2, y2) in self.frames[frame]:
            mx, my = 0.2 * (x2 - x1), 0.2 * (y2 - y1)
            if x1 + mx <= cx <= x2 - mx and y1 + my <= cy <= y2 - my:
                return person
        return None

    def shot_of(self, frame: int) -> int:
        return next(i for i, (a, b) in enumerate(self.shots) if a <= frame <= b)


def background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A drawn scene: a colour gradient with soft rectangles, so a pan has something to move."""
    import cv2

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    a, b = rng.uniform(30, 200, 3), rng.uniform(-60, 60, 3)  # each scene its own colours
    img = np.stack([a[c] + b[c] * (x / width if c != 1 else y / height) for c in range(3)], axis=2)
    for _ in range(40):
        x1, y1 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(40, width // 6)), int(rng.integers(40, height // 6))
        colour = rng.integers(40, 220, 3).astype(np.float32)
        cv2.rectangle(img, (x1, y1), (x1 + w, y1 + h), colour.tolist(), -1)
    img = cv2.GaussianBlur(img, (0, 0), 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def _photo(path: str) -> np.ndarray:
    from ..image import load_image

    return load_image(path)[CENTRE]


def _lerp(a: tuple, b: tuple, t: float) -> tuple:
    return tuple(x + (y - x) * t for x, y in zip(a, b))


def render(shots: list[Shot], out: str | os.PathLike[str], *, fps: float = 25.0, size: tuple[int, int] = (1280, 720),
           seed: int = 0) -> GroundTruth:
    """Write the video (mp4v in .mp4, MJPG in .avi) and return its ground truth."""
    import cv2

    width, height = size
    world_w, world_h = 2 * width, 2 * height
    photos: dict[str, np.ndarray] = {}
    fourcc = "MJPG" if str(out).lower().endswith(".avi") else "mp4v"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write {out}")
    gt = GroundTruth(fps, (width, height))
    frame_no = 0
    try:
        for number, shot in enumerate(shots):
            base = background(world_w, world_h, seed + number)  # each shot its own scene
            n = max(1, int(round(shot.seconds * fps)))
            first = frame_no
            world_key, world = None, base
            for k in range(n):
                t = k / max(n - 1, 1)
                sec = k / fps
                picks = tuple(int(sec // a.hold_s) % len(a.photos) for a in shot.actors)
                rects = []
                if picks != world_key:  # re-paste only when some actor's photo changes
                    world = base.copy()
                for a, pick in zip(shot.actors, picks):
                    side = int(round(a.size * height))
                    x1 = int(round(a.centre[0] * world_w - side / 2))
                    y1 = int(round(a.centre[1] * world_h - side / 2))
                    if picks != world_key:
                        path = a.photos[pick]
                        if path not in photos:
                            photos[path] = _photo(path)
                        world[y1:y1 + side, x1:x1 + side] = cv2.resize(photos[path], (side, side),
                                                                      interpolation=cv2.INTER_LINEAR)
                    rects.append((a.person, np.array([[x1, y1], [x1 + side, y1], [x1 + side, y1 + side],
                                                      [x1, y1 + side]], np.float64)))
                world_key = picks
                cx, cy, zoom, angle = _lerp(shot.camera_from, shot.camera_to, t)
                # world -> frame: rotate and scale about the camera centre, which lands mid-frame.
                m = cv2.getRotationMatrix2D((cx * world_w, cy * world_h), angle, zoom)
                m[:, 2] += (width / 2 - cx * world_w, height / 2 - cy * world_h)
                frame = cv2.warpAffine(world, m, (width, height), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_REFLECT)
                if shot.blur > 0 and n / 3 <= k < 2 * n / 3:
                    frame = cv2.GaussianBlur(frame, (0, 0), shot.blur)
                if shot.jpeg:
                    ok, enc = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(shot.jpeg)])
                    frame = cv2.imdecode(enc, cv2.IMREAD_COLOR)
                truth = []
                for person, corners in rects:
                    pts = corners @ m[:, :2].T + m[:, 2]
                    x1, y1 = pts.min(0)
                    x2, y2 = pts.max(0)
                    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)
                    if (cx2 - cx1) * (cy2 - cy1) >= 0.5 * (x2 - x1) * (y2 - y1):  # at least half in view
                        truth.append((person, (round(float(x1), 1), round(float(y1), 1),
                                               round(float(x2), 1), round(float(y2), 1))))
                gt.frames.append(truth)
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                frame_no += 1
            gt.shots.append((first, frame_no - 1))
    finally:
        writer.release()
    return gt


# -- the people and the clips --------------------------------------------------------------
def lfw_photos(data_dir: str | os.PathLike[str], person: str) -> list[str]:
    folder = Path(data_dir) / "lfw_deepfunneled" / "images" / person
    return sorted(str(p) for p in folder.glob("*.jpg"))


@dataclass(frozen=True)
class Cast:
    """Who is in a clip: photos to enrol (never shown in the video) and photos to show."""

    enrol: dict[str, list[str]]  # only the enrolled people
    show: dict[str, list[str]]  # everyone in the video


def cast(data_dir: str | os.PathLike[str], enrolled: list[str], strangers: list[str], *, n_enrol: int = 2,
         n_show: int = 4) -> Cast:
    enrol, show = {}, {}
    for p in enrolled + strangers:
        photos = lfw_photos(data_dir, p)
        if len(photos) < n_enrol + n_show:
            raise FileNotFoundError(f"LFW has {len(photos)} photos of {p}; {n_enrol + n_show} needed")
        if p in enrolled:
            enrol[p] = photos[:n_enrol]
        show[p] = photos[n_enrol:n_enrol + n_show]
    return Cast(enrol, show)


def aba_shots(c: Cast, a: str, b: str, seconds: float = 1.6) -> list[Shot]:
    """A, cut, B, cut, A again (other photos): the suite's clip."""
    one = lambda p, photos, cam: Shot(seconds, (Actor(p, tuple(photos), (0.5, 0.5), 0.55, seconds / 2),),  # noqa: E731
                                      (0.48, 0.5, 1.0, 0.0), cam)
    return [one(a, c.show[a][:2], (0.52, 0.5, 1.1, 3.0)),
            one(b, c.show[b][:2], (0.5, 0.52, 0.95, -3.0)),
            one(a, c.show[a][2:4], (0.53, 0.49, 1.05, 2.0))]


def bench_shots(c: Cast, people: list[str]) -> list[Shot]:
    """About a minute: each person alone with camera motion, blur and JPEG noise, two side by
    side, people coming back after others (the benchmark's clip)."""
    a, b, s1, d, s2 = people
    ph = c.show

    def alone(p: str, photos: list[str], seconds: float, cam_from, cam_to, blur=0.0, jpeg=0) -> Shot:
        return Shot(seconds, (Actor(p, tuple(photos), (0.5, 0.5), 0.32, 1.5),), cam_from, cam_to, blur, jpeg)

    def pair(p: str, q: str, seconds: float, cam_from, cam_to, jpeg=0) -> Shot:
        return Shot(seconds, (Actor(p, tuple(ph[p][:2]), (0.45, 0.5), 0.3, 1.5),
                              Actor(q, tuple(ph[q][:2]), (0.55, 0.5), 0.3, 1.5)), cam_from, cam_to, 0.0, jpeg)

    # Faces of about 70-150 pixels (a 216-pixel photo at zooms 0.8-1.3), the camera moving
    # through every shot; blur (sigma 3-4 px) over the middle third of four shots.
    return [
        alone(a, ph[a], 6.0, (0.42, 0.5, 0.9, 0.0), (0.58, 0.5, 1.2, 0.0)),  # pan + zoom in
        alone(b, ph[b], 6.0, (0.5, 0.44, 1.0, -10.0), (0.5, 0.56, 1.0, 10.0), blur=4.0),  # tilt, rotation, blur
        alone(s1, ph[s1], 5.0, (0.5, 0.5, 1.3, 0.0), (0.5, 0.5, 0.8, 0.0), jpeg=15),  # zoom out, JPEG noise
        pair(a, b, 6.0, (0.47, 0.5, 1.0, 0.0), (0.53, 0.5, 1.0, 0.0)),  # side by side
        alone(d, ph[d], 5.0, (0.55, 0.5, 1.0, 8.0), (0.45, 0.5, 1.0, -8.0), jpeg=20),
        alone(s2, ph[s2], 5.0, (0.45, 0.52, 1.1, 0.0), (0.55, 0.48, 1.1, 0.0), blur=3.5),
        alone(a, ph[a][2:] + ph[a][:2], 5.0, (0.5, 0.5, 1.2, 0.0), (0.5, 0.5, 0.9, 0.0), blur=3.0),  # A returns
        pair(s1, d, 6.0, (0.5, 0.47, 1.0, -6.0), (0.5, 0.53, 1.0, 6.0), jpeg=20),  # a stranger returns beside D
        alone(b, ph[b][2:] + ph[b][:2], 5.0, (0.45, 0.5, 1.0, 0.0), (0.55, 0.5, 1.15, 0.0), jpeg=15),  # B returns
    ]


def save_truth(gt: GroundTruth, path: str | os.PathLike[str]) -> None:
    Path(path).write_text(json.dumps(gt.to_dict()), encoding="utf-8")
