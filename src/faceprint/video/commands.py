"""`faceprint video INPUT`: track the faces of a video, name each track, write a timeline.

INPUT is a video file (mp4, avi, mkv, webm, mov, animated gif...), a camera index (0), or an
rtsp/http(s) stream URL named by the operator. Prints one line per track (`--json`: JSON
Lines with track, identity, similarity, start, end, frames, box, ...); `--out` writes an
annotated copy, `--sheet DIR` an HTML contact sheet of the tracks. When decoding stops
part-way (a truncated file), the tracks seen so far are still printed and written, then
the error is reported (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli.options import add_fmr, add_model


def register(subparsers: Any) -> argparse.ArgumentParser:
    help_ = "track faces through a video: one identity per track, a timeline, an annotated copy"
    p = subparsers.add_parser("video", help=help_, description=help_)
    p.set_defaults(func=cmd_video)
    p.add_argument("input", metavar="INPUT", help="video file, camera index (0, 1...) or rtsp/http(s) URL")
    p.add_argument("--gallery", metavar="G", help="gallery to name tracks from (path or URI); without it "
                   "every track is unknown and strangers are still told apart")
    p.add_argument("--key-file", metavar="PATH", help="with --gallery: its encryption key (base64, 32 bytes; "
                   "default $FACEPRINT_GALLERY_KEY), never in the gallery's own folder")
    p.add_argument("--audit-log", metavar="PATH", help="with --gallery: append who searched it and whom it named "
                   "to PATH (JSON Lines, 0600; docs/privacy.md)")
    p.add_argument("--out", metavar="ANNOTATED.mp4", help="write the video with boxes, track ids and names")
    p.add_argument("--sheet", metavar="DIR", help="write an HTML contact sheet of the tracks into DIR")
    add_model(p, default_note="default: the gallery's, else the default pipeline")
    p.add_argument("--every", type=_positive, default=None, metavar="N",
                   help="run the detector on every N-th frame and track in between (default: about 8 per second)")
    add_fmr(p, "of the gallery threshold")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for a camera or stream to open and to send a frame (default 10)")
    p.add_argument("--max-frames", type=_positive, default=None, metavar="N", help="stop after N frames")
    if not any(a.dest == "json" for a in p._actions):
        p.add_argument("--json", action="store_true", help="JSON Lines, one line per track")
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _emit(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, allow_nan=False), flush=True)


def quiet_ffmpeg() -> None:
    """FFmpeg (inside OpenCV) prints its own lines for every bad file; ours say it once, clearly."""
    import os

    import cv2

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when the first capture opens
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def cmd_video(args: argparse.Namespace) -> int:
    from ..errors import FaceprintError
    from ..pipeline import Analyzer
    from .run import VideoRun
    from .source import kind_of, open_video
    from .writer import AnnotatedWriter

    quiet_ffmpeg()
    gallery = audit = None
    if args.gallery:
        from ..gallery import open_gallery
        from ..gallery.commands import _Audit

        gallery = open_gallery(args.gallery, Analyzer.from_name(args.model) if args.model else None,
                               key_file=args.key_file)
        audit = _Audit(args, "faceprint video", args.gallery)
    try:
        analyzer = gallery.analyzer() if gallery is not None else Analyzer.from_name(args.model)
        source = open_video(int(args.input) if kind_of(args.input) == "camera" else args.input,
                            timeout_s=args.timeout)
        writer = None
        bar = None
        try:
            if args.out:
                writer = AnnotatedWriter(args.out, source.info.fps, (source.info.width, source.info.height))
            from ..progress import progress as make_bar

            total = source.info.frame_count
            if args.max_frames is not None and total is not None:
                total = min(total, args.max_frames)
            bar = make_bar(total=total, desc="video", unit="frame", smoothing=0.1)

            def on_frame(frame, result) -> None:
                if writer is not None:
                    writer.write(frame.image, result)
                bar.update(1)

            run = VideoRun(source, analyzer, gallery=gallery, every=args.every, fmr=args.fmr,
                           max_frames=args.max_frames, on_frame=on_frame, thumbs=bool(args.sheet))
            error: FaceprintError | None = None
            try:
                run.run()
            except FaceprintError as e:
                error = e  # report what was found up to the failure first, then the error
        finally:
            if bar is not None:
                bar.close()
            if writer is not None:
                writer.close()
            source.close()
        summary = run.summary
        if audit is not None:  # one search of the gallery per video: who it named
            audit("search", outcome="ok" if error is None else error.code,
                  identities=summary.to_dict()["identities"], tracks=len(summary.tracks))
        if args.sheet:
            from .sheet import write_sheet

            write_sheet(args.sheet, args.input, summary)
        _report(args, summary)
        if error is not None:
            raise error
    finally:
        if gallery is not None:
            gallery.close()
        if audit is not None:
            audit.close()
    return 0


def _report(args: argparse.Namespace, summary) -> None:
    if args.json:
        for rec in summary.timeline():
            _emit(rec)
        return
    for t in summary.timeline():
        who = t["identity"] or (f"stranger {t['stranger']}" if t["stranger"] else "unknown")
        sim = "" if t["similarity"] is None else f" (similarity {t['similarity']:.2f})"
        print(f"track {t['track']}: {t['start']:.2f}-{t['end']:.2f} s, {t['frames']} frames: {who}{sim}")
    d = summary.to_dict()
    print(f"{d['frames']} frames ({d['frames_detected']} detected), {d['shots']} shot(s), {d['tracks']} tracks, "
          f"{len(d['identities'])} named identities, {d['strangers']} strangers; "
          f"{d['processing_fps'] or 0:.1f} frames/s", file=sys.stderr)
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    if args.sheet:
        print(f"wrote {args.sheet}/index.html", file=sys.stderr)
