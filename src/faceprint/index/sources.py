"""What to index: a folder, a text file of paths, or a CSV / Parquet manifest with a `path` column.

Local paths are plain strings; anything with a scheme (s3://, gs://, ...) goes through
pyarrow's filesystem layer, which lists folders and opens files on those stores the same
way. Relative paths in a manifest are relative to the manifest's folder, so a manifest
travels with its photos. The order of a manifest is kept (it decides the shards); a folder
is walked in sorted order, so the same folder always gives the same shards.
"""

from __future__ import annotations

import csv
import io
import os
import posixpath
from pathlib import Path

from ..errors import InputError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif",
                              ".heic", ".heif", ".avif"})


def is_uri(path: str) -> bool:
    return "://" in path and not os.path.exists(path)


def filesystem(path: str):  # -> (pyarrow.fs.FileSystem, path inside it)
    """pyarrow's filesystem for a URI (s3://bucket/x, gs://...), raising InputError when none fits."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(path)
    except Exception as e:  # pyarrow raises ArrowInvalid / ArrowNotImplementedError / OSError
        raise InputError(f"cannot open {path!r}: {e}") from None


def read_bytes(path: str) -> bytes:
    """A file's whole content, from the local disk or a pyarrow-readable URI (OSError when it cannot)."""
    if is_uri(path):
        store, inner = filesystem(path)
        with store.open_input_stream(inner) as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def list_source(source: str) -> list[str]:
    """The image paths a SOURCE names, in the order that decides the shards."""
    if is_uri(source):
        return _list_uri(source)
    p = Path(source)
    if p.is_dir():
        return _walk(Path(os.path.abspath(p)))
    if not p.is_file():
        raise InputError(f"index source {source!r} is neither a folder nor a file")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return _resolve(_parquet_paths(p, source), str(p.parent))
    text = p.read_bytes().decode("utf-8-sig", errors="replace")
    if suffix == ".csv":
        return _resolve(_csv_paths(text, source), str(p.parent))
    return _resolve([line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")],
                    str(p.parent))


def _walk(root: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append(os.path.join(dirpath, name))
    return found


def _list_uri(source: str) -> list[str]:
    from pyarrow import fs

    store, inner = filesystem(source)
    scheme = source.split("://", 1)[0]
    info = store.get_file_info(inner)
    if info.type == fs.FileType.Directory:
        infos = store.get_file_info(fs.FileSelector(inner, recursive=True))
        return sorted(f"{scheme}://{i.path}" for i in infos if i.type == fs.FileType.File
                      and posixpath.splitext(i.path)[1].lower() in IMAGE_EXTENSIONS
                      and not posixpath.basename(i.path).startswith("."))
    if info.type != fs.FileType.File:
        raise InputError(f"index source {source!r} does not exist")
    with store.open_input_stream(inner) as f:
        data = f.read()
    base = source.rsplit("/", 1)[0]
    if inner.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        return _resolve(_column(pq.read_table(io.BytesIO(data)), source), base)
    text = data.decode("utf-8-sig", errors="replace")
    if inner.lower().endswith(".csv"):
        return _resolve(_csv_paths(text, source), base)
    return _resolve([line.strip() for line in text.splitlines() if line.strip()], base)


def _csv_paths(text: str, what: str) -> list[str]:
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or "path" not in rows.fieldnames:
        raise InputError(f"manifest {what!r} has no 'path' column (columns: {', '.join(rows.fieldnames or [])})")
    return [r["path"].strip() for r in rows if (r.get("path") or "").strip()]


def _parquet_paths(p: Path, what: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p, columns=None)
    except Exception as e:  # pyarrow raises ArrowInvalid on a file that is not Parquet
        raise InputError(f"cannot read manifest {what!r}: {e}") from None
    return _column(table, what)


def _column(table, what: str) -> list[str]:  # noqa: ANN001 - pyarrow.Table
    if "path" not in table.column_names:
        raise InputError(f"manifest {what!r} has no 'path' column (columns: {', '.join(table.column_names)})")
    return [str(v) for v in table.column("path").to_pylist() if v]


def _resolve(paths: list[str], base: str) -> list[str]:
    """Relative manifest entries are relative to the manifest's folder."""
    out = []
    for p in paths:
        if is_uri(p):
            out.append(p)
        elif os.path.isabs(p):
            out.append(os.path.normpath(p))
        elif "://" in base:
            out.append(f"{base}/{p}")
        else:
            out.append(os.path.abspath(os.path.join(base, p)))
    return out
