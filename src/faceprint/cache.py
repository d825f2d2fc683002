"""A persistent cache of per-image results keyed by (model id, file content digest).

Keyed by content, not path: a renamed or copied photo is not recomputed, and an edited
one is. SQLite gives atomic writes and safe concurrent readers for free.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import numpy as np


def default_cache_dir() -> Path:
    """`$FACEPRINT_CACHE`, else `$XDG_CACHE_HOME/faceprint`, else `~/.cache/faceprint`."""
    if os.environ.get("FACEPRINT_CACHE"):
        return Path(os.environ["FACEPRINT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "faceprint"


def file_digest(path: str | os.PathLike[str]) -> str:
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class VectorCache:
    """Maps (key, digest) -> float32 vector, or a recorded miss (e.g. "no face")."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = Path(path) if path is not None else default_cache_dir() / "vectors.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT, digest TEXT, vec BLOB, note TEXT, "
                         "PRIMARY KEY (key, digest))")

    def get_many(self, key: str, digests: list[str]) -> dict[str, np.ndarray | str]:
        """Known entries: a vector, or the note of a recorded miss."""
        out: dict[str, np.ndarray | str] = {}
        for i in range(0, len(digests), 500):
            chunk = digests[i:i + 500]
            rows = self._db.execute(f"SELECT digest, vec, note FROM vectors WHERE key=? AND digest IN "
                                    f"({','.join('?' * len(chunk))})", [key, *chunk])
            for digest, vec, note in rows:
                out[digest] = np.frombuffer(vec, np.float32).copy() if vec is not None else (note or "miss")
        return out

    def put_many(self, key: str, items: list[tuple[str, np.ndarray | None, str | None]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                [(key, d, None if v is None else np.asarray(v, np.float32).tobytes(), note) for d, v, note in items])

    def close(self) -> None:
        self._db.close()


class BlobCache:
    """Maps (key, digest) -> bytes: whole per-image results (e.g. every face of a photo).

    The caller owns the byte format (faceprint stores `.npz` bytes, never pickle). A
    separate file from `VectorCache`, so long batch jobs of each do not contend for one
    writer lock.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = Path(path) if path is not None else default_cache_dir() / "results.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT, digest TEXT, data BLOB, "
                         "PRIMARY KEY (key, digest))")

    def get_many(self, key: str, digests: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for i in range(0, len(digests), 500):
            chunk = digests[i:i + 500]
            rows = self._db.execute(f"SELECT digest, data FROM blobs WHERE key=? AND digest IN "
                                    f"({','.join('?' * len(chunk))})", [key, *chunk])
            out.update((d, bytes(b)) for d, b in rows)
        return out

    def put_many(self, key: str, items: list[tuple[str, bytes]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", [(key, d, b) for d, b in items])

    def close(self) -> None:
        self._db.close()
