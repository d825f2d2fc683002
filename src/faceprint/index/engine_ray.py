"""The `ray` engine: any `faceprint.batch` job run by Ray Data on a cluster (or a local Ray).

It implements `faceprint.batch.Engine`, so it plugs in where `LocalEngine` does: the dataset
is the list of tasks (pickled), `map_batches` with a stateful class gives one set-up job
(one model load) per actor, each actor taking one CPU, and each Ray batch is one chunk of
tasks. For `faceprint index` a task is a shard, which the actor writes itself: the driver
only receives a small summary per shard, so it never carries pixels or embeddings and is
not the bottleneck as nodes are added. The index folder must therefore be visible to every
node (a shared filesystem).

Ray Data is used as-is: it schedules the actors, restarts them on failure and streams the
results back; faceprint adds no scheduler of its own.
"""

from __future__ import annotations

import pickle
from typing import Any, Iterator, Sequence

import numpy as np

from ..batch import ImageJob, prepare_worker
from ..errors import InputError


class JobActor:
    """Ray Data's callable class: the job set up once per actor, called once per chunk."""

    def __init__(self, job: bytes) -> None:
        self.job = prepare_worker(pickle.loads(job))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        tasks = [pickle.loads(t) for t in batch["task"]]
        out = self.job.run_many(tasks)
        return {"i": [int(i) for i in batch["i"]], "out": [pickle.dumps(o) for o in out]}


def connect(address: str | None, num_cpus: int | None = None) -> None:
    """Join the cluster at `address`, else start a local Ray (unless this process already has one)."""
    try:
        import ray
    except ImportError:
        raise InputError("the ray engine needs Ray: pip install 'faceprint[ray]'") from None
    if ray.is_initialized():
        return
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise InputError(f"cannot start or join Ray{f' at {address!r}' if address else ''}: {e}") from None


class RayEngine:
    name = "ray"

    def __init__(self, actors: int | None = None, address: str | None = None) -> None:
        self.actors = self.workers = actors  # None: one actor per CPU of the cluster
        self.address = address

    def run(self, job: ImageJob, tasks: Sequence[Any], workers: int | None, batch: int = 1
            ) -> Iterator[tuple[int, Any]]:
        if not tasks:
            return
        connect(self.address, num_cpus=self.actors)
        import ray
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # faceprint draws its own bar, counted in images
        ctx.print_on_execution_start = False
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        batch = max(1, batch)
        items = [{"i": i, "task": pickle.dumps(t)} for i, t in enumerate(tasks)]
        ds = ray.data.from_items(items, override_num_blocks=-(-len(items) // batch))  # spread evenly
        ds = ds.map_batches(JobActor, fn_constructor_kwargs={"job": pickle.dumps(job)}, batch_size=batch,
                            compute=ray.data.ActorPoolStrategy(size=min(actors, len(tasks))), num_cpus=1)
        for row in ds.iter_rows():
            yield int(row["i"]), pickle.loads(row["out"])
