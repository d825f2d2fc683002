"""`run_index`: plan the shards, skip what is done, let an engine run the rest, summarise.

This is the one code path of every engine: the engine (a `faceprint.batch.Engine`) only
decides where `ShardJob` runs each pending shard (this process, a process pool, Ray actors).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

from .shards import (DEFAULT_SHARD_SIZE, Shard, check_model, content_hashes, plan, remove_stale, shard_files,
                     write_plan)
from .work import JobSpec, ShardJob, ShardSummary


class Engine(Protocol):
    """A `faceprint.batch.Engine` with a name and its worker count (None: the engine decides)."""

    name: str
    workers: int | None

    def run(self, job: Any, tasks: Sequence[Shard], workers: int | None, batch: int) -> Any:
        ...  # Iterator[(task index, ShardSummary)], any order


@dataclass(frozen=True)
class IndexSummary:
    out: str
    engine: str
    model_id: str
    images: int  # in the source
    processed: int  # images in the shards run now
    faces: int  # faces in the shards run now
    errors: int  # error rows in the shards run now
    reused: int  # images whose rows came from a finished shard (same content)
    shards: int
    shards_skipped: int  # finished before this run
    seconds: float
    images_per_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_id_of(pipeline: str) -> str:
    """The id `Analyzer.from_name(pipeline).model_id` will have, without loading a model."""
    from ..models.registry import pipeline_model_id

    return str(pipeline_model_id(pipeline))


def run_index(source: str, out: str | Path, engine: Engine, *, pipeline: str | None = None,
              shard_size: int = DEFAULT_SHARD_SIZE, progress: bool = True) -> IndexSummary:
    from ..models.catalog import DEFAULT_PIPELINE
    from .sources import list_source

    pipeline = pipeline or DEFAULT_PIPELINE
    model_id = model_id_of(pipeline)
    out = Path(out)
    paths = list_source(source)
    check_model(out, model_id)
    out.mkdir(parents=True, exist_ok=True)
    shards = plan(paths, model_id, shard_size)
    existing = set(shard_files(out))
    write_plan(out, model_id, pipeline, source, shards, shard_size)
    todo = [s for s in shards if s.name not in existing]
    # Content already indexed (by this plan or an older one) is copied, not recomputed.
    spec = JobSpec(str(out), pipeline, content_hashes(out, sorted(existing)) if todo else {})
    start = time.perf_counter()
    done: list[ShardSummary] = []
    bar = None
    if progress and todo:
        from ..progress import progress as make_bar

        bar = make_bar(total=sum(len(s.paths) for s in todo), desc=f"index ({engine.name})", unit="img")
    try:
        for _, summary in engine.run(ShardJob(spec), todo, engine.workers, 1):
            done.append(summary)
            if bar is not None:
                bar.update(summary.images)
                bar.set_postfix(faces=sum(d.faces for d in done), errors=sum(d.errors for d in done), refresh=False)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    remove_stale(out, {s.name for s in shards})
    processed = sum(d.images for d in done)
    return IndexSummary(str(out), engine.name, model_id, len(paths), processed, sum(d.faces for d in done),
                        sum(d.errors for d in done), sum(d.reused for d in done), len(shards),
                        len(shards) - len(todo), round(seconds, 3),
                        round(processed / seconds, 3) if seconds > 0 and processed else 0.0)


def make_engine(name: str, *, workers: int | None = None, address: str | None = None) -> Engine:
    import os

    if name == "local":
        from .engine_local import LocalEngine

        return LocalEngine(workers or os.cpu_count() or 1)
    if name == "ray":
        from .engine_ray import RayEngine

        return RayEngine(actors=workers, address=address)
    from ..errors import InputError

    raise InputError(f"engine must be local or ray, got {name!r}")
