"""The work itself, the same whatever the engine: one image -> rows, one shard -> one file.

`Indexer` holds the models (loaded once per worker process or Ray actor) and turns a shard
of paths into a shard file; `ShardJob` hands it to an engine of `faceprint.batch` (one task
= one shard), so the index runs on the same engines as every other batch job. Every image is read once: its bytes give both the content hash
and the pixels. Any failure of one image becomes that image's error row; the job goes on.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..batch import ImageJob
from ..errors import FaceprintError
from .schema import empty_row, face_rows, to_table
from .shards import Reuse, Shard, write_shard


@dataclass(frozen=True)
class JobSpec:
    """What every worker needs to know (small and picklable: it travels to each worker)."""

    out: str
    pipeline: str
    reuse: dict[str, str]  # content hash -> finished shard holding its rows


@dataclass(frozen=True)
class ShardSummary:
    shard: str
    images: int
    faces: int
    errors: int
    reused: int  # images whose rows were copied from a finished shard (same content)
    seconds: float
    worker: int  # process id: shows where it ran

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()  # same digest as faceprint.cache.file_digest


class Indexer:
    """Models loaded once; `run(shard)` writes the shard's Parquet file and says what it held."""

    def __init__(self, spec: JobSpec) -> None:
        from ..assessors.quality import QualityAssessor
        from ..pipeline import Analyzer

        # The engine's worker runs OpenCV on one thread (batch.prepare_worker): threads inside a
        # worker would fight the other workers, and it makes every engine bit-identical.
        self.spec = spec
        self.out = Path(spec.out)
        self.analyzer = Analyzer.from_name(spec.pipeline)
        # Capture measures only: the recognizability term re-embeds three more crops per face.
        self.quality = QualityAssessor(None)
        self.reuse = Reuse(spec.out, spec.reuse)

    def image_rows(self, path: str) -> tuple[list[dict[str, Any]], bool]:
        """(rows of one image, whether they were reused from a finished shard)."""
        from ..image import describe_source, load_image
        from .sources import read_bytes

        model_id = self.analyzer.model_id
        try:
            data = read_bytes(path)
        except (OSError, FaceprintError) as e:
            return [empty_row(path, None, model_id, f"cannot read file {path!r}: {getattr(e, 'strerror', None) or e}")
                    ], False
        digest = content_hash(data)
        if digest in self.reuse:
            return self.reuse.rows(digest, path), True
        try:
            image = load_image(data)
            faces = self.analyzer.embed_faces(image)
            quality = self.quality.assess(image, faces).columns["quality"] if len(faces) else []
        except Exception as e:  # noqa: BLE001 - one bad photo must never stop a job of millions
            text = str(e).replace(describe_source(data), repr(path))
            if not isinstance(e, FaceprintError):
                text = f"{type(e).__name__}: {text}"
            return [empty_row(path, digest, model_id, text)], False
        if not len(faces):
            return [empty_row(path, digest, model_id)], False
        return face_rows(path, digest, model_id, faces, quality), False

    def run(self, shard: Shard) -> ShardSummary:
        start = time.perf_counter()
        rows: list[dict[str, Any]] = []
        reused = 0
        for path in shard.paths:
            got, was_reused = self.image_rows(path)
            rows.extend(got)
            reused += was_reused
        write_shard(self.out, shard.name, to_table(rows))
        faces = sum(r["face_index"] is not None for r in rows)
        errors = sum(r["error"] is not None for r in rows)
        return ShardSummary(shard.name, len(shard.paths), faces, errors, reused, time.perf_counter() - start,
                            os.getpid())


@dataclass
class ShardJob(ImageJob):
    """`faceprint.batch` job whose tasks are shards: the Indexer is built once per worker."""

    spec: JobSpec
    indexer: Indexer | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "indexer": None}  # travels without models

    def setup(self) -> None:
        self.indexer = Indexer(self.spec)

    def run_many(self, tasks: Any) -> list[ShardSummary]:
        assert self.indexer is not None, "ShardJob used before setup()"
        return [self.indexer.run(shard) for shard in tasks]
