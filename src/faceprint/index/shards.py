"""The index folder: a plan of shards, atomic shard files, and what a rerun can skip.

`DIR/_index.json` records the model and the current plan (the shard file names, in order);
`DIR/part-NNNNNN-HASH.parquet` is one shard: the rows of a fixed run of the source's images.
A shard's name hashes its paths and the model id, so the same source gives the same names
and a rerun skips every shard file that exists. A shard file appears only complete (written
to a temporary name, then renamed), so a killed job loses at most the shards in flight.

When the source changed (photos added, renamed or moved), shards of the new plan may not
exist yet; their images are still not recomputed when their content hash is in a finished
shard: the worker copies those rows under the new path (`Reuse`). Shards of an older plan
are deleted once a run has finished, so the folder then holds exactly the current plan.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from .schema import SCHEMA_VERSION

PLAN_FILE = "_index.json"
DEFAULT_SHARD_SIZE = 500


@dataclass(frozen=True)
class Shard:
    number: int
    name: str  # file name inside the index folder
    paths: tuple[str, ...]


def plan(paths: list[str], model_id: str, shard_size: int = DEFAULT_SHARD_SIZE) -> list[Shard]:
    if shard_size < 1:
        raise InputError(f"shard size must be at least 1, got {shard_size}")
    shards = []
    for number, start in enumerate(range(0, len(paths), shard_size)):
        chunk = tuple(paths[start:start + shard_size])
        h = hashlib.blake2b("\n".join((model_id, *chunk)).encode(), digest_size=6).hexdigest()
        shards.append(Shard(number, f"part-{number:06d}-{h}.parquet", chunk))
    return shards


def shard_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("part-*.parquet")) if out.is_dir() else []


def read_plan(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise InputError(f"{out / PLAN_FILE} is not a faceprint index plan: {e}") from None


def check_model(out: Path, model_id: str) -> None:
    """A folder indexed with one model is never extended with another's embeddings."""
    old = read_plan(out)
    if old is not None and old.get("model_id") != model_id:
        raise InputError(f"{out} was indexed with model {old.get('model_id')!r}, not {model_id!r}: "
                         f"use another --out, or --model matching the index")


def write_plan(out: Path, model_id: str, pipeline: str, source: str, shards: list[Shard], shard_size: int) -> None:
    doc = {"schema": SCHEMA_VERSION, "model_id": model_id, "pipeline": pipeline, "source": source,
           "shard_size": shard_size, "images": sum(len(s.paths) for s in shards),
           "shards": [s.name for s in shards]}
    write_atomic(out / PLAN_FILE, (json.dumps(doc, indent=1) + "\n").encode())


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_shard(out: Path, name: str, table) -> None:  # noqa: ANN001 - pyarrow.Table
    import pyarrow.parquet as pq

    tmp = out / f".{name}.{os.getpid()}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out / name)  # atomic: a reader sees no shard or the whole shard


def content_hashes(out: Path, names: Iterable[str]) -> dict[str, str]:
    """content hash -> the finished shard that holds its rows (reads only that column)."""
    import pyarrow.parquet as pq

    found: dict[str, str] = {}
    for name in names:
        for h in pq.read_table(out / name, columns=["content_hash"]).column(0).to_pylist():
            if h is not None:
                found.setdefault(h, name)
    return found


def remove_stale(out: Path, keep: set[str]) -> int:
    """Delete shards of older plans and leftovers of killed writers; returns how many shards went."""
    n = 0
    for name in shard_files(out):
        if name not in keep:
            (out / name).unlink(missing_ok=True)
            n += 1
    for tmp in out.glob(".part-*.tmp"):
        tmp.unlink(missing_ok=True)
    return n


class Reuse:
    """Rows of already-indexed content, copied under a new path instead of recomputed."""

    def __init__(self, out: str | os.PathLike[str], where: dict[str, str]) -> None:
        self.out = Path(out)
        self.where = where
        self._cached: tuple[str, Any] | None = None  # the last shard read: hits cluster by shard

    def __contains__(self, content_hash: str) -> bool:
        return content_hash in self.where

    def rows(self, content_hash: str, path: str) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        name = self.where[content_hash]
        if self._cached is None or self._cached[0] != name:
            self._cached = (name, pq.read_table(self.out / name))
        table = self._cached[1]
        rows = [r for r in table.filter(_equals(table, content_hash)).to_pylist()]
        seen_path = rows[0]["path"] if rows else None
        return [{**r, "path": path} for r in rows if r["path"] == seen_path]  # one image's rows, not copies'


def _equals(table, value: str):  # noqa: ANN001, ANN202 - pyarrow types
    import pyarrow.compute as pc

    return pc.equal(table.column("content_hash"), value)


def read_index(out: str | os.PathLike[str], columns: list[str] | None = None):  # -> pyarrow.Table
    """The current plan's shards as one table (only the shards written so far)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .schema import schema

    out = Path(out)
    doc = read_plan(out)
    if doc is None:
        raise InputError(f"{out} is not a faceprint index (no {PLAN_FILE}): run `faceprint index SOURCE --out {out}`")
    names = [n for n in doc.get("shards", []) if (out / n).is_file()]
    if not names:
        sch = schema()
        return sch.empty_table() if columns is None else pa.schema([sch.field(c) for c in columns]).empty_table()
    return pa.concat_tables(pq.read_table(out / n, columns=columns) for n in names)
