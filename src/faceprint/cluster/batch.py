"""Detect and embed every face of every photo in a folder, on all cores, resumably.

Each photo's whole result (boxes, landmarks, scores, embeddings and a small JPEG
thumbnail per face) is cached under (pipeline id + fusion weights, file content
digest), so a second run, a run after an interruption, or a run after adding photos
only processes what is new; renamed or copied photos are not recomputed. Photos that
cannot be read are returned with the reason (and cached as such: they fail the same
way next time).

The work runs on `faceprint.batch.map_images` (workers, cache, progress); this module
says what one photo gives and how it is stored.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..batch import BYTES, ImageJob, map_images
from ..cache import Cache, default_cache_dir
from ..errors import FaceprintError, InputError
from ..types import Faces

RESULT_VERSION = "photo-v1"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
HEIC_EXTENSIONS = frozenset({".heic", ".heif"})
THUMB_SIDE = 112


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
    from .. import thresholds
    from ..models.registry import pipeline_card

    card = pipeline_card(pipeline)
    weights = thresholds.fusion_weights(card.name, card.embedders) if len(card.embedders) > 1 else []
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


@dataclass
class PhotoJob(ImageJob):
    """One photo's whole result (faces, embeddings, thumbnails) as `.npz` bytes."""

    pipeline: str

    def __post_init__(self) -> None:
        self.fields = (cache_key(self.pipeline),)

    def setup(self) -> None:
        from ..pipeline import Analyzer

        self._analyzer = Analyzer.from_name(self.pipeline)

    def run(self, source: str, wanted: frozenset[str]) -> dict[str, bytes]:
        try:
            image = read_photo(source)
            faces = self._analyzer.embed_faces(image)
        except FaceprintError as e:
            return dict.fromkeys(self.fields, encode_result(None, (), str(e)))
        return dict.fromkeys(self.fields, encode_result(faces, [face_thumbnail(image, b) for b in faces.boxes], None))

    def run_many(self, tasks: Sequence[tuple[str, frozenset[str]]]) -> list[dict[str, bytes]]:
        """Several photos (`process(batch=N)`): the faces of all of them go to the embedder in one
        `embed_crops` call. A photo that cannot be read fails alone; should the shared call fail,
        the photos are redone one by one so that only the bad one fails."""
        if len(tasks) == 1:
            return [self.run(*tasks[0])]
        an = self._analyzer
        photos: dict[int, tuple[np.ndarray, Faces, list]] = {}
        out: list[dict[str, bytes] | None] = [None] * len(tasks)
        for k, (source, _) in enumerate(tasks):
            try:
                image = read_photo(source)
                faces = an.detector.detect(image)
                photos[k] = (image, faces, an.embedder.crop(image, faces) if len(faces) else [])
            except FaceprintError as e:
                out[k] = dict.fromkeys(self.fields, encode_result(None, (), str(e)))
        try:
            rows = an.embedder.embed_crops([c for _, _, crops in photos.values() for c in crops])
        except FaceprintError:
            return [self.run(*t) for t in tasks]
        at = 0
        for k, (image, faces, crops) in photos.items():
            if len(faces):
                faces = faces.with_embeddings(rows[at:at + len(crops)], an.model_id)
                at += len(crops)
            out[k] = dict.fromkeys(self.fields, encode_result(faces, [face_thumbnail(image, b) for b in faces.boxes],
                                                              None))
        return out  # type: ignore[return-value]


# -- the batch ---------------------------------------------------------------------------
def results_cache() -> Cache:
    """The cache of whole photo results: its own file, so long `cluster` runs and evaluation
    runs do not contend for one writer lock."""
    return Cache(default_cache_dir() / "results.sqlite")


def process(root: str | os.PathLike[str], files: Sequence[str], pipeline: str, *, workers: int | None = None,
            cache: Cache | None = None, progress: bool = True, batch: int = 1) -> list[PhotoResult]:
    """One `PhotoResult` per file of `files` (paths relative to `root`), in the same order."""
    job = PhotoJob(pipeline)
    items = map_images(job, [str(Path(root) / f) for f in files], workers=workers, cache=cache, codec=BYTES,
                       desc="faces", progress=progress, batch=batch)
    return [decode_result(f, item.digest, item.values[job.fields[0]], cached=item.cached)
            for f, item in zip(files, items)]
