"""The scale-out gallery: Milvus through `pymilvus` (a server, or Milvus Lite embedded).

URIs: `milvus://host:port/collection` for a server (`milvus://user:password@host:port/c`
passes `user:password` as the token); `milvus-lite:PATH.db[?collection=NAME]` for Milvus
Lite, which runs in-process from a local path (collection `faceprint` by default).

Three collections per gallery, named from the collection C:
  C          one row per template: identity, source, digest, box, created, vector;
  C_ids      one row per identity (primary key = name): metadata, created, order, and the
             mean of its templates (what the "mean" score rule searches);
  C_meta     key/value rows: the gallery's `GalleryMeta` and the most templates any
             identity has (what the "max" rule needs to return k distinct identities).
Milvus has no multi-collection transactions: a write that fails part-way is undone
(best effort) by deleting what it had inserted, and a reader may see an identity's
templates a moment before its identity row. The embedded SQLite store is the one with
all-or-nothing guarantees under crashes.

What `remove` must also forget elsewhere (`IdentityInfo.forget`: cache digests, cluster
sheets, index faces) is kept in C_meta, under keys `forget:SEQ:...` (SEQ: the identity's
order number, so no key holds a name).

Forgetting: a Milvus delete only writes a tombstone (which, in C_ids, holds the name: it is
the primary key); the deleted rows stay in their segment files until a compaction rewrites
them. Milvus Lite compacts only when enough segment files pile up (and `compact()` is a
no-op there), so after a delete this store rewrites each collection into a fresh one (the
live rows copied, the old collection dropped with its files, the copy renamed back): no
file of the `.db` folder then holds the removed vectors or name (tests/privacy). A
crash in between leaves the old collection or the copy, and opening picks the right one.
On a Milvus server, `remove` asks for a compaction and waits for it (up to a minute);
the server's garbage collector deletes the old segment files later (docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ..errors import DuplicateError, GalleryError, InputError, NotAGalleryError, UnknownIdentityError
from .store import MAX_NAME, GalleryMeta, Hits, IdentityInfo, NewIdentity, TemplateInfo, now

DEFAULT_COLLECTION = "faceprint"
MAX_TOPK = 16384  # Milvus's limit on one search
_DUMMY_DIM = 2  # Milvus wants a vector field in every collection
_REWRITE = "__rewrite"  # suffix of the copy a Lite collection is rewritten into
_FORGET_CHUNK = 500  # forget entries per C_meta row (a value holds at most 65,535 characters)
COMPACT_WAIT_S = 60.0  # how long a server remove waits for its compaction


_FIELDS = {"templates": ["id", "identity", "source", "digest", "box", "created", "vector"],
           "ids": ["name", "metadata", "created", "seq", "n", "mean"],
           "meta": ["key", "value", "v"]}


def _serial(method: Any) -> Any:
    """Run the method under the store's lock (Lite: no call may overlap a rewrite)."""
    @functools.wraps(method)
    def run(self: "MilvusStore", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return run


def _forget_rows(seq: int, entries: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """C_meta rows holding an identity's forget entries, keyed by its order number (no name in a key)."""
    stamp = time.time_ns()
    return [{"key": f"forget:{int(seq)}:{stamp}:{i:05d}", "value": json.dumps(entries[start:start + _FORGET_CHUNK]),
             "v": [0.0] * _DUMMY_DIM} for i, start in enumerate(range(0, len(entries), _FORGET_CHUNK))]


def _lit(value: str) -> str:
    """A string literal for a Milvus filter expression (JSON escaping is what its parser reads)."""
    return json.dumps(value, ensure_ascii=False)


def parse_uri(uri: str) -> tuple[dict[str, Any], str, bool]:
    """(MilvusClient kwargs, collection, is_lite) for a `milvus://` or `milvus-lite:` URI."""
    if uri.startswith("milvus-lite:"):
        rest = uri[len("milvus-lite:"):]
        path, _, query = rest.partition("?")
        collection = parse_qs(query).get("collection", [DEFAULT_COLLECTION])[0]
        if path.startswith("//"):
            path = path[2:]
        if not path.endswith(".db"):
            raise InputError(f"a Milvus Lite gallery is a local path ending in .db: {uri!r}")
        return {"uri": path}, collection, True
    parts = urlsplit(uri)
    collection = parts.path.strip("/")
    if parts.scheme != "milvus" or not parts.hostname or not collection:
        raise InputError(f"expected milvus://host:port/collection, got {uri!r}")
    kwargs: dict[str, Any] = {"uri": f"http://{parts.hostname}:{parts.port or 19530}"}
    if parts.username:
        kwargs["token"] = f"{parts.username}:{parts.password or ''}"
    return kwargs, collection, False


class MilvusStore:
    """`Store` on Milvus collections (see the module doc)."""

    def __init__(self, client: Any, collection: str, *, uri: str, lite: bool, create: bool = False) -> None:
        self.client = client
        self.uri = uri
        self.lite = lite
        self.c_templates, self.c_ids, self.c_meta = collection, f"{collection}_ids", f"{collection}_meta"
        # Lite: a rewrite (see the module doc) drops and renames collections, so nothing else may
        # run meanwhile; a server is never rewritten and serves concurrent calls itself.
        self._lock: Any = threading.RLock() if lite else contextlib.nullcontext()
        self.purged = True  # whether the last remove's rows are gone from disk (server: compaction done)
        self.purge_warning = ("Milvus did not finish compacting within a minute: the removed rows stay in its "
                              "segment files until a compaction (and its garbage collection) drops them")
        names = set(client.list_collections())
        if lite:
            names = self._recover(names)
        ours = {self.c_templates, self.c_ids, self.c_meta}
        if self.c_meta in names:
            rows = client.get(self.c_meta, ids=["meta"], output_fields=["value"])
            if rows and json.loads(rows[0]["value"]).get("format", "").startswith("faceprint-gallery/"):
                return
        if names & ours:
            raise NotAGalleryError(f"{uri}: collection {collection!r} exists but is not a faceprint gallery; "
                                   f"it was left untouched")
        if not create:
            raise GalleryError(f"no gallery at {uri} (enroll creates one)")

    @classmethod
    def from_uri(cls, uri: str, *, create: bool = False) -> "MilvusStore":
        kwargs, collection, lite = parse_uri(uri)
        if lite and not create and not Path(kwargs["uri"]).exists():
            raise GalleryError(f"no gallery at {uri} (enroll creates one)")
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise GalleryError("Milvus galleries need pymilvus (and milvus-lite for milvus-lite: URIs): "
                               "pip install 'faceprint[milvus]'") from None
        try:
            client = MilvusClient(**kwargs)
        except Exception as e:  # pymilvus raises its own and grpc errors; name the gallery
            raise GalleryError(f"cannot connect to {uri}: {e}") from None
        return cls(client, collection, uri=uri, lite=lite, create=create)

    # -- schema --------------------------------------------------------------------------
    def _create_collection(self, which: str, name: str, dim: int) -> None:
        """Create one of the three collections ("templates", "ids" or "meta") under `name`."""
        from pymilvus import DataType

        c = self.client
        kind = "FLAT" if self.lite else "AUTOINDEX"  # Lite: exact; server: Milvus picks (HNSW-like)

        def index(field: str) -> Any:
            params = c.prepare_index_params()
            params.add_index(field_name=field, index_type=kind, metric_type="IP")
            return params

        if which == "templates":
            s = c.create_schema(auto_id=True, enable_dynamic_field=False)
            s.add_field("id", DataType.INT64, is_primary=True)
            s.add_field("identity", DataType.VARCHAR, max_length=4 * MAX_NAME)
            s.add_field("source", DataType.VARCHAR, max_length=4096)
            s.add_field("digest", DataType.VARCHAR, max_length=128)
            s.add_field("box", DataType.VARCHAR, max_length=256)
            s.add_field("created", DataType.VARCHAR, max_length=64)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            field = "vector"
        elif which == "ids":
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("name", DataType.VARCHAR, is_primary=True, max_length=4 * MAX_NAME)
            s.add_field("metadata", DataType.VARCHAR, max_length=65535)
            s.add_field("created", DataType.VARCHAR, max_length=64)
            s.add_field("seq", DataType.INT64)
            s.add_field("n", DataType.INT64)
            s.add_field("mean", DataType.FLOAT_VECTOR, dim=dim)
            field = "mean"
        else:
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
            s.add_field("value", DataType.VARCHAR, max_length=65535)
            s.add_field("v", DataType.FLOAT_VECTOR, dim=_DUMMY_DIM)
            field = "v"
        c.create_collection(name, schema=s, index_params=index(field), consistency_level="Strong")

    def _create(self, meta: GalleryMeta) -> None:
        c = self.client
        self._create_collection("templates", self.c_templates, meta.dim)
        self._create_collection("ids", self.c_ids, meta.dim)
        self._create_collection("meta", self.c_meta, meta.dim)
        # The meta row goes last: its presence is what marks the collections as a gallery.
        c.upsert(self.c_meta, [{"key": "max_templates", "value": "0", "v": [0.0] * _DUMMY_DIM},
                               {"key": "meta", "value": json.dumps(meta.to_dict()), "v": [0.0] * _DUMMY_DIM}])

    @_serial
    def _meta_value(self, key: str) -> str | None:
        if self.c_meta not in self.client.list_collections():
            return None
        rows = self.client.get(self.c_meta, ids=[key], output_fields=["value"])
        return rows[0]["value"] if rows else None

    # -- Store protocol --------------------------------------------------------------------
    def meta(self) -> GalleryMeta | None:
        value = self._meta_value("meta")
        return GalleryMeta.from_dict(json.loads(value)) if value else None

    @_serial
    def add(self, meta: GalleryMeta, identities: Iterable[NewIdentity], *, append: bool = False
            ) -> list[IdentityInfo]:
        items = list(identities)
        current = self.meta()
        if current is None:
            self._create(meta)
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise DuplicateError("the same identity appears twice in one enrollment")
        existing = {r["name"]: r for r in self.client.get(self.c_ids, ids=names,
                                                          output_fields=["name", "metadata", "created", "n", "seq"])}
        for ident in items:
            if ident.name in existing and not append:
                raise DuplicateError(f"identity {ident.name!r} is already enrolled; use append to add photos "
                                     f"to it or remove it first")
            digests = [t.digest for t in ident.templates if t.digest]
            if ident.name in existing and digests:
                dup = self.client.query(self.c_templates, filter=f"identity == {_lit(ident.name)} and digest in "
                                        f"{json.dumps(digests)}", output_fields=["source"], limit=1)
                if dup:
                    raise DuplicateError(f"this photo is already enrolled for {ident.name!r} "
                                         f"(as {dup[0]['source']!r})")
        inserted: list[int] = []
        forget_keys: list[str] = []
        out = []
        try:
            rows = []
            for ident in items:
                created = ident.created or now()
                rows += [{"identity": ident.name, "source": t.source[:4096], "digest": t.digest,
                          "box": json.dumps(list(t.box)) if t.box is not None else "", "created": created,
                          "vector": np.asarray(t.vector, np.float32).tolist()} for t in ident.templates]
            for start in range(0, len(rows), 5000):
                res = self.client.insert(self.c_templates, rows[start:start + 5000])
                inserted += list(res["ids"])
            id_rows, forget_rows = [], []
            most = 0
            for ident in items:
                old = existing.get(ident.name)
                vecs = np.stack([np.asarray(t.vector, np.float32) for t in ident.templates])
                if old is None:
                    n, mean = len(vecs), vecs.mean(axis=0)
                    metadata, created, seq = dict(ident.metadata), ident.created or now(), time.time_ns()
                else:
                    all_vecs = self._vectors(ident.name)  # includes the rows just inserted
                    n, mean = len(all_vecs), all_vecs.mean(axis=0)
                    metadata = {**json.loads(old["metadata"]), **ident.metadata}
                    created, seq = old["created"], old["seq"]
                most = max(most, n)
                id_rows.append({"name": ident.name, "metadata": json.dumps(metadata, ensure_ascii=False),
                                "created": created, "seq": seq, "n": n, "mean": mean.tolist()})
                out.append(IdentityInfo(ident.name, n, metadata, created))
                forget_rows += _forget_rows(seq, list(dict.fromkeys(ident.forget)))
            for start in range(0, len(forget_rows), 5000):
                self.client.insert(self.c_meta, forget_rows[start:start + 5000])
                forget_keys += [r["key"] for r in forget_rows[start:start + 5000]]
            for start in range(0, len(id_rows), 5000):
                self.client.upsert(self.c_ids, id_rows[start:start + 5000])
            if most > int(self._meta_value("max_templates") or 0):
                self.client.upsert(self.c_meta, [{"key": "max_templates", "value": str(most),
                                                  "v": [0.0] * _DUMMY_DIM}])
        except BaseException:
            if inserted:
                self.client.delete(self.c_templates, ids=inserted)
            if forget_keys:
                self.client.delete(self.c_meta, ids=forget_keys)
            raise
        return out

    @_serial
    def _vectors(self, name: str) -> np.ndarray:
        rows = self.client.query(self.c_templates, filter=f"identity == {_lit(name)}",
                                 output_fields=["id", "vector"], limit=MAX_TOPK)
        rows.sort(key=lambda r: r["id"])
        return np.asarray([r["vector"] for r in rows], np.float32)

    @_serial
    def remove(self, name: str) -> IdentityInfo:
        info = self.identity(name)
        seq = self.client.get(self.c_ids, ids=[name], output_fields=["seq"])[0]["seq"]
        keys, forget = self._forget_entries(seq)
        # Identity row first: once it is gone the name is free, even if deleting templates fails.
        self.client.delete(self.c_ids, ids=[name])
        # Templates by primary key (not only by filter), then a flush: the deletion is then sealed
        # into Milvus' segments; `_purge` then drops the rows from disk (see the module doc).
        rows = self.client.query(self.c_templates, filter=f"identity == {_lit(name)}", output_fields=["id"],
                                 limit=MAX_TOPK)
        ids = [r["id"] for r in rows]
        if ids:
            self.client.delete(self.c_templates, ids=ids)
        if keys:
            self.client.delete(self.c_meta, ids=keys)
        for collection in (self.c_ids, self.c_templates, self.c_meta):
            self.client.flush(collection)
        self.purged = self._purge()
        return IdentityInfo(info.name, info.n_templates, info.metadata, info.created, info.templates, forget)

    def _forget_entries(self, seq: int) -> tuple[list[str], tuple[tuple[str, str], ...]]:
        """(the C_meta keys, the entries) of what an identity's removal must forget elsewhere."""
        rows = self.client.query(self.c_meta, filter=f'key like "forget:{int(seq)}:%"', output_fields=["key", "value"],
                                 limit=MAX_TOPK)
        rows.sort(key=lambda r: r["key"])
        entries = [(str(k), str(v)) for r in rows for k, v in json.loads(r["value"])]
        return [r["key"] for r in rows], tuple(dict.fromkeys(entries))

    def _purge(self) -> bool:
        """Drop deleted rows from disk: Lite rewrites its collections; a server compacts (waits up to a minute)."""
        meta = self.meta()
        dim = meta.dim if meta is not None else _DUMMY_DIM
        if self.lite:
            for which, name in (("templates", self.c_templates), ("ids", self.c_ids), ("meta", self.c_meta)):
                self._rewrite(which, name, dim)
            return True
        jobs = [self.client.compact(c) for c in (self.c_ids, self.c_templates, self.c_meta)]
        deadline = time.monotonic() + COMPACT_WAIT_S
        while time.monotonic() < deadline:
            if all(str(self.client.get_compaction_state(j)).endswith("Completed") for j in jobs):
                return True
            time.sleep(0.5)
        return False

    def _rewrite(self, which: str, name: str, dim: int) -> None:
        """Copy a collection's live rows into a fresh one, drop the old (its segments and delete
        log go with its folder), and give the copy the old name (Lite; see the module doc)."""
        c = self.client
        tmp = name + _REWRITE
        if tmp in c.list_collections():
            c.drop_collection(tmp)
        self._create_collection(which, tmp, dim)
        c.load_collection(name)  # a collection Lite reopened may not be loaded yet
        fields = _FIELDS[which]
        it = c.query_iterator(name, batch_size=1000, filter="", output_fields=fields)
        while True:
            batch = it.next()
            if not batch:
                it.close()
                break
            if which == "templates":  # auto ids: new ones, in the old order (ids only order templates)
                batch = sorted(batch, key=lambda r: r["id"])
            c.insert(tmp, [{k: r[k] for k in fields if k != "id"} for r in batch])
        c.flush(tmp)
        c.drop_collection(name)
        c.rename_collection(tmp, name)
        c.load_collection(name)  # a renamed collection comes back released

    def _recover(self, names: set[str]) -> set[str]:
        """Finish a rewrite a crash interrupted: the copy replaces a dropped collection; an
        unfinished copy is dropped and the rewrite done again (the old collection is whole)."""
        again = []
        for which, name in (("templates", self.c_templates), ("ids", self.c_ids), ("meta", self.c_meta)):
            if name + _REWRITE not in names:
                continue
            if name in names:
                self.client.drop_collection(name + _REWRITE)
                again.append((which, name))
            else:
                self.client.rename_collection(name + _REWRITE, name)
                self.client.load_collection(name)
        if again:
            meta = self.meta()
            for which, name in again:
                self._rewrite(which, name, meta.dim if meta is not None else _DUMMY_DIM)
        return set(self.client.list_collections())

    @_serial
    def _all_ids(self) -> list[dict[str, Any]]:
        if self.meta() is None:
            return []
        it = self.client.query_iterator(self.c_ids, batch_size=1000, filter="",
                                        output_fields=["name", "metadata", "created", "seq", "n"])
        rows: list[dict[str, Any]] = []
        while True:
            batch = it.next()
            if not batch:
                it.close()
                break
            rows += batch
        rows.sort(key=lambda r: (r["seq"], r["name"]))
        return rows

    def identities(self) -> list[IdentityInfo]:
        return [IdentityInfo(r["name"], int(r["n"]), json.loads(r["metadata"]), r["created"]) for r in self._all_ids()]

    @_serial
    def identity(self, name: str) -> IdentityInfo:
        rows = self.client.get(self.c_ids, ids=[name], output_fields=["metadata", "created"]) \
            if self.meta() is not None else []
        if not rows:
            raise UnknownIdentityError(f"no identity {name!r} in gallery {self.uri}")
        temps = self.client.query(self.c_templates, filter=f"identity == {_lit(name)}",
                                  output_fields=["id", "source", "digest", "box", "created"], limit=MAX_TOPK)
        temps.sort(key=lambda r: r["id"])
        infos = tuple(TemplateInfo(int(t["id"]), t["source"], t["digest"],
                                   tuple(json.loads(t["box"])) if t["box"] else None, t["created"]) for t in temps)
        return IdentityInfo(name, len(infos), json.loads(rows[0]["metadata"]), rows[0]["created"], infos)

    def export(self) -> Iterator[tuple[IdentityInfo, np.ndarray]]:
        for r in self._all_ids():
            yield self.identity(r["name"]), self._vectors(r["name"])

    @_serial
    def search(self, probes: np.ndarray, k: int, rule: str) -> Hits:
        if self.meta() is None:
            return [[] for _ in range(len(probes))]
        if rule == "mean":
            coll, field, per = self.c_ids, "mean", 1
        else:
            coll, field, per = self.c_templates, "vector", max(1, int(self._meta_value("max_templates") or 1))
        limit = min(MAX_TOPK, k * per)
        found = self.client.search(coll, data=np.asarray(probes, np.float32).tolist(), limit=limit,
                                   anns_field=field, output_fields=["name" if rule == "mean" else "identity"],
                                   search_params={"metric_type": "IP"})
        out = []
        for hits in found:
            seen: dict[str, float] = {}
            for h in sorted(hits, key=lambda h: -h["distance"]):
                name = h["entity"]["name" if rule == "mean" else "identity"]
                if name not in seen:
                    seen[name] = float(h["distance"])
                    if len(seen) == k:
                        break
            out.append(list(seen.items()))
        return out

    @_serial
    def count(self) -> tuple[int, int]:
        if self.meta() is None:
            return 0, 0
        n_ids = self.client.query(self.c_ids, filter="", output_fields=["count(*)"])[0]["count(*)"]
        n_t = self.client.query(self.c_templates, filter="", output_fields=["count(*)"])[0]["count(*)"]
        return int(n_ids), int(n_t)

    @_serial
    def drop(self) -> None:
        """Delete the gallery's collections (tests and tools; not offered by the CLI)."""
        for c in (self.c_meta, self.c_ids, self.c_templates):
            if c in self.client.list_collections():
                self.client.drop_collection(c)

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"MilvusStore({self.uri!r})"
