"""Forgetting a removed identity beyond the gallery's own file: the embedding caches and cluster sheets.

A gallery records, at enrollment, what it would otherwise leave behind (`forget` entries of
`IdentityInfo`): the content digest of each photo enrolled from a file (the key under which
`cache.py`'s caches keep that photo's faces and embeddings, if a `cluster`, `eval` or
`calibrate` run ever saw it), and the cluster output folder a `cluster --enroll` came from.
`forget(entries, name)` then:
- deletes every cache row of those digests, in every SQLite file of the cache folder that has
  a `digest` column, with `secure_delete` on and a TRUNCATE checkpoint (as the gallery does);
- scrubs each cluster folder: the person's rows of `named.npz`, `clusters.json`/`.csv` and
  `corrections.json`, their thumbnails, and their section of `index.html`.
- rewrites the shards of each index folder (`faceprint index`) the person was enrolled from
  (`enroll --from`, `cluster --from ... --enroll`): the rows of the enrolled faces ("index_face"
  entries: face number and content digest) go, atomically per shard; a photo left with no
  face keeps one empty row, so a rerun of the index does not recompute it.
A photo enrolled from bytes or an array (the service) has no file digest, and nothing keyed
by it is in a cache unless the same file was processed from disk.
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable
from urllib.parse import quote


def forget(entries: Iterable[tuple[str, str]], name: str, *, cache_dir: str | os.PathLike[str] | None = None
           ) -> dict[str, int]:
    entries = list(entries)
    digests = sorted({v for k, v in entries if k == "cache"})
    faces = {index_face_of(v) for k, v in entries if k == "index_face"}
    done = {"cache_rows": forget_cached(digests, cache_dir), "sheets": 0, "index_faces": 0}
    for kind, folder in entries:
        if kind == "sheet" and Path(folder, "clusters.json").is_file():
            scrub_sheet(Path(folder), name, set(digests))
            done["sheets"] += 1
        elif kind == "index" and faces:
            done["index_faces"] += forget_indexed(Path(folder), faces)
    return done


def index_face(content_hash: str, face: int) -> tuple[str, str]:
    """The forget entry of one face of an index (its photo's content digest and face number)."""
    return ("index_face", f"{int(face)}:{content_hash}")


def index_face_of(value: str) -> tuple[str, int]:
    face, _, digest = value.partition(":")
    return digest, int(face)


def forget_indexed(out: Path, faces: set[tuple[str, int]]) -> int:
    """Drop these (content digest, face number) rows from every shard of an index folder; returns how many.

    Each touched shard is rewritten to a temporary file and renamed over the old one (as the
    indexer writes them), so a reader sees the old shard or the new one, never half of one.
    """
    import pyarrow.parquet as pq

    from ..index.schema import empty_row, to_table
    from ..index.shards import PLAN_FILE, shard_files, write_shard

    if not (out / PLAN_FILE).is_file():
        return 0  # the folder was moved or deleted: nothing of it is left here to forget
    digests = {d for d, _ in faces}
    removed = 0
    for name in shard_files(out):
        hashes = pq.read_table(out / name, columns=["content_hash"]).column(0).to_pylist()
        if digests.isdisjoint(hashes):
            continue
        rows = pq.read_table(out / name).to_pylist()
        kept: list[dict] = []
        left: dict[str, int] = {}  # rows each photo keeps
        for r in rows:
            left.setdefault(r["path"], 0)
            if (r["content_hash"], r["face_index"]) in faces:
                removed += 1
                continue
            left[r["path"]] += 1
            kept.append(r)
        if len(kept) == len(rows):
            continue
        # A photo whose only face went keeps an empty row: indexed, no face (the schema's rule).
        for r in rows:
            if left[r["path"]] == 0:
                kept.append(empty_row(r["path"], r["content_hash"], r["model_id"]))
                left[r["path"]] = 1
        write_shard(out, name, to_table(kept))
    return removed


def forget_cached(digests: list[str], cache_dir: str | os.PathLike[str] | None = None) -> int:
    """Delete every cached row keyed by these content digests; returns how many rows went."""
    from ..cache import default_cache_dir

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not digests or not folder.is_dir():
        return 0
    removed = 0
    for path in sorted(folder.glob("*.sqlite")):
        db = sqlite3.connect(str(path), timeout=60)
        try:
            db.execute("PRAGMA secure_delete=ON")
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            with db:
                for t in tables:
                    if "digest" not in {c[1] for c in db.execute(f'PRAGMA table_info("{t}")')}:
                        continue
                    for i in range(0, len(digests), 500):
                        chunk = digests[i:i + 500]
                        cur = db.execute(f'DELETE FROM "{t}" WHERE digest IN ({",".join("?" * len(chunk))})', chunk)
                        removed += cur.rowcount
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    return removed


def scrub_sheet(out: Path, name: str, digests: set[str]) -> None:
    """Remove `name` (and the faces of those digests under that name) from a `faceprint cluster` folder."""
    import numpy as np

    gone: list[tuple[str, int]] = []
    clusters = out / "clusters.json"
    doc = json.loads(clusters.read_text(encoding="utf-8"))
    keep = []
    for f in doc.get("faces", []):
        if f.get("cluster") == name:
            gone.append((str(f.get("digest", "")), int(f.get("face", 0))))
        else:
            keep.append(f)
    doc["faces"] = keep
    doc["clusters"] = [c for c in doc.get("clusters", []) if c.get("cluster") != name]
    _write(clusters, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    csv_path = out / "clusters.csv"
    if csv_path.is_file():
        import csv

        with open(csv_path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index("cluster") if rows and "cluster" in rows[0] else None
        tmp = csv_path.with_name(csv_path.name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([r for i, r in enumerate(rows) if i == 0 or col is None or r[col] != name])
        os.replace(tmp, csv_path)
    named = out / "named.npz"
    if named.is_file():
        with np.load(named) as z:
            data = {k: z[k] for k in z.files}
        mask = data["names"] != name
        if mask.any():
            tmp = out / "named.tmp.npz"
            np.savez(tmp, names=data["names"][mask], embeddings=data["embeddings"][mask], files=data["files"][mask],
                     model=data["model"])
            os.replace(tmp, named)
        else:
            named.unlink()
    corrections = out / "corrections.json"
    if corrections.is_file():
        c = json.loads(corrections.read_text(encoding="utf-8"))
        if isinstance(c.get("names"), dict):
            c["names"].pop(name, None)
        _write(corrections, json.dumps(c, ensure_ascii=False, indent=1) + "\n")
    for digest, index in gone:
        (out / "thumbs" / f"{digest[:20]}_{index}.jpg").unlink(missing_ok=True)
    page = out / "index.html"
    if page.is_file():
        _write(page, _drop_section(page.read_text(encoding="utf-8"), name))


def _drop_section(text: str, name: str) -> str:
    """The contact sheet without the person's section and its link (the markup `cluster/sheet.py` writes)."""
    import re

    anchor = html.escape(quote(name))
    text = re.sub(rf'<section id="c-{re.escape(anchor)}">.*?</section>', "", text, flags=re.S)
    text = re.sub(rf'<a href="#c-{re.escape(anchor)}">.*?</a>\s?', "", text)
    # A face seen once carries its name in a tile of the "seen once" section.
    label = re.escape(html.escape(name))
    return re.sub(rf'<a [^>]*title="[^"]*\({label}[,)][^"]*"[^>]*>.*?</a>', "", text, flags=re.S)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
