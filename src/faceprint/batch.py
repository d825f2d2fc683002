"""`map_images`: the one way faceprint runs per-image work over many files.

Every batch job (evaluation components, quality measures, a photo folder for `cluster`,
`faceprint index`) is the same loop: hash each file, take what the cache already knows,
compute the rest on all cores with the models loaded once per worker, write results
back as they come, and show progress. Only the work on one image differs, and that is
an `ImageJob`:

- `fields`: the names of what it computes for an image; each is cached under its own
  name (so a job that adds a field later computes only the new one for cached images);
- `setup()`: runs once in each worker process (load the models there, not in __init__:
  the job is pickled to the workers before it is set up);
- `run(source, wanted)`: the `wanted` fields of one image, as {field: value}; a value is
  a result or a `cache.Miss` ("no face"), which is cached too;
- `run_many(tasks)`: several images at once; by default one `run` each. A job that can
  batch across images (all faces of a chunk in one network call) overrides it, and the
  runner hands it `batch` images at a time.

Where the work runs is an `Engine`: `LocalEngine` (this machine: in-process for one
worker, else a process pool) is the default; another engine (Ray, in
`faceprint.index.engine_ray`) implements the same `run` and gets the cache, deduplication
and progress for free. An engine only sees a job and opaque tasks, so `faceprint index`
runs its shards (one task = one shard) on the same two engines.

One policy for each of the choices the copies used to make on their own:
- start method: forkserver (spawn where there is none), never fork: a parent that has
  used OpenCV's or BLAS's thread pools (a test, a notebook) can leave a forked child
  waiting forever on a lock;
- each worker process runs OpenCV on one thread (one process per core: threads inside
  would fight over them);
- progress: a bar on a terminal, else one summary line at the end (logs stay readable);
- the cache is written every `FLUSH_EVERY` results or `FLUSH_SECONDS`, and at the end,
  also when the run is interrupted: an interruption loses at most that much work;
- the same content under two names is computed once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

from .cache import Cache, Miss, file_digest

FLUSH_EVERY = 64
FLUSH_SECONDS = 10.0
DIGEST_BY_STAT = "digest-by-stat"

Task = tuple[str, frozenset[str]]  # (source path, the fields wanted of it)


class ImageJob:
    """The work on one image; see the module docstring. Subclasses are picklable dataclasses."""

    fields: tuple[str, ...] = ()

    def setup(self) -> None:
        """Load models; called once per worker process, before any `run`."""

    def run(self, source: str, wanted: frozenset[str]) -> dict[str, Any]:
        raise NotImplementedError

    def run_many(self, tasks: Sequence[Task]) -> list[dict[str, Any]]:
        return [self.run(source, wanted) for source, wanted in tasks]


@dataclass(frozen=True)
class Codec:
    """How a job's values are stored in the cache (a `Miss` is stored by the cache itself)."""

    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


VECTOR = Codec(lambda v: np.asarray(v, np.float32).tobytes(), lambda b: np.frombuffer(b, np.float32).copy())
BYTES = Codec(bytes, bytes)


@dataclass(frozen=True)
class Item:
    """What one source gave: {field: value or Miss}, and whether it all came from the cache."""

    source: str
    digest: str  # "" when the file could not be read (then nothing was cached for it)
    values: dict[str, Any]
    cached: bool


class Engine(Protocol):
    def run(self, job: ImageJob, tasks: Sequence[Any], workers: int, batch: int) -> Iterator[tuple[int, Any]]:
        """(task index, `job.run_many` result) for every task, in any order; `job.setup()` once
        per worker before its first chunk of at most `batch` tasks."""
        ...


# -- the local engine: this process, or a pool of processes on this machine ----------
_job: ImageJob | None = None  # the job of this worker process, set up once


def prepare_worker(job: ImageJob) -> ImageJob:
    """What every engine does once in a worker (process or actor) before it runs `job`."""
    import cv2

    cv2.setNumThreads(1)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # no per-process banners
    job.setup()
    return job


def _start_worker(job: ImageJob) -> None:
    global _job
    _job = prepare_worker(job)


def _run_chunk(chunk: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    assert _job is not None, "worker started without a job"
    values = _job.run_many([task for _, task in chunk])
    return [(i, v) for (i, _), v in zip(chunk, values)]


def start_method() -> str:
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


class LocalEngine:
    """In this process for one worker (no pickling: the "one image at a time" baseline of the
    benchmarks), else a pool of `workers` processes fed `batch` images at a time."""

    name = "local"

    def run(self, job: ImageJob, tasks: Sequence[Any], workers: int, batch: int) -> Iterator[tuple[int, Any]]:
        indexed = list(enumerate(tasks))
        chunks = [indexed[i:i + batch] for i in range(0, len(indexed), batch)]
        if workers == 1:
            _start_worker(job)
            for chunk in chunks:
                yield from _run_chunk(chunk)
            return
        ctx = mp.get_context(start_method())
        with ctx.Pool(workers, initializer=_start_worker, initargs=(job,)) as pool:
            for done in pool.imap_unordered(_run_chunk, chunks, chunksize=1):
                yield from done


# -- the runner -------------------------------------------------------------------------
def digests(sources: Sequence[str], cache: Cache | None = None) -> list[str]:
    """Content digest per file ("" when it cannot be read), reusing the digest of a file whose
    path, size and mtime are unchanged since it was last hashed."""
    stat_keys: list[str | None] = []
    for s in sources:
        try:
            st = os.stat(s)
            stat_keys.append(f"{os.path.realpath(s)}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            stat_keys.append(None)
    known = cache.get_many(DIGEST_BY_STAT, [k for k in stat_keys if k]) if cache is not None else {}
    out, fresh = [], []
    for s, k in zip(sources, stat_keys):
        hit = known.get(k) if k else None
        if isinstance(hit, bytes):
            out.append(hit.decode())
            continue
        try:
            d = file_digest(s) if k else ""
        except OSError:
            d = ""
        out.append(d)
        if d:
            fresh.append((k, d.encode()))
    if cache is not None:
        cache.put_many(DIGEST_BY_STAT, fresh)
    return out


class _Progress:
    """A bar on a terminal; otherwise one summary line when the run ends."""

    def __init__(self, desc: str, total: int, n_sources: int, enabled: bool) -> None:
        self.desc, self.total, self.n_sources, self.start = desc, total, n_sources, time.monotonic()
        self.enabled = enabled
        self.bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit="img", file=sys.stderr)

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self, done: int) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.total:
            print(f"{self.desc}: {done} of {self.total} image(s) computed, {self.n_sources - self.total} "
                  f"from the cache or duplicates, in {time.monotonic() - self.start:.1f} s", file=sys.stderr)


def map_images(job: ImageJob, sources: Sequence[str], *, workers: int | None = None, cache: Cache | None = None,
               codec: Codec = VECTOR, batch: int = 1, desc: str = "images", progress: bool = True,
               engine: Engine | None = None) -> list[Item]:
    """One `Item` per source, in the order of `sources`: `job` run on each image whose
    fields are not all in `cache`, on `workers` processes (default: every core)."""
    fields = tuple(job.fields)
    sources = [str(s) for s in sources]
    digs = digests(sources, cache)
    known = {f: cache.get_many(f, [d for d in digs if d]) for f in fields} if cache is not None else {}
    values: list[dict[str, Any]] = []
    tasks: list[Task] = []
    task_row: list[int] = []
    first_row: dict[str, int] = {}  # digest -> the row that computes it
    copies: list[tuple[int, int]] = []  # (row, row it copies)
    for i, (s, d) in enumerate(zip(sources, digs)):
        have = {}
        for f in fields:
            hit = known.get(f, {}).get(d) if d else None
            if hit is not None:
                have[f] = hit if isinstance(hit, Miss) else codec.decode(hit)
        values.append(have)
        missing = frozenset(fields) - have.keys()
        if not missing:
            continue
        if d and d in first_row:
            copies.append((i, first_row[d]))  # the same content twice: compute once
            continue
        if d:
            first_row[d] = i
        task_row.append(i)
        tasks.append((s, missing))
    computed = set(task_row)
    if tasks:
        _compute(job, tasks, task_row, values, digs, cache, codec, engine or LocalEngine(),
                 max(1, min(workers or os.cpu_count() or 1, len(tasks))), max(1, batch),
                 _Progress(desc, len(tasks), len(sources), progress))
    for i, j in copies:
        values[i] = {**values[i], **values[j]}
    copied = {i for i, _ in copies}
    return [Item(s, d, v, i not in computed and i not in copied) for i, (s, d, v) in
            enumerate(zip(sources, digs, values))]


def _compute(job: ImageJob, tasks: list[Task], task_row: list[int], values: list[dict], digs: list[str],
             cache: Cache | None, codec: Codec, engine: Engine, workers: int, batch: int, bar: _Progress) -> None:
    pending: dict[str, list[tuple[str, bytes | Miss]]] = {}
    last_flush, done = time.monotonic(), 0

    def flush() -> None:
        if cache is not None:
            for f, items in pending.items():
                cache.put_many(f, items)
        pending.clear()

    try:
        for t, vals in engine.run(job, tasks, workers, batch):
            row = task_row[t]
            values[row].update(vals)
            if cache is not None and digs[row]:
                for f, v in vals.items():
                    pending.setdefault(f, []).append((digs[row], v if isinstance(v, Miss) else codec.encode(v)))
            done += 1
            bar.update()
            if sum(map(len, pending.values())) >= FLUSH_EVERY * max(1, len(job.fields)) \
                    or time.monotonic() - last_flush > FLUSH_SECONDS:
                flush()
                last_flush = time.monotonic()
    finally:
        flush()
        bar.close(done)
