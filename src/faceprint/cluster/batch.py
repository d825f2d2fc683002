"""Detect and embed every face of every photo in a folder, on all cores, resumably.

Each photo's whole result (boxes, landmarks, scores, embeddings and a small JPEG
thumbnail per face) is cached under (pipeline id + fusion weights, file content
digest), so a second run, a run after an interruption, or a run after adding photos
only processes what is new; renamed or copied photos are not recomputed. Photos that
cannot be read are returned with the reason (and cached as such: they fail the same
way next time).

Workers are processes (one model set each, OpenCV limited to one thread each) fed one
photo at a time; the parent hashes files, reads and writes the cache, and collects.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..cache import BlobCache, file_digest
from ..errors import FaceprintError, InputError
from ..types import Faces

RESULT_VERSION = "photo-v1"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
HEIC_EXTENSIONS = frozenset({".heic", ".heif"})
THUMB_SIDE = 112
_FLUSH_EVERY = 32  # results written to the cache at least this often (what an interrupt can lose)


@dataclass(frozen=True)
class PhotoResult:
    """What one photo gave: its faces (with embeddings and thumbnails), or why it failed."""

    file: str  # relative to the folder, with "/" separators
    digest: str
    faces: Faces | None  # None when the photo could not be read
    thumbs: tuple[bytes, ...] = ()  # one JPEG per face, same order as `faces`
    error: str | None = None
    cached: bool = False


def heic_supported() -> bool:
    from ..image import heif_available

    return heif_available()


def walk(root: str | os.PathLike[str], *, exclude: Sequence[str | os.PathLike[str]] = ()) -> list[str]:
    """Photo files under `root`, recursively, as sorted relative "/" paths.

    Hidden files and folders (".name") are skipped, and so is every folder in `exclude`
    (the output folder, when it lies inside the photo folder).
    """
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"photo folder {str(root)!r} does not exist or is not a folder")
    extensions = IMAGE_EXTENSIONS | (HEIC_EXTENSIONS if heic_supported() else frozenset())
    skip = {os.path.realpath(p) for p in exclude}
    found = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and os.path.realpath(os.path.join(dirpath, d)) not in skip)
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in extensions:
                found.append(Path(dirpath, name).relative_to(base).as_posix())
    return sorted(found)


def cache_key(pipeline: str) -> str:
    """Pipeline id plus its fusion weights: the vectors change when either does."""
    from .. import calibration
    from ..models.registry import pipeline_card

    card = pipeline_card(pipeline)
    weights = calibration.fusion_weights(card.name, card.embedders) if len(card.embedders) > 1 else []
    return f"{RESULT_VERSION}:{card.id}:w=" + ",".join(f"{w:.6g}" for w in weights)


# -- (de)serialising one photo's result: .npz bytes, no pickle -------------------------
def encode_result(faces: Faces | None, thumbs: Sequence[bytes], error: str | None) -> bytes:
    buf = io.BytesIO()
    if faces is None:
        np.savez(buf, error=np.array(error or "unreadable"))
        return buf.getvalue()
    emb = faces.embeddings if faces.embeddings is not None else np.zeros((len(faces), 0), np.float32)
    lengths = np.array([len(t) for t in thumbs], np.int64)
    np.savez(buf, boxes=faces.boxes, landmarks=faces.landmarks, scores=faces.scores,
             image_size=np.array(faces.image_size, np.int64), embeddings=emb,
             model=np.array(faces.embedding_model or ""), detector=np.array(faces.detector),
             thumb_lengths=lengths, thumb_bytes=np.frombuffer(b"".join(thumbs), np.uint8))
    return buf.getvalue()


def decode_result(file: str, digest: str, data: bytes, *, cached: bool = False) -> PhotoResult:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        if "error" in z:
            return PhotoResult(file, digest, None, (), str(z["error"]), cached)
        n = z["boxes"].shape[0]
        emb = z["embeddings"] if n and z["embeddings"].shape[1] else None
        faces = Faces(z["boxes"], z["landmarks"], z["scores"], tuple(int(v) for v in z["image_size"]),
                      str(z["detector"]), emb, str(z["model"]) or None)
        ends = np.cumsum(z["thumb_lengths"])
        raw = z["thumb_bytes"].tobytes()
        thumbs = tuple(raw[e - ln:e] for e, ln in zip(ends.tolist(), z["thumb_lengths"].tolist()))
    return PhotoResult(file, digest, faces, thumbs, None, cached)


# -- the work on one photo (in a worker process) ---------------------------------------
def face_thumbnail(image: np.ndarray, box: np.ndarray, side: int = THUMB_SIDE) -> bytes:
    """A square JPEG of the face box with some context around it (grey outside the photo)."""
    import cv2

    from ..image import encode_jpeg

    x1, y1, x2, y2 = (float(v) for v in box)
    half = 0.7 * max(x2 - x1, y2 - y1, 2.0)
    x0, y0 = int(np.floor((x1 + x2) / 2 - half)), int(np.floor((y1 + y2) / 2 - half))
    s = int(np.ceil(2 * half))
    h, w = image.shape[:2]
    canvas = np.full((s, s, 3), 128, np.uint8)
    ax, ay, bx, by = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
    if ax < bx and ay < by:
        canvas[ay - y0:by - y0, ax - x0:bx - x0] = image[ay:by, ax:bx]
    interp = cv2.INTER_AREA if s > side else cv2.INTER_LINEAR
    return encode_jpeg(cv2.resize(canvas, (side, side), interpolation=interp), quality=85)


def read_photo(path: str) -> np.ndarray:
    """RGB pixels of a photo file (HEIC/HEIF too, when pillow-heif is installed): faceprint.image's decoder."""
    from ..image import load_image

    return load_image(path)


_worker: dict[str, object] = {}


def _init_worker(pipeline: str, threads: int) -> None:
    import cv2

    from ..pipeline import Analyzer

    cv2.setNumThreads(threads)  # one process per core: threads inside would fight over them
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # our own worker: no per-process banners
    _worker["analyzer"] = Analyzer.from_name(pipeline)


def _process_one(task: tuple[int, str]) -> tuple[int, bytes]:
    index, path = task
    analyzer = _worker["analyzer"]
    try:
        image = read_photo(path)
        faces = analyzer.analyze(image)
    except FaceprintError as e:
        return index, encode_result(None, (), str(e))
    thumbs = [face_thumbnail(image, b) for b in faces.boxes]
    return index, encode_result(faces, thumbs, None)


# -- the batch ---------------------------------------------------------------------------
def _digests(root: Path, files: Sequence[str], cache: BlobCache | None) -> list[str | BaseException]:
    """Content digest per file, reusing the digest of a file whose path, size and mtime are unchanged."""
    keys, out = [], []
    for f in files:
        try:
            st = os.stat(root / f)
            keys.append(f"{os.path.realpath(root / f)}|{st.st_size}|{st.st_mtime_ns}")
        except OSError as e:
            keys.append(e)
    known = cache.get_many("digest-by-stat", [k for k in keys if isinstance(k, str)]) if cache else {}
    fresh = []
    for f, k in zip(files, keys):
        if isinstance(k, BaseException):
            out.append(k)
        elif k in known:
            out.append(known[k].decode())
        else:
            try:
                d = file_digest(root / f)
            except OSError as e:
                out.append(e)
                continue
            out.append(d)
            fresh.append((k, d.encode()))
    if cache is not None and fresh:
        cache.put_many("digest-by-stat", fresh)
    return out


def process(root: str | os.PathLike[str], files: Sequence[str], pipeline: str, *, workers: int | None = None,
            cache: BlobCache | None = None, progress: bool = True) -> list[PhotoResult]:
    """One `PhotoResult` per file of `files` (paths relative to `root`), in the same order."""
    root = Path(root)
    key = cache_key(pipeline)
    digests = _digests(root, files, cache)
    results: list[PhotoResult | None] = [None] * len(files)
    for i, d in enumerate(digests):
        if isinstance(d, BaseException):
            results[i] = PhotoResult(files[i], "", None, (), f"cannot read file: {getattr(d, 'strerror', None) or d}")
    ok = [i for i, d in enumerate(digests) if isinstance(d, str)]
    known = cache.get_many(key, [digests[i] for i in ok]) if cache is not None else {}
    todo, first_of = [], {}
    for i in ok:
        d = digests[i]
        if d in known:
            results[i] = decode_result(files[i], d, known[d], cached=True)
        elif d in first_of:
            continue  # the same content twice: compute once, copy below
        else:
            first_of[d] = i
            todo.append(i)
    pending: list[tuple[str, bytes]] = []
    for i, data in _run(root, files, todo, pipeline, workers, progress):
        results[i] = decode_result(files[i], digests[i], data)
        if cache is not None:
            pending.append((digests[i], data))
            if len(pending) >= _FLUSH_EVERY:
                cache.put_many(key, pending)
                pending = []
    if cache is not None and pending:
        cache.put_many(key, pending)
    for i in ok:
        if results[i] is None:  # a duplicate of a file computed in this run
            src = results[first_of[digests[i]]]
            results[i] = PhotoResult(files[i], src.digest, src.faces, src.thumbs, src.error, src.cached)
    return results  # type: ignore[return-value]


def _run(root: Path, files: Sequence[str], todo: list[int], pipeline: str, workers: int | None,
         progress: bool) -> Iterator[tuple[int, bytes]]:
    if not todo:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    tasks = [(i, str(root / files[i])) for i in todo]
    bar = None
    if progress:
        from ..progress import progress as make_bar

        bar = make_bar(total=len(tasks), desc="faces", unit="photo")
    try:
        if workers == 1:
            # In-process: no pickling, and the baseline "one image at a time" of the benchmark.
            _init_worker(pipeline, 1)
            for t in tasks:
                yield _process_one(t)
                if bar is not None:
                    bar.update(1)
            return
        # Not fork: a parent that has used OpenCV's or BLAS's thread pools (a test, a notebook)
        # can leave a forked child waiting forever on a lock. forkserver children start clean.
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(pipeline, 1)) as pool:
            for out in pool.imap_unordered(_process_one, tasks, chunksize=1):
                yield out
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
