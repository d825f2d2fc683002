"""python -m faceprint.bench video: decoders, tracking and identity on video, against face_recognition's way.

1. Decoders: OpenCV `VideoCapture` and PyAV (plain and threaded), every frame to RGB, on
   the shared real clips (best of 3).
2. A 49 s, 1280x720, 25 fps clip built from real LFW photos (`video/synthetic.py`): five
   people, nine shots joined by cuts, pans, zooms, small rotations, blur, JPEG noise, two
   people side by side, people coming back; three enrolled (from photos never shown), two
   strangers. Ground truth by construction. For each pipeline (and tracker):
   identity precision / recall per track, ID switches, tracks per true person within a shot
   (fragmentation), stranger labels, face coverage, and processing fps / video fps.
3. The baseline in the same process: face_recognition's video example (dlib HOG, upsampled
   once, + dlib ResNet encoding of every face of every frame, each compared on its own
   with the enrolled encodings at its tolerance 0.6), on every `--baseline-every`-th frame;
   per-frame naming is compared on those same frames.
4. The real shared clips with `fast`: tracks, shots, strangers, processing fps.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..calibrate import default_data_dir

ENROLLED = ["Serena_Williams", "Hugo_Chavez", "Vladimir_Putin"]
STRANGERS = ["Laura_Bush", "Hans_Blix"]
REAL_CLIPS = ("video.mp4", "d9.mp4", "d14.mp4", "d3.mp4", "demo.gif")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("video", help="video: decoders, tracking, per-track identity, speed vs face_recognition")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--work", default=None, help="folder for the generated clip (default: a temporary one)")
    p.add_argument("--model", action="append", default=None, help="pipelines (default: fast and accurate)")
    p.add_argument("--tracker", choices=("ours", "bytetrack", "both"), default="both")
    p.add_argument("--every", type=int, default=None, help="detector every N frames (default: about 8/s)")
    p.add_argument("--baseline-every", type=int, default=25, help="baseline on every N-th frame (0: skip)")
    p.add_argument("--skip-decoders", action="store_true")
    p.add_argument("--skip-real", action="store_true")
    p.add_argument("--json", action="store_true")


# -- 1. decoders -------------------------------------------------------------------------------
def decoder_table(videos: Path, repeats: int = 3) -> list[dict[str, Any]]:
    import cv2

    def opencv(path: str) -> int:
        cap, n = cv2.VideoCapture(path), 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            n += 1
        cap.release()
        return n

    def pyav(path: str, threads: bool) -> int:
        import av

        with av.open(path) as c:
            s = c.streams.video[0]
            if threads:
                s.thread_type = "AUTO"
            return sum(1 for f in c.decode(s) if f.to_ndarray(format="rgb24") is not None)

    runners = {"opencv": opencv}
    try:
        import av  # noqa: F401

        runners["pyav"] = lambda p: pyav(p, False)
        runners["pyav_threads"] = lambda p: pyav(p, True)
    except ImportError:
        pass
    rows = []
    for name in REAL_CLIPS:
        path = videos / name
        if not path.exists():
            continue
        row: dict[str, Any] = {"clip": name}
        for label, fn in runners.items():
            best, n = float("inf"), 0
            for _ in range(repeats):
                t0 = time.perf_counter()
                n = fn(str(path))
                best = min(best, time.perf_counter() - t0)
            row[label] = round(n / best, 1)
            row["frames"] = n
        rows.append(row)
    return rows


# -- 2. the generated clip and its scores ---------------------------------------------------------
def build_clip(data: Path, work: Path) -> tuple[Path, Any, Any]:
    from ..video import synthetic

    cast = synthetic.cast(data, ENROLLED, STRANGERS)
    people = [ENROLLED[0], ENROLLED[1], STRANGERS[0], ENROLLED[2], STRANGERS[1]]
    path = work / "lfw_people_720p25.mp4"
    gt = synthetic.render(synthetic.bench_shots(cast, people), path, fps=25.0, size=(1280, 720))
    synthetic.save_truth(gt, work / "lfw_people_720p25.truth.json")
    return path, gt, cast


def score(gt: Any, faces: list[tuple[int, int, tuple]], summary: Any) -> dict[str, Any]:
    """faces: (frame, track, box) for every face shown in every frame."""
    votes: dict[int, Counter] = defaultdict(Counter)
    per_frame: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for frame, tid, box in faces:
        person = gt.person_at(frame, box)
        votes[tid][person] += 1
        per_frame[frame].append((tid, person))
    truth = {tid: c.most_common(1)[0][0] for tid, c in votes.items()}
    identity = {t.track: t.identity for t in summary.tracks}
    stranger = {t.track: t.stranger for t in summary.tracks}
    tracks = [t for t in truth if t in identity]
    real = [t for t in tracks if truth[t] is not None]
    named = [t for t in real if identity[t] is not None] + [t for t in tracks if truth[t] is None and identity[t]]
    correct = [t for t in real if identity[t] is not None and identity[t] == truth[t]]
    of_enrolled = [t for t in real if truth[t] in ENROLLED]
    of_strangers = [t for t in real if truth[t] in STRANGERS]
    # ID switches: within a shot, the track following a person changes from one frame to the next.
    switches, last = 0, {}
    for frame in sorted(per_frame):
        shot = gt.shot_of(frame)
        for tid, person in per_frame[frame]:
            if person is None:
                continue
            key = (shot, person)
            if key in last and last[key] != tid:
                switches += 1
            last[key] = tid
    # Fragmentation: distinct tracks per (shot, person) that the person appears in.
    spans: dict[tuple[int, str], set[int]] = defaultdict(set)
    for frame, items in per_frame.items():
        for tid, person in items:
            if person is not None and truth.get(tid) == person:
                spans[(gt.shot_of(frame), person)].add(tid)
    present = {(gt.shot_of(f), p) for f, fr in enumerate(gt.frames) for p, _ in fr}
    frag = [len(spans.get(k, ())) for k in present]
    covered = sum(1 for f, fr in enumerate(gt.frames) for p, _ in fr if any(q == p for _, q in per_frame.get(f, ())))
    total = sum(len(fr) for fr in gt.frames)
    labels = {p: sorted({stranger[t] for t in of_strangers if truth[t] == p and stranger[t] is not None})
              for p in STRANGERS}
    return {
        "tracks": len(tracks), "false_tracks": sum(1 for t in tracks if truth[t] is None),
        "identity_precision": len(correct) / len(named) if named else float("nan"),
        "identity_recall": len(correct) / len(of_enrolled) if of_enrolled else float("nan"),
        "strangers_left_unnamed": (sum(1 for t in of_strangers if identity[t] is None) / len(of_strangers)
                                   if of_strangers else float("nan")),
        "stranger_labels": labels,
        "id_switches": switches,
        "tracks_per_person_shot": float(np.mean(frag)) if frag else float("nan"),
        "worst_fragmentation": max(frag) if frag else 0,
        "coverage": covered / total if total else float("nan"),
    }


def frame_naming(gt: Any, names_at: dict[int, list[tuple[tuple, str | None]]], frames: list[int]) -> dict[str, float]:
    """Per-frame naming on the given frames: precision / recall of names over the true faces."""
    named = correct = enrolled_faces = stranger_named = 0
    for f in frames:
        for box, name in names_at.get(f, []):
            person = gt.person_at(f, box)
            if name is not None:
                named += 1
                correct += int(name == person)
                stranger_named += int(person in STRANGERS)
        enrolled_faces += sum(1 for p, _ in gt.frames[f] if p in ENROLLED)
    return {"precision": correct / named if named else float("nan"),
            "recall": correct / enrolled_faces if enrolled_faces else float("nan"),
            "strangers_named": stranger_named}


def run_ours(path: Path, gt: Any, analyzer: Any, gallery: Any, tracker_name: str, every: int | None) -> dict[str, Any]:
    from ..video.run import VideoRun

    faces: list[tuple[int, int, tuple]] = []

    def on_frame(frame, result) -> None:
        for f in result.faces:
            faces.append((result.index, f.track, f.box))

    tracker = None
    if tracker_name == "bytetrack":
        from ..video.bytetrack import ByteTrackAdapter

        tracker = ByteTrackAdapter(gt.fps)
    run = VideoRun(str(path), analyzer, gallery=gallery, every=every, on_frame=on_frame, tracker=tracker,
                   thumbs=False)
    t0 = time.perf_counter()
    summary = run.run()
    spent = time.perf_counter() - t0
    out = score(gt, faces, summary)
    identity = {t.track: t.identity for t in summary.tracks}
    names_at: dict[int, list] = defaultdict(list)
    for frame, tid, box in faces:
        names_at[frame].append((box, identity.get(tid)))
    out.update(fps=summary.frames_read / spent, realtime=summary.frames_read / spent / gt.fps,
               frames=summary.frames_read, frames_detected=summary.frames_detected, shots=summary.shots,
               every=run.every)
    out["_names_at"] = names_at
    return out


def run_baseline(path: Path, gt: Any, cast: Any, every: int) -> dict[str, Any]:
    """face_recognition's facerec_from_video_file example, on dlib directly (it is that library's core)."""
    import cv2
    import dlib

    from ..image import load_image
    from ..models.catalog import DLIB_RESNET
    from ..models.files import locate

    hog = dlib.get_frontal_face_detector()
    net = dlib.face_recognition_model_v1(str(locate(DLIB_RESNET.files[0])))
    sp = dlib.shape_predictor(str(locate(DLIB_RESNET.files[1])))

    def encodings(rgb: np.ndarray, upsample: int = 1) -> tuple[list, list]:
        rects = hog(rgb, upsample)
        encs = [np.asarray(net.compute_face_descriptor(rgb, sp(rgb, r))) for r in rects]
        return rects, encs

    known, names = [], []
    for person, photos in cast.enrol.items():
        for p in photos:
            _, encs = encodings(load_image(p))
            if encs:
                known.append(encs[0])
                names.append(person)
    known_m = np.stack(known)
    cap = cv2.VideoCapture(str(path))
    names_at: dict[int, list] = defaultdict(list)
    frames, spent, index = [], 0.0, 0
    while True:
        ok = cap.grab()
        if not ok:
            break
        if index % every == 0:
            t0 = time.perf_counter()
            _, bgr = cap.retrieve()
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            rects, encs = encodings(rgb)
            for r, e in zip(rects, encs):
                d = np.linalg.norm(known_m - e, axis=1)
                match = [names[i] for i in np.flatnonzero(d <= 0.6)]  # compare_faces(tolerance=0.6)
                name = match[0] if match else None  # the example takes the first match
                names_at[index].append(((r.left(), r.top(), r.right(), r.bottom()), name))
            spent += time.perf_counter() - t0
            frames.append(index)
        index += 1
    cap.release()
    return {"frames": frames, "names_at": names_at, "fps": len(frames) / spent, "realtime": len(frames) / spent / gt.fps}


# -- 4. the real clips -----------------------------------------------------------------------------
# What each real clip holds (its README; looked at): one person in one shot, except the crowd
# and demo.gif (one woman live, then replayed on a phone, then a printed photo: 3 shots).
REAL_PEOPLE = {"d9.mp4": 1, "d14.mp4": 1, "d3.mp4": 1, "demo.gif": 1, "video.mp4": None}


def real_clips(videos: Path, analyzer: Any, trackers: list[str]) -> list[dict[str, Any]]:
    from ..video.run import VideoRun

    rows = []
    for name in REAL_CLIPS:
        path = videos / name
        if not path.exists():
            continue
        for tr in trackers:
            tracker = None
            if tr == "bytetrack":
                from ..video.bytetrack import ByteTrackAdapter
                from ..video.source import open_video

                with open_video(path) as v:
                    tracker = ByteTrackAdapter(v.info.fps)
            run = VideoRun(str(path), analyzer, thumbs=False, tracker=tracker)
            t0 = time.perf_counter()
            s = run.run()
            spent = time.perf_counter() - t0
            long_tracks = [t for t in s.tracks if t.frames >= s.info.fps / 2]  # half a second or more
            rows.append({"clip": name, "tracker": tr, "size": f"{s.info.width}x{s.info.height}",
                         "fps": round(s.info.fps, 1), "frames": s.frames_read, "shots": s.shots,
                         "people": REAL_PEOPLE.get(name), "tracks": len(s.tracks), "tracks_0.5s+": len(long_tracks),
                         "strangers": len({t.stranger for t in s.tracks if t.stranger is not None}),
                         "realtime": round(s.frames_read / spent / s.info.fps, 2)})
    return rows


def run(args: argparse.Namespace) -> int:
    from ..gallery import open_gallery
    from ..pipeline import Analyzer
    from ..video.commands import quiet_ffmpeg

    quiet_ffmpeg()
    data = Path(args.data)
    videos = data / "videos"
    report: dict[str, Any] = {"note": "timings on a shared 2-core machine; ratios are to the video's fps"}
    if not args.skip_decoders:
        report["decoders"] = decoder_table(videos)
        _print_rows("decoders (frames/s, decode + convert to RGB, best of 3)", report["decoders"])
    with tempfile.TemporaryDirectory(prefix="faceprint-video-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        path, gt, cast = build_clip(data, work)
        print(f"built {path.name}: {len(gt.frames)} frames, {len(gt.shots)} shots in {time.perf_counter() - t0:.0f} s",
              flush=True)
        trackers = ["ours", "bytetrack"] if args.tracker == "both" else [args.tracker]
        rows, names = [], {}
        for model in args.model or ["fast", "accurate"]:
            analyzer = Analyzer.from_name(model)
            gdb = work / f"gallery-{model}.db"
            if gdb.exists():
                gdb.unlink()
            with open_gallery(gdb, analyzer, create=True) as g:
                for person, photos in cast.enrol.items():
                    g.enroll(person, photos)
                for tr in trackers if model == "fast" else ["ours"]:
                    r = run_ours(path, gt, analyzer, g, tr, args.every)
                    names[(model, tr)] = r.pop("_names_at")
                    rows.append({"pipeline": model, "tracker": tr, **r})
                    _print_rows("", [rows[-1]])
        report["synthetic"] = rows
        if args.baseline_every:
            base = run_baseline(path, gt, cast, args.baseline_every)
            frames = base["frames"]
            table = [{"system": "face_recognition example (HOG + ResNet every frame)",
                      **frame_naming(gt, base["names_at"], frames), "realtime": base["realtime"]}]
            for (model, tr), n in names.items():
                row = next(r for r in rows if r["pipeline"] == model and r["tracker"] == tr)
                table.append({"system": f"faceprint {model} ({tr} tracker)", **frame_naming(gt, n, frames),
                              "realtime": row["realtime"]})
            base_rt = base["realtime"]
            for row in table:
                row["speed_vs_baseline"] = row["realtime"] / base_rt
            report["per_frame_naming"] = {"frames": len(frames), "rows": table}
            _print_rows(f"per-frame naming on {len(frames)} frames (every {args.baseline_every}th)", table)
    if not args.skip_real:
        trackers = ["ours", "bytetrack"] if args.tracker == "both" else [args.tracker]
        report["real"] = real_clips(videos, Analyzer.from_name("fast"), trackers)
        _print_rows("real clips (fast)", report["real"])
    if args.json:
        print(json.dumps(report, default=_jsonable))
    return 0


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return str(v)


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    if title:
        print(f"\n{title}")
    for r in rows:
        print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.items()), flush=True)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)
