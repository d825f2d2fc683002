"""The `local` engine: shards run in a pool of processes on this machine, one model load each.

Not fork: a parent that has used OpenCV's or BLAS's thread pools can leave a forked child
waiting forever on a lock; forkserver children start clean. With one worker the shards run
in this process (no pickling: the baseline the benchmark compares Ray against).
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Iterator, Sequence

from .shards import Shard
from .work import Indexer, JobSpec, ShardSummary

_indexer: Indexer | None = None


def _init(spec: JobSpec) -> None:
    global _indexer
    _indexer = Indexer(spec)


def _run(shard: Shard) -> ShardSummary:
    assert _indexer is not None, "worker not initialised"
    return _indexer.run(shard)


class LocalEngine:
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))

    def run(self, spec: JobSpec, shards: Sequence[Shard]) -> Iterator[ShardSummary]:
        if not shards:
            return
        workers = min(self.workers, len(shards))
        if workers == 1:
            indexer = Indexer(spec)
            for s in shards:
                yield indexer.run(s)
            return
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(workers, initializer=_init, initargs=(spec,)) as pool:
            yield from pool.imap_unordered(_run, shards, chunksize=1)
