"""`faceprint blur INPUT... --out DIR`: cover every face of photos and videos before sharing them.

Photos keep their format when it can be written (JPEG, PNG, WebP, BMP, TIFF; others become
PNG; no metadata is copied, so EXIF GPS and camera data are gone); videos are written as
MPEG-4 (`.mp4`, `.mov`, `.m4v`, `.mkv`) or MJPEG (`.avi`), other containers as `.mp4`, with no
audio. Batch rule (`cli/exits.py`): every input is answered, exit 2 if any failed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..cli.options import add_json, float_in, int_at_least
from ..cli.output import Batch, emit, output_dir
from ..errors import FaceprintError, GalleryError, InputError, ModelMismatchError

VIDEO_EXTS = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts"}
PHOTO_KEEP = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_KEEP = {".mp4", ".m4v", ".mov", ".avi", ".mkv"}


def register(sub: Any) -> None:
    help_ = "cover every face of photos and videos (blur, pixelate, fill) before sharing them"
    p = sub.add_parser("blur", help=help_, description=help_)
    p.set_defaults(func=cmd_blur)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photos and videos (an animated GIF is a video)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the covered copies (same file names)")
    p.add_argument("--method", choices=("gaussian", "pixelate", "solid", "mask"), default="gaussian",
                   help="gaussian blur, pixelate (mosaic), solid (black), or mask (white cover on black); "
                   "default gaussian")
    p.add_argument("--keep", metavar="GALLERY", help="leave uncovered the people enrolled in this gallery "
                   "(named at its calibrated threshold); everyone else is covered")
    p.add_argument("--key-file", metavar="PATH", help="with --keep: the gallery's encryption key (base64, 32 bytes; "
                   "default $FACEPRINT_GALLERY_KEY), never in the gallery's own folder")
    p.add_argument("--audit-log", metavar="PATH", help="with --keep: append who searched the gallery and whom it "
                   "named (kept) to PATH, one line per input (JSON Lines, 0600; docs/privacy.md)")
    p.add_argument("--fmr", type=float_in(0, 1, "a false-match rate"), default=1e-3,
                   help="with --keep: the false-match rate of the threshold that names a kept person (default 1e-3)")
    p.add_argument("--margin", type=float_in(-0.001, 2, "--margin"), default=0.25,
                   help="cover beyond the detector's box, as a fraction of the face size per side (default 0.25)")
    p.add_argument("--score", type=float_in(0, 1, "--score"), default=0.3,
                   help="detector score threshold; lower covers more (default 0.3, identification uses 0.6)")
    p.add_argument("--every", type=int_at_least(1, "--every"), default=1, metavar="N",
                   help="video: run the detector on every N-th frame, track between (default 1: every frame)")
    p.add_argument("--no-weak", dest="weak", action="store_false",
                   help="video: do not cover weak detections that persist over frames (saves a contrast-enhanced "
                        "detector pass per frame; misses more half-hidden and dark faces)")
    add_json(p, "JSON Lines: one line per input with what was covered (boxes; frames for video)")


def kind(path: str) -> str:
    ext = Path(path).suffix.lower()
    if ext in VIDEO_EXTS:
        return "video"
    if ext == ".gif":
        try:
            from PIL import Image

            with Image.open(path) as im:
                return "video" if getattr(im, "n_frames", 1) > 1 else "photo"
        except (OSError, ValueError):
            return "photo"  # the photo reader names what is wrong with it
    return "photo"


def out_name(path: str, what: str, method: str, taken: set[str]) -> str:
    p = Path(path)
    ext = p.suffix.lower()
    if what == "video":
        ext = ext if ext in VIDEO_KEEP else ".mp4"
    else:
        ext = ".png" if method == "mask" or ext not in PHOTO_KEEP else ext
    name, n = p.stem + ext, 2
    while name in taken:  # two inputs with one file name: a-2.jpg, a-3.jpg ...
        name, n = f"{p.stem}-{n}{ext}", n + 1
    taken.add(name)
    return name


def cmd_blur(args: argparse.Namespace) -> int:
    from ..video.commands import quiet_ffmpeg
    from .photo import Blurrer

    out_dir = output_dir(args.out, "--out")  # a bad folder fails before any model work
    keep = audit = None
    if args.keep:
        from ..gallery import open_gallery
        from ..gallery.commands import _Audit
        from .keep import KeepRule

        gallery = open_gallery(args.keep, key_file=args.key_file)
        try:
            keep = KeepRule(gallery, args.fmr)
        except BaseException:
            gallery.close()
            raise
        audit = _Audit(args, "faceprint blur --keep", args.keep)  # --keep searches the gallery
    quiet_ffmpeg()
    blurrer = Blurrer(args.method, margin=args.margin, score=args.score, keep=keep)
    batch = Batch(args)
    taken: set[str] = set()
    try:
        for path in args.inputs:
            what = kind(path)
            target = out_dir / out_name(path, what, args.method, taken)
            base = {"file": path}
            try:
                if os.path.exists(path) and target.exists() and os.path.samefile(path, target):
                    raise InputError(f"{path!r}: --out would overwrite the input itself; choose another folder")
                rec = _photo(blurrer, path, target) if what == "photo" else _video(blurrer, path, target, args)
            except (GalleryError, ModelMismatchError) as e:
                if audit is not None:
                    audit("search", outcome=e.code)
                raise  # about the --keep gallery, not this input: stop
            except FaceprintError as e:
                if audit is not None:
                    audit("search", outcome=e.code)
                partial = getattr(e, "blur_result", None)
                if partial is not None:
                    base["out"] = str(target)  # the frames before the failure were covered and written
                batch.fail(base, e)
                continue
            rec = {"file": path, "out": str(target), "kind": what, "method": args.method, **rec}
            if audit is not None:
                named = rec.get("kept_identities") if what == "video" else [
                    f["identity"] for f in rec.get("faces", []) if f.get("identity")]
                audit("search", identities=sorted(set(named or [])), kept=rec["kept"])
            if args.json:
                emit(rec)
            else:
                kept = f", {rec['kept']} kept" if args.keep else ""
                if what == "photo":
                    print(f"{path} -> {target}: {rec['covered']} face(s) covered{kept}")
                else:
                    print(f"{path} -> {target}: {rec['faces_tracked']} face track(s), "
                          f"{rec['frames_with_cover']} of {rec['frames']} frames with a cover")
    finally:
        blurrer.close()
        if audit is not None:
            audit.close()
    return batch.code


def _photo(blurrer: Any, path: str, target: Path) -> dict[str, Any]:
    from ..image import save_image

    result = blurrer.photo(path)
    save_image(result.image, target)
    return result.to_dict()


def _video(blurrer: Any, path: str, target: Path, args: argparse.Namespace) -> dict[str, Any]:
    from ..progress import progress
    from ..video.source import open_video
    from .video import blur_video

    with open_video(path) as src:
        bar = progress(total=src.info.frame_count, desc=Path(path).name, unit="frame", leave=False)
        try:
            result = blur_video(src, blurrer, out=target, every=args.every, weak=args.weak, on_frame=lambda _: bar.update(1))
        finally:
            bar.close()
    d = result.to_dict()
    kept = len(d["kept"])
    return {**d, "covered": sum(1 for t in d["tracks"] if not t["kept"]), "kept": kept, "kept_identities": d["kept"]}
