"""`faceprint analyze IMAGE... [--json] [--draw DIR] [--extras landmarks,age_gender,emotion]`."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..types import Faces

_AXIS_COLOURS = ((255, 60, 60), (60, 255, 60), (60, 120, 255))


def _extras(text: str) -> tuple[str, ...]:
    from ..errors import UnknownModelError
    from .base import normalise_extras

    try:
        return normalise_extras(text)
    except UnknownModelError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `analyze` subcommand to the `faceprint` parser's subparsers."""
    from ..cli.options import add_image_command
    from ..types import BOX_FORMAT
    from .base import EXTRAS

    help_ = "quality (score + reasons) and head pose per face; optional 468 landmarks, age/gender, emotion"
    p = add_image_command(subparsers, "analyze", help_, cmd_analyze,
                          description=help_ + ". Age, gender and emotion are unreliable guesses about appearance "
                                              "(see the docs); never decide about people with them. "
                                              f"{BOX_FORMAT}.",
                          model_purpose=" whose embedder measures recognizability", json_help="one JSON line per image")
    p.add_argument("--draw", metavar="DIR", help="write each photo with its faces and analysis drawn into DIR")
    p.add_argument("--extras", type=_extras, default=(), metavar="NAMES",
                   help=f"comma-separated optional analyses: {', '.join(EXTRAS)} (each must be installed)")
    return p


def cmd_analyze(args: argparse.Namespace) -> int:
    from ..cli.output import each_image, output_dir
    from ..pipeline import Analyzer
    from . import FaceAnalysis

    draw = output_dir(args.draw, "--draw") if args.draw else None  # a bad folder fails before model work
    analysis = FaceAnalysis(Analyzer.from_name(args.model), args.extras)  # fails early on a missing extra

    def compute(image: np.ndarray) -> tuple[dict[str, Any], Faces]:
        faces = analysis.assess(image, analysis.analyzer.detector.detect(image))
        return {"model": analysis.analyzer.model_id, "extras": list(analysis.extras),
                "faces": faces.to_records()}, faces

    return each_image(args, compute, _print, draw_dir=draw, draw=draw_analysis)


def _angle(value: Any) -> str:
    return "?" if value is None else f"{value:+.0f}"


def _print(path: str, record: dict[str, Any], faces: Faces) -> None:
    print(f"{path}: {len(faces)} face(s)" + (f" -> {record['drawn']}" if "drawn" in record else ""))
    for i, f in enumerate(record["faces"]):
        reasons = ", ".join(f.get("quality_reasons") or [])
        why = f"lowered by: {reasons}" if reasons else "good: no measure lowers it much"
        line = (f"  #{i} quality {f['quality']:.2f} ({why}); "
                f"yaw {_angle(f['yaw'])} pitch {_angle(f['pitch'])} roll {_angle(f['roll'])} deg")
        if "age" in f:
            line += (f"; apparent age {f['age']:.0f} [{f['age_range'][0]:.0f}-{f['age_range'][1]:.0f}] "
                     f"(conf {f['age_confidence']:.2f}), {f['gender']} (conf {f['gender_confidence']:.2f})")
        if "emotion" in f:
            line += f"; expression {f['emotion']} (conf {f['emotion_confidence']:.2f})"
        print(line)


def draw_analysis(image: np.ndarray, faces: Faces) -> np.ndarray:
    """The photo with boxes, 5 points, the 468-point mesh if present, a pose axis and a label per face."""
    import cv2

    from ..draw import draw_faces

    labels = []
    for i in range(len(faces)):
        c = faces.columns
        text = f"#{i} q{float(c['quality'][i]):.2f}" if "quality" in c else f"#{i}"
        if "age" in c:
            text += f" ~{float(c['age'][i]):.0f}y {str(c['gender'][i])[0]}"
        if "emotion" in c:
            text += f" {c['emotion'][i]}"
        labels.append(text)
    out = draw_faces(image, faces, labels)
    thick = max(1, round(max(image.shape[:2]) / 400))
    mesh = faces.columns.get("landmarks_468")
    for i in range(len(faces)):
        if mesh is not None:
            for x, y, _ in mesh[i]:
                cv2.circle(out, (int(round(x)), int(round(y))), max(1, thick // 2), (255, 255, 0), -1)
        if "yaw" in faces.columns:
            _draw_axes(out, faces, i, thick)
        reasons = faces.columns.get("quality_reasons")
        if reasons is not None and reasons[i]:
            x1, _, _, y2 = (int(round(v)) for v in faces.boxes[i])
            cv2.putText(out, ",".join(reasons[i]), (x1, min(out.shape[0] - 3, y2 + int(14 * thick))),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.35 * thick, (255, 60, 60), 1, cv2.LINE_AA)
    return out


def _draw_axes(out: np.ndarray, faces: Faces, i: int, thick: int) -> None:
    """The head's x (red), y (green) and facing (blue) axes from the nose tip."""
    import math

    import cv2

    yaw, pitch, roll = (math.radians(float(faces.columns[k][i])) for k in ("yaw", "pitch", "roll"))
    # Rebuild a rotation consistent with pose.angles_from_rotation's conventions.
    ry = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)], [0, -math.sin(pitch), math.cos(pitch)]])
    rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    r = ry @ rx @ rz  # facing direction from yaw and pitch; roll about it (approximate for large angles)
    length = 0.5 * float(faces.boxes[i, 2] - faces.boxes[i, 0])
    nose = faces.landmarks[i, 2]
    for axis, colour in zip((np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, -1.0])), _AXIS_COLOURS):
        v = r @ axis
        end = (int(round(nose[0] + length * v[0])), int(round(nose[1] + length * v[1])))
        cv2.line(out, (int(round(nose[0])), int(round(nose[1]))), end, colour, thick, cv2.LINE_AA)
