"""The embedded gallery: one SQLite file (WAL), searched in memory.

Every write is one transaction, so an enrollment is stored whole or not at all, even when
the process is killed mid-way; `synchronous=FULL` makes a returned enrollment survive a
power cut too. WAL lets readers (identify, list) run while a writer writes. The file is
marked with SQLite's `application_id`, so a file that is not ours is refused before
anything is written to it (setting WAL mode would already modify it).

Faults (a lock held past the timeout, a full disk, a read-only or immutable file, damaged
pages, a malformed record) are each one GalleryError sentence (`sqlite_faults`), and a
refused file (another application's, a newer schema, a bad meta record) is refused by a
read-only look before any connection that could write, so it stays byte-identical. A new
gallery file is created 0600 (SQLite gives its WAL and SHM files the same mode): templates
are biometric data.

Searches load the templates into memory once and reuse them until another write (from
this or another process) bumps the `generation` counter in the meta table.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import DuplicateError, GalleryDamagedError, GalleryError, GalleryWriteError, NotAGalleryError, \
    UnknownIdentityError
from .sqlite_faults import faults, translate
from .search import Searcher
from .store import GalleryMeta, Hits, IdentityInfo, NewIdentity, TemplateInfo, now

APPLICATION_ID = 0x46505247  # "FPRG"
SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
LOCK_TIMEOUT_S = 30.0  # then a writer gets GalleryLockedError rather than waiting forever

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gallery_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    vector BLOB NOT NULL, source TEXT NOT NULL, digest TEXT NOT NULL, box TEXT, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS templates_by_identity ON templates(identity_id);
"""


def parse_meta(text: str, path: object) -> GalleryMeta:
    try:
        return GalleryMeta.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise GalleryDamagedError(f"gallery {path} has a malformed meta record ({type(e).__name__}: {e}); "
                                  f"it was left untouched") from None


def check_gallery_file(path: Path, timeout: float = 30.0) -> bool:
    """True when `path` is an existing faceprint gallery, False when absent or empty; raises otherwise.

    Everything is checked through a read-only connection, so a refused file is never written.
    """
    if not path.exists():
        return False
    if not path.is_file():
        raise NotAGalleryError(f"{path} is not a faceprint gallery (it is not a file)")
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as f:
        head = f.read(100)
    if not head.startswith(_SQLITE_MAGIC):
        raise NotAGalleryError(f"{path} is not a faceprint gallery (not an SQLite file); it was left untouched")
    # Ask SQLite, read-only: in WAL mode the header in the main file can lag behind the
    # committed state (a new gallery's header reads 0 until the first checkpoint).
    meta = None
    try:
        # Without a WAL file every committed page is in the main file: read it as immutable, so
        # no -wal/-shm is created beside a file that may be refused. With one, read through it.
        wal = path.with_name(path.name + "-wal").exists()
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{'' if wal else '&immutable=1'}", uri=True,
                             timeout=timeout)
        try:
            app_id = ro.execute("PRAGMA application_id").fetchone()[0]
            tables = ro.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            version = ro.execute("PRAGMA user_version").fetchone()[0]
            if app_id == APPLICATION_ID and version <= SCHEMA_VERSION and ro.execute(
                    "SELECT 1 FROM sqlite_master WHERE name='gallery_meta'").fetchone():
                meta = ro.execute("SELECT value FROM gallery_meta WHERE key='meta'").fetchone()
        finally:
            ro.close()
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise NotAGalleryError(f"{path} is not a faceprint gallery ({e}); it was left untouched") from None
        raise translate(e, path, timeout) from None
    if app_id == 0 and tables == 0:
        return False  # an empty database: nothing to protect, make the gallery here
    if app_id != APPLICATION_ID:
        raise NotAGalleryError(f"{path} is an SQLite file of another application (application_id {app_id:#x}), "
                               f"not a faceprint gallery; it was left untouched")
    if version > SCHEMA_VERSION:
        raise GalleryError(f"{path} was written by a newer faceprint (schema {version}); upgrade faceprint "
                           f"(the file was left untouched)")
    if meta is not None:
        parse_meta(meta[0], path)
    return True


class SqliteStore:
    """`Store` on one SQLite file. Open with `create=True` to make a new one."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False, index: str = "auto",
                 timeout: float | None = None) -> None:
        """`timeout`: seconds to wait for another process's write lock (default LOCK_TIMEOUT_S)."""
        timeout = LOCK_TIMEOUT_S if timeout is None else timeout
        self.path = Path(path)
        self.uri = str(self.path)
        self.index = index
        self._timeout = timeout
        exists = check_gallery_file(self.path, timeout)
        if not exists and not create:
            raise GalleryError(f"no gallery at {self.path} (enroll creates one)")
        if not exists and not self.path.parent.is_dir():
            raise GalleryError(f"cannot create gallery {self.path}: folder {self.path.parent} does not exist")
        # A gallery to be created is an empty in-memory one until its first write, so a
        # refused first enrollment (bad name, no face...) leaves no file behind.
        self._virtual = not exists
        self._db = self._connect(":memory:" if self._virtual else str(self.path), create=self._virtual)
        self._lock = threading.RLock()  # one connection, shared by threads of this process
        self._searchers: dict[str, tuple[int, Searcher]] = {}

    def _faults(self):
        return faults(self.path, self._timeout)

    def _connect(self, target: str, *, create: bool) -> sqlite3.Connection:
        db = None
        try:
            db = sqlite3.connect(target, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            if create:
                db.execute("BEGIN IMMEDIATE")
                try:
                    # Another process may have created it meanwhile: only an unmarked file is set up.
                    if db.execute("PRAGMA application_id").fetchone()[0] == 0:
                        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("COMMIT")
                except BaseException:
                    _rollback(db)
                    raise
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as e:
            if db is not None:
                db.close()
            raise translate(e, self.path, self._timeout) from None
        if version > SCHEMA_VERSION:
            db.close()
            raise GalleryError(f"{self.path} was written by a newer faceprint (schema {version}); upgrade faceprint")
        return db

    def _materialise(self) -> None:
        """Create the file on the first write of a new gallery."""
        if self._virtual:
            exists = check_gallery_file(self.path, self._timeout)
            if not exists:
                _create_private(self.path)
            self._db.close()
            self._db = self._connect(str(self.path), create=not exists)
            self._virtual = False
        self._lock = threading.RLock()  # one connection, shared by threads of this process
        self._searchers: dict[str, tuple[int, Searcher]] = {}

    # -- transactions ------------------------------------------------------------------
    class _Txn:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks
            return self.db

        def __exit__(self, exc_type, exc, tb) -> None:
            if exc_type is not None:
                _rollback(self.db)
                return
            try:
                self.db.execute("COMMIT")
            except BaseException:
                _rollback(self.db)  # a failed COMMIT (disk full) must not leave the transaction open
                raise

    def _write(self) -> "SqliteStore._Txn":
        return SqliteStore._Txn(self._db)

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO gallery_meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                   "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def _generation(self) -> int:
        row = self._db.execute("SELECT value FROM gallery_meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    # -- Store protocol ----------------------------------------------------------------
    def meta(self) -> GalleryMeta | None:
        with self._lock, self._faults():
            row = self._db.execute("SELECT value FROM gallery_meta WHERE key='meta'").fetchone()
        return parse_meta(row[0], self.path) if row else None

    def add(self, meta: GalleryMeta, identities: Iterable[NewIdentity], *, append: bool = False
            ) -> list[IdentityInfo]:
        out = []
        with self._lock, self._faults():
            self._materialise()
        with self._lock, self._faults(), self._write() as db:
            row = db.execute("SELECT value FROM gallery_meta WHERE key='meta'").fetchone()
            if row is None:
                db.execute("INSERT INTO gallery_meta(key, value) VALUES ('meta', ?)", (json.dumps(meta.to_dict()),))
            elif parse_meta(row[0], self.path).model_id != meta.model_id:
                raise GalleryError("the gallery's model changed while enrolling")  # another process created it
            for ident in identities:
                out.append(self._add_one(db, ident, append))
            self._bump(db)
        return out

    def _add_one(self, db: sqlite3.Connection, ident: NewIdentity, append: bool) -> IdentityInfo:
        created = ident.created or now()
        row = db.execute("SELECT id, metadata, created FROM identities WHERE name=?", (ident.name,)).fetchone()
        if row is not None and not append:
            raise DuplicateError(f"identity {ident.name!r} is already enrolled; use append to add photos to it "
                                 f"or remove it first")
        if row is None:
            cur = db.execute("INSERT INTO identities(name, metadata, created) VALUES (?, ?, ?)",
                             (ident.name, json.dumps(ident.metadata, ensure_ascii=False), created))
            ident_id, metadata, created_at = cur.lastrowid, dict(ident.metadata), created
        else:
            ident_id, created_at = row[0], row[2]
            metadata = {**json.loads(row[1]), **ident.metadata}
            db.execute("UPDATE identities SET metadata=? WHERE id=?", (json.dumps(metadata, ensure_ascii=False),
                                                                       ident_id))
            digests = {t.digest for t in ident.templates if t.digest}
            if digests:
                marks = ",".join("?" * len(digests))
                dup = db.execute(f"SELECT source FROM templates WHERE identity_id=? AND digest IN ({marks})",
                                 (ident_id, *digests)).fetchone()
                if dup is not None:
                    raise DuplicateError(f"this photo is already enrolled for {ident.name!r} (as {dup[0]!r})")
        db.executemany(
            "INSERT INTO templates(identity_id, vector, source, digest, box, created) VALUES (?, ?, ?, ?, ?, ?)",
            [(ident_id, np.asarray(t.vector, "<f4").tobytes(), t.source, t.digest,
              json.dumps(list(t.box)) if t.box is not None else None, created) for t in ident.templates])
        n = db.execute("SELECT COUNT(*) FROM templates WHERE identity_id=?", (ident_id,)).fetchone()[0]
        return IdentityInfo(ident.name, n, metadata, created_at)

    def remove(self, name: str) -> IdentityInfo:
        with self._lock, self._faults(), self._write() as db:
            info = self._info(db, name)
            db.execute("DELETE FROM identities WHERE name=?", (name,))  # templates go by ON DELETE CASCADE
            self._bump(db)
        return info

    def _info(self, db: sqlite3.Connection, name: str, templates: bool = False) -> IdentityInfo:
        row = db.execute("SELECT id, metadata, created FROM identities WHERE name=?", (name,)).fetchone()
        if row is None:
            raise UnknownIdentityError(f"no identity {name!r} in gallery {self.uri}")
        rows = db.execute("SELECT id, source, digest, box, created FROM templates WHERE identity_id=? ORDER BY id",
                          (row[0],)).fetchall()
        temps = tuple(TemplateInfo(r[0], r[1], r[2], tuple(json.loads(r[3])) if r[3] else None, r[4]) for r in rows)
        return IdentityInfo(name, len(rows), json.loads(row[1]), row[2], temps if templates else ())

    def identities(self) -> list[IdentityInfo]:
        with self._lock, self._faults():
            rows = self._db.execute(
                "SELECT i.name, i.metadata, i.created, COUNT(t.id) FROM identities i "
                "LEFT JOIN templates t ON t.identity_id = i.id GROUP BY i.id ORDER BY i.id").fetchall()
            return [IdentityInfo(r[0], r[3], json.loads(r[1]), r[2]) for r in rows]

    def identity(self, name: str) -> IdentityInfo:
        with self._lock, self._faults():
            return self._info(self._db, name, templates=True)

    def export(self) -> Iterator[tuple[IdentityInfo, np.ndarray]]:
        with self._lock, self._faults():
            # One read transaction: a concurrent writer cannot make the export half old, half new.
            self._db.execute("BEGIN")
            try:
                names = [r[0] for r in self._db.execute("SELECT name FROM identities ORDER BY id")]
                items = []
                for name in names:
                    info = self._info(self._db, name, templates=True)
                    vecs = self._db.execute("SELECT t.vector FROM templates t JOIN identities i ON i.id = "
                                            "t.identity_id WHERE i.name=? ORDER BY t.id", (name,)).fetchall()
                    items.append((info, np.frombuffer(b"".join(v[0] for v in vecs), "<f4").reshape(len(vecs), -1)))
            finally:
                _rollback(self._db)  # a read transaction: nothing to commit
        yield from items

    def load(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(names, labels, templates) of the whole gallery, for in-memory search.

        Streams rows into one preallocated matrix, so a 10M-template gallery needs its
        matrix in memory once, not again as Python objects.
        """
        meta = self.meta()
        dim = meta.dim if meta else 0
        with self._lock, self._faults():
            self._db.execute("BEGIN")  # one snapshot for the names and the templates
            try:
                names = []
                index: dict[int, int] = {}
                for ident_id, name in self._db.execute("SELECT id, name FROM identities ORDER BY id"):
                    index[ident_id] = len(names)
                    names.append(name)
                n = self._db.execute("SELECT COUNT(*) FROM templates").fetchone()[0]
                templates = np.empty((n, dim), np.float32)
                labels = np.empty(n, np.int64)
                cur = self._db.execute("SELECT identity_id, vector FROM templates ORDER BY id")
                i = 0
                while rows := cur.fetchmany(65536):
                    k = len(rows)
                    labels[i:i + k] = [index[r[0]] for r in rows]
                    templates[i:i + k] = np.frombuffer(b"".join(r[1] for r in rows), "<f4").reshape(k, dim)
                    i += k
            finally:
                _rollback(self._db)
        return names, labels, templates

    def searcher(self, rule: str) -> Searcher:
        """The in-memory searcher for the current contents (rebuilt only after a write)."""
        with self._lock, self._faults():
            gen = self._generation()
            cached = self._searchers.get(rule)
            if cached is None or cached[0] != gen:
                names, labels, templates = self.load()
                self._searchers = {rule: (gen, Searcher(names, labels, templates, rule, self.index))}
            return self._searchers[rule][1]

    def search(self, probes: np.ndarray, k: int, rule: str) -> Hits:
        return self.searcher(rule).search(probes, k)

    def count(self) -> tuple[int, int]:
        with self._lock, self._faults():
            return (self._db.execute("SELECT COUNT(*) FROM identities").fetchone()[0],
                    self._db.execute("SELECT COUNT(*) FROM templates").fetchone()[0])

    def integrity(self) -> str:
        with self._lock, self._faults():
            return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass  # closing a connection to a failing file: its error was already reported

    def __repr__(self) -> str:
        return f"SqliteStore({self.uri!r})"


def _rollback(db: sqlite3.Connection) -> None:
    """End the open transaction, if any; never hide the error that caused it with another."""
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _create_private(path: Path) -> None:
    """Create an empty gallery file readable by its owner only (SQLite copies the mode to -wal and -shm)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process made it meanwhile; check_gallery_file runs again on connect
    except OSError as e:
        raise GalleryWriteError(f"cannot create gallery {path}: {e.strerror or e}") from None


def private_folder(path: "str | os.PathLike[str]") -> Path:
    """Make faceprint's own data folder (and missing parents) 0700: it holds biometric templates.

    An existing folder is left as its owner set it; missing parents get the usual mode.
    """
    folder = Path(path)
    made = not folder.exists()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if made:
            os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    except OSError as e:
        raise GalleryWriteError(f"cannot create the data folder {folder}: {e.strerror or e}") from None
    return folder
