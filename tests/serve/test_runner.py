"""The inference runner: bounded concurrency, a bounded queue, the timeout."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from faceprint.serve.config import Limits
from faceprint.serve.http_errors import ServiceError
from faceprint.serve.runner import InferenceRunner


def _run_all(runner: InferenceRunner, jobs: int, seconds: float) -> tuple[list, int]:
    running, peak, lock = 0, 0, threading.Lock()

    def work() -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(seconds)
        with lock:
            running -= 1
        return "done"

    results: list = []

    async def one() -> None:
        try:
            results.append(await runner.run(work))
        except ServiceError as e:
            results.append(e.code)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(jobs):
                tg.start_soon(one)

    anyio.run(main)
    return results, peak


def test_at_most_max_concurrent_run_at_once():
    results, peak = _run_all(InferenceRunner(Limits(max_concurrent=2, max_queued=10)), jobs=6, seconds=0.05)
    assert results == ["done"] * 6 and peak == 2


def test_a_full_queue_answers_busy_at_once():
    results, _ = _run_all(InferenceRunner(Limits(max_concurrent=1, max_queued=1)), jobs=4, seconds=0.2)
    assert sorted(results) == ["busy", "busy", "done", "done"]


def test_the_timeout_counts_the_queue():
    # The first job ends at 0.3 s; the second would end at 0.6 s and the third waits: both
    # pass the 0.5 s deadline (a slow machine only makes them later).
    results, _ = _run_all(InferenceRunner(Limits(max_concurrent=1, max_queued=5, timeout_s=0.5)), jobs=3,
                          seconds=0.3)
    assert results.count("done") == 1 and results.count("timeout") == 2


def test_limits_are_checked():
    with pytest.raises(Exception, match="max_faces"):
        Limits(max_faces=0)
