"""The `ray` engine: the same shards, run by Ray Data on a cluster (or a local Ray).

The dataset is the list of pending shards; `map_batches` with a stateful class gives one
`Indexer` (one model load) per actor, each actor taking one CPU, and each batch is one
shard, which the actor writes itself: the driver only receives a small summary per shard,
so it never carries pixels or embeddings and is not the bottleneck as nodes are added.
The index folder must therefore be visible to every node (a shared filesystem).

Ray Data is used as-is: it schedules the actors, restarts them on failure and streams the
summaries back; faceprint adds no scheduler of its own.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import InputError
from .shards import Shard
from .work import Indexer, JobSpec, ShardSummary


class ShardActor:
    """Ray Data's callable class: built once per actor, called once per batch (one shard)."""

    def __init__(self, spec: JobSpec) -> None:
        self.indexer = Indexer(spec)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"summary": []}
        for number, name, paths in zip(batch["number"], batch["name"], batch["paths"]):
            s = self.indexer.run(Shard(int(number), str(name), tuple(json.loads(str(paths)))))
            out["summary"].append(json.dumps(s.to_dict()))
        return out


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
        self.actors = actors
        self.address = address

    def run(self, spec: JobSpec, shards: Sequence[Shard]) -> Iterator[ShardSummary]:
        if not shards:
            return
        connect(self.address, num_cpus=self.actors)
        import ray
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # faceprint draws its own bar, counted in images
        ctx.print_on_execution_start = False
        actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        items = [{"number": s.number, "name": s.name, "paths": json.dumps(list(s.paths))} for s in shards]
        ds = ray.data.from_items(items, override_num_blocks=len(items))  # one shard per block: spread evenly
        ds = ds.map_batches(ShardActor, fn_constructor_kwargs={"spec": spec}, batch_size=1,
                            compute=ray.data.ActorPoolStrategy(size=min(actors, len(shards))), num_cpus=1)
        for row in ds.iter_rows():
            yield ShardSummary(**json.loads(row["summary"]))
