"""The `local` engine of `faceprint index`: `faceprint.batch.LocalEngine` with a worker count.

With one worker the shards run in this process (no pickling: the baseline the benchmark
compares Ray against), else in a forkserver pool, one model load per process.
"""

from __future__ import annotations

from ..batch import LocalEngine as _BatchLocalEngine


class LocalEngine(_BatchLocalEngine):
    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
