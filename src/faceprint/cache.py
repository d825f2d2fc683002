"""A persistent cache of per-image results keyed by (key, file content digest).

Keyed by content, not path: a renamed or copied photo is not recomputed, and an edited
one is. SQLite gives atomic writes and safe concurrent readers for free. One class for
every kind of result: the value is bytes (the caller's format: float32 rows, `.npz`,
never pickle) or a recorded `Miss` with its reason ("no face", an unreadable file), so a
photo that failed fails the same way next time without being recomputed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


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


@dataclass(frozen=True)
class Miss:
    """A recorded failure of one image (no face, unreadable, ...): cached like a result."""

    note: str


class Cache:
    """Maps (key, digest) -> bytes, or a `Miss`.

    The table keeps the layout of the vector cache it grew from ("vectors": key, digest,
    vec, note), so caches written before stay valid. `path` defaults to
    `default_cache_dir()/vectors.sqlite`; jobs that run beside each other for long can use
    their own file so they do not contend for one writer lock.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = Path(path) if path is not None else default_cache_dir() / "vectors.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT, digest TEXT, vec BLOB, note TEXT, "
                         "PRIMARY KEY (key, digest))")

    def get_many(self, key: str, digests: list[str]) -> dict[str, bytes | Miss]:
        """The known entries among `digests`."""
        out: dict[str, bytes | Miss] = {}
        for i in range(0, len(digests), 500):
            chunk = digests[i:i + 500]
            rows = self._db.execute(f"SELECT digest, vec, note FROM vectors WHERE key=? AND digest IN "
                                    f"({','.join('?' * len(chunk))})", [key, *chunk])
            for digest, data, note in rows:
                out[digest] = bytes(data) if data is not None else Miss(note or "miss")
        return out

    def put_many(self, key: str, items: Iterable[tuple[str, bytes | Miss]]) -> None:
        rows = [(key, d, None, v.note) if isinstance(v, Miss) else (key, d, bytes(v), None) for d, v in items]
        if rows:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()
