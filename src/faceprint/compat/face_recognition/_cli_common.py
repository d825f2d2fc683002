"""What the two command-line tools share: finding images, a worker pool, reporting a bad file."""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from typing import Any, Callable, Iterable

# face_recognition's pattern, anchored at the end (its unanchored match also took "a.jpg.txt").
IMAGE_NAME = re.compile(r".*\.(jpg|jpeg|png)$", flags=re.I)


def report_bad_file(tool: str, error: Exception) -> None:
    """One line on stderr (faceprint's CLI rule); the run goes on and exits 2 at the end."""
    print(f"{tool}: error: {error}", file=sys.stderr, flush=True)


def run_all(fn: Callable[..., bool], jobs: Iterable[tuple[Any, ...]], cpus: int) -> bool:
    """Run `fn(*job)` for every job, in this process (cpus=1) or a pool (-1: all cores); all ok?"""
    jobs = list(jobs)
    if cpus == 1:
        return all([fn(*job) for job in jobs])
    # forkserver as face_recognition does (macOS libdispatch crashes after fork); the pool is closed after use.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    with context.Pool(processes=None if cpus == -1 else cpus) as pool:
        return all(pool.starmap(fn, jobs))


def cpus_option_check(cpus: int) -> int:
    import click

    if cpus == 0 or cpus < -1:
        raise click.BadParameter("must be a number of cores >= 1, or -1 for all", param_hint="'--cpus'")
    return min(cpus, os.cpu_count() or 1) if cpus > 0 else cpus
