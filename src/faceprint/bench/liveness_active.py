"""The active check, measured (`python -m faceprint.bench liveness --active`).

- Real clips (d3, d9, d14 of the shared videos): each is measured once, then every single
  challenge is checked on it (what the clip shows is in data/videos/README.md: d3 one clear
  turn to her left; d9 eyes closed several times; d14 closes both eyes, turns left and right).
- Stills: LFW photos and skimage's astronaut, 4 s at 15 fps, once exactly still (a digital
  still) and once "held by hand" (shifted and rotated by a small random amount every frame,
  as a printed photo held up to a camera moves).
- Slideshows: photos of one LFW person, shown 0.5 s each, ordered by their yaw from the most
  frontal towards the challenged side (the strongest order for an attacker), each held
  still or by hand.
LFW photos are cut to their central 150x150 pixels (the deep-funnelled face) and doubled, so
bystanders in the news photos do not end the check as "more than one face" before the track
rules are tried. Every still and slideshow must fail every challenge; the report counts how
often they pass and why they failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

FPS = 15.0
SLIDESHOW_PEOPLE = ("George_W_Bush", "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder")
STILL_PEOPLE = ("Ariel_Sharon", "Hugo_Chavez", "Jean_Chretien", "John_Ashcroft", "Junichiro_Koizumi",
                "Serena_Williams", "Vladimir_Putin", "Jacques_Chirac")


def _centre(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image[50:200, 50:200], (300, 300), interpolation=cv2.INTER_CUBIC)


def _held(image: np.ndarray, rng: np.random.Generator, n: int, hand: bool) -> list[tuple[float, np.ndarray]]:
    import cv2

    h, w = image.shape[:2]
    out = []
    for i in range(n):
        frame = image
        if hand:
            m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.normal(0, 1.0)), float(1 + rng.normal(0, 0.01)))
            m[:, 2] += rng.normal(0, 2.0, 2)
            frame = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        out.append((i / FPS, frame))
    return out


def measure(data: Path) -> dict[str, Any]:
    from skimage import data as skdata

    from ..image import load_image
    from ..liveness.active import CHALLENGES, FrameMeter, check, measure_frames, video_frames
    from ..liveness.active import DEADLINE_PER_CHALLENGE as PER
    from ..pipeline import Analyzer

    meter = FrameMeter(Analyzer.from_name("fast").detector)
    rng = np.random.default_rng(0)
    report: dict[str, Any] = {"real_clips": {}, "stills": {}, "slideshows": {}}

    for clip in ("d3", "d9", "d14"):
        path = data / "videos" / f"{clip}.mp4"
        if not path.is_file():
            continue
        ms = measure_frames(meter, video_frames(str(path)))
        row = {}
        for c in CHALLENGES:
            r = check(ms, [c], PER)
            row[c] = {"passed": r.live, "at": r.challenges[0].when, "reason": r.reason}
        report["real_clips"][clip] = row
        print(f"  {clip}: " + ", ".join(f"{c} {'pass' if v['passed'] else 'fail'}" for c, v in row.items()),
              flush=True)

    lfw = data / "lfw_deepfunneled" / "images"
    photos = {"astronaut": skdata.astronaut()}
    for p in STILL_PEOPLE:
        files = sorted((lfw / p).glob("*.jpg"))
        if files:
            photos[p] = _centre(load_image(files[0]))
    tally = {"clips": 0, "challenge_checks": 0, "passed": 0, "reasons": {}}
    for name, image in photos.items():
        for hand in (False, True):
            ms = measure_frames(meter, _held(image, rng, int(4 * FPS), hand))
            tally["clips"] += 1
            for c in CHALLENGES:
                _count(tally, check(ms, [c], PER))
    report["stills"] = tally
    print(f"  stills: {tally['passed']} of {tally['challenge_checks']} checks passed", flush=True)

    tally = {"clips": 0, "challenge_checks": 0, "passed": 0, "reasons": {}}
    for person in SLIDESHOW_PEOPLE:
        files = sorted((lfw / person).glob("*.jpg"))[:40]
        if len(files) < 6:
            continue
        measured = []
        for f in files:
            image = _centre(load_image(f))
            m = meter.measure(image, 0.0)
            if m.box is not None:
                measured.append((m.yaw, m.pitch, image))
        for c in ("turn_left", "turn_right", "look_up"):
            key_i, sign = (0, 1.0) if c == "turn_left" else (0, -1.0) if c == "turn_right" else (1, 1.0)
            order = sorted(measured, key=lambda x: sign * x[key_i])
            start = min(range(len(order)), key=lambda i: abs(order[i][key_i]))  # most frontal first
            shown = order[start:][:10]
            for hand in (False, True):
                frames = []
                for k, (_, _, image) in enumerate(shown):
                    frames += [(k * 0.5 + t, f) for t, f in _held(image, rng, int(0.5 * FPS), hand)]
                tally["clips"] += 1
                _count(tally, check(measure_frames(meter, frames), [c], PER))
    report["slideshows"] = tally
    print(f"  slideshows: {tally['passed']} of {tally['challenge_checks']} checks passed", flush=True)
    return report


def _count(tally: dict, result: Any) -> None:
    """One challenge check into the tally: passed or not, and the kind of reason given."""
    tally["challenge_checks"] += 1
    tally["passed"] += int(result.live)
    kind = _reason_kind(result.reason)
    tally["reasons"][kind] = tally["reasons"].get(kind, 0) + 1


def _reason_kind(reason: str | None) -> str:
    if reason is None:
        return "passed"
    for key, words in (("still", "does not move"), ("track broke", "broke at"), ("not seen", "not seen"),
                       ("two faces", "more than one"), ("no face", "no face"), ("late", "deadline")):
        if words in reason:
            return key
    return "other"
