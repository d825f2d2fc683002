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

Encryption at rest (`key=`, see `privacy/encryption.py`): the same tables, with the vector,
the photo name and the identity's name and metadata sealed with AES-256-GCM, and the `name`
column holding an HMAC of the name for lookups. Such a file has schema version 2, so an
older faceprint refuses it rather than misreading it. Templates are decrypted only into
the in-memory search matrix.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..errors import DuplicateError, GalleryDamagedError, GalleryError, GalleryKeyError, GalleryWriteError, \
    NotAGalleryError, UnknownIdentityError
from .sqlite_faults import faults, translate
from .search import Searcher
from .store import GalleryMeta, Hits, IdentityInfo, NewIdentity, TemplateInfo, now

if TYPE_CHECKING:
    from ..privacy.encryption import TemplateCipher

APPLICATION_ID = 0x46505247  # "FPRG"
SCHEMA_VERSION = 2  # 1: plain; 2: the same tables with sealed values (an encrypted gallery)
PLAIN_VERSION, ENCRYPTED_VERSION = 1, 2
_SEALED = "sealed:"
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


_FORGET_TABLE = """CREATE TABLE IF NOT EXISTS forget_keys (
    identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE, entry TEXT NOT NULL)"""


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
                 timeout: float | None = None, key: bytes | None = None) -> None:
        """`timeout`: seconds to wait for another process's write lock (default LOCK_TIMEOUT_S).
        `key`: 32 bytes to open an encrypted gallery, or to make a new gallery encrypted."""
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
        self._counts: tuple[int, tuple[int, int]] | None = None  # (generation, (identities, templates))
        self.purged = True  # whether the last remove also emptied the WAL (see purge)
        try:
            self._cipher = self._setup_cipher(key)
        except BaseException:
            self._db.close()
            raise

    @property
    def encrypted(self) -> bool:
        return self._cipher is not None

    def _setup_cipher(self, key: bytes | None) -> "TemplateCipher | None":
        import base64

        from ..privacy.encryption import ENV, TemplateCipher, new_gallery_id

        with self._faults():
            row = self._db.execute("SELECT value FROM gallery_meta WHERE key='encryption'").fetchone()
            has_meta = self._db.execute("SELECT 1 FROM gallery_meta WHERE key='meta'").fetchone() is not None
        if row is not None:
            try:
                enc = json.loads(row[0])
                gallery_id, check = base64.b64decode(enc["gallery_id"]), base64.b64decode(enc["check"])
            except (ValueError, KeyError, TypeError) as e:
                raise GalleryDamagedError(f"gallery {self.path} has a malformed encryption record "
                                          f"({type(e).__name__}); it was left untouched") from None
            if key is None:
                raise GalleryKeyError(f"gallery {self.path} is encrypted ({enc.get('cipher', '?')}): give its key "
                                      f"(${ENV}, base64, or --key-file)")
            cipher = TemplateCipher(key, gallery_id)
            cipher.verify(check, str(self.path))
            return cipher
        if key is None:
            return None
        if has_meta:
            raise GalleryKeyError(f"gallery {self.path} is not encrypted, but a key was given; to encrypt it, "
                                  f"export it and import the export into a new gallery opened with the key "
                                  f"(then delete the export); or unset ${ENV}")
        return TemplateCipher(key, new_gallery_id())  # written with the first enrollment

    # -- sealed values (identity when the gallery is plain) ----------------------------
    def _lookup(self, name: str) -> str:
        return self._cipher.lookup(name) if self._cipher else name

    def _seal_identity(self, ident_id: int, name: str, metadata: dict) -> str:
        if not self._cipher:
            return json.dumps(metadata, ensure_ascii=False)
        import base64

        blob = json.dumps({"name": name, "metadata": metadata}, ensure_ascii=False).encode("utf-8")
        return _SEALED + base64.b64encode(self._cipher.seal("identity", str(ident_id), blob)).decode("ascii")

    def _open_identity(self, ident_id: int, stored_name: str, text: str) -> tuple[str, dict]:
        if not self._cipher:
            return stored_name, json.loads(text)
        import base64

        if not text.startswith(_SEALED):
            raise GalleryDamagedError(f"gallery {self.uri}: identity row {ident_id} is not sealed")
        d = json.loads(self._cipher.open("identity", str(ident_id), base64.b64decode(text[len(_SEALED):]), self.uri))
        return d["name"], d["metadata"]

    def _seal_vector(self, tid: int, ident_id: int, vector: np.ndarray) -> bytes:
        raw = np.asarray(vector, "<f4").tobytes()
        return self._cipher.seal("vector", f"{tid}:{ident_id}", raw) if self._cipher else raw

    def _open_vector(self, tid: int, ident_id: int, blob: bytes) -> bytes:
        return self._cipher.open("vector", f"{tid}:{ident_id}", blob, self.uri) if self._cipher else blob

    def _seal_source(self, tid: int, source: str) -> str:
        if not self._cipher or not source:
            return source
        import base64

        return _SEALED + base64.b64encode(self._cipher.seal("source", str(tid), source.encode("utf-8"))).decode()

    def _open_source(self, tid: int, text: str) -> str:
        if not self._cipher or not text:
            return text
        import base64

        return self._cipher.open("source", str(tid), base64.b64decode(text[len(_SEALED):]), self.uri).decode("utf-8")

    def _faults(self):
        return faults(self.path, self._timeout)

    def _connect(self, target: str, *, create: bool) -> sqlite3.Connection:
        db = None
        try:
            db = sqlite3.connect(target, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros, not just unlinked
            if create:
                db.execute("BEGIN IMMEDIATE")
                try:
                    # Another process may have created it meanwhile: only an unmarked file is set up.
                    if db.execute("PRAGMA application_id").fetchone()[0] == 0:
                        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                        db.execute(f"PRAGMA user_version={PLAIN_VERSION}")
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
        self._counts: tuple[int, tuple[int, int]] | None = None  # (generation, (identities, templates))

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
                if self._cipher is not None:
                    self._write_encryption(db)
            elif parse_meta(row[0], self.path).model_id != meta.model_id:
                raise GalleryError("the gallery's model changed while enrolling")  # another process created it
            for ident in identities:
                out.append(self._add_one(db, ident, append))
            self._bump(db)
        return out

    def _write_encryption(self, db: sqlite3.Connection) -> None:
        import base64

        from ..privacy.encryption import CIPHER

        c = self._cipher
        record = {"cipher": CIPHER, "names": "HMAC-SHA256 lookup + sealed", "kdf": "HKDF-SHA256",
                  "gallery_id": base64.b64encode(c.gallery_id).decode(), "check": base64.b64encode(c.key_check()).decode()}
        db.execute("INSERT INTO gallery_meta(key, value) VALUES ('encryption', ?)", (json.dumps(record),))
        db.execute(f"PRAGMA user_version={ENCRYPTED_VERSION}")

    def _add_one(self, db: sqlite3.Connection, ident: NewIdentity, append: bool) -> IdentityInfo:
        created = ident.created or now()
        key = self._lookup(ident.name)
        row = db.execute("SELECT id, metadata, created FROM identities WHERE name=?", (key,)).fetchone()
        if row is not None and not append:
            raise DuplicateError(f"identity {ident.name!r} is already enrolled; use append to add photos to it "
                                 f"or remove it first")
        if row is None:
            cur = db.execute("INSERT INTO identities(name, metadata, created) VALUES (?, ?, ?)",
                             (key, json.dumps(ident.metadata, ensure_ascii=False), created))
            ident_id, metadata, created_at = cur.lastrowid, dict(ident.metadata), created
            if self._cipher is not None:  # sealed with its row id, known only now
                db.execute("UPDATE identities SET metadata=? WHERE id=?",
                           (self._seal_identity(ident_id, ident.name, metadata), ident_id))
        else:
            ident_id, created_at = row[0], row[2]
            metadata = {**self._open_identity(row[0], key, row[1])[1], **ident.metadata}
            db.execute("UPDATE identities SET metadata=? WHERE id=?",
                       (self._seal_identity(ident_id, ident.name, metadata), ident_id))
            digests = {t.digest for t in ident.templates if t.digest}
            if digests:
                marks = ",".join("?" * len(digests))
                dup = db.execute(f"SELECT id, source FROM templates WHERE identity_id=? AND digest IN ({marks})",
                                 (ident_id, *digests)).fetchone()
                if dup is not None:
                    raise DuplicateError(f"this photo is already enrolled for {ident.name!r} "
                                         f"(as {self._open_source(dup[0], dup[1])!r})")
        # Ids are given here (the write lock is held), so each sealed value can name its row.
        first = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM templates").fetchone()[0]
        db.executemany(
            "INSERT INTO templates(id, identity_id, vector, source, digest, box, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(first + i, ident_id, self._seal_vector(first + i, ident_id, t.vector), self._seal_source(first + i, t.source),
              t.digest, json.dumps(list(t.box)) if t.box is not None else None, created)
             for i, t in enumerate(ident.templates)])
        if ident.forget:
            db.execute(_FORGET_TABLE)
            db.executemany("INSERT INTO forget_keys(identity_id, entry) VALUES (?, ?)",
                           [(ident_id, self._seal_forget(ident_id, kind, value)) for kind, value in ident.forget])
        n = db.execute("SELECT COUNT(*) FROM templates WHERE identity_id=?", (ident_id,)).fetchone()[0]
        return IdentityInfo(ident.name, n, metadata, created_at)

    def _seal_forget(self, ident_id: int, kind: str, value: str) -> str:
        text = json.dumps([kind, value], ensure_ascii=False)
        if not self._cipher:
            return text
        import base64

        return _SEALED + base64.b64encode(self._cipher.seal("forget", str(ident_id), text.encode("utf-8"))).decode()

    def _forget_entries(self, db: sqlite3.Connection, ident_id: int) -> tuple[tuple[str, str], ...]:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name='forget_keys'").fetchone():
            return ()
        out = []
        for (entry,) in db.execute("SELECT entry FROM forget_keys WHERE identity_id=? ORDER BY rowid", (ident_id,)):
            if self._cipher:
                import base64

                entry = self._cipher.open("forget", str(ident_id), base64.b64decode(entry[len(_SEALED):]),
                                          self.uri).decode("utf-8")
            kind, value = json.loads(entry)
            out.append((str(kind), str(value)))
        return tuple(dict.fromkeys(out))

    def remove(self, name: str) -> IdentityInfo:
        with self._lock, self._faults(), self._write() as db:
            info = self._info(db, name)
            ident_id = db.execute("SELECT id FROM identities WHERE name=?", (self._lookup(name),)).fetchone()[0]
            forget = self._forget_entries(db, ident_id)
            # Templates and forget entries go by ON DELETE CASCADE; secure_delete zeroes their bytes.
            db.execute("DELETE FROM identities WHERE name=?", (self._lookup(name),))
            self._bump(db)
        self._searchers = {}  # the in-memory matrix held the removed templates too
        self.purged = self.purge()
        return IdentityInfo(info.name, info.n_templates, info.metadata, info.created, info.templates, forget)

    def purge(self, attempts: int = 20) -> bool:
        """Move every committed page into the main file and empty the WAL (a TRUNCATE checkpoint),
        so removed rows survive in neither file. False if other readers kept it from finishing."""
        import time

        for _ in range(attempts):
            with self._lock, self._faults():
                busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.1)  # another connection is reading: let it finish
        return False

    def _info(self, db: sqlite3.Connection, name: str, templates: bool = False) -> IdentityInfo:
        key = self._lookup(name)
        row = db.execute("SELECT id, metadata, created FROM identities WHERE name=?", (key,)).fetchone()
        if row is None:
            raise UnknownIdentityError(f"no identity {name!r} in gallery {self.uri}")
        rows = db.execute("SELECT id, source, digest, box, created FROM templates WHERE identity_id=? ORDER BY id",
                          (row[0],)).fetchall()
        temps = tuple(TemplateInfo(r[0], self._open_source(r[0], r[1]), r[2], tuple(json.loads(r[3])) if r[3] else None,
                                   r[4]) for r in rows)
        return IdentityInfo(name, len(rows), self._open_identity(row[0], key, row[1])[1], row[2],
                            temps if templates else ())

    def identities(self) -> list[IdentityInfo]:
        with self._lock, self._faults():
            rows = self._db.execute(
                "SELECT i.id, i.name, i.metadata, i.created, COUNT(t.id) FROM identities i "
                "LEFT JOIN templates t ON t.identity_id = i.id GROUP BY i.id ORDER BY i.id").fetchall()
            return [_info_row(self._open_identity(r[0], r[1], r[2]), r[4], r[3]) for r in rows]

    def identity(self, name: str) -> IdentityInfo:
        with self._lock, self._faults():
            return self._info(self._db, name, templates=True)

    def export(self) -> Iterator[tuple[IdentityInfo, np.ndarray]]:
        with self._lock, self._faults():
            # One read transaction: a concurrent writer cannot make the export half old, half new.
            self._db.execute("BEGIN")
            try:
                names = [(r[0], self._open_identity(r[0], r[1], r[2])[0]) for r in
                         self._db.execute("SELECT id, name, metadata FROM identities ORDER BY id")]
                items = []
                for ident_id, name in names:
                    info = self._info(self._db, name, templates=True)
                    vecs = self._db.execute("SELECT id, vector FROM templates WHERE identity_id=? ORDER BY id",
                                            (ident_id,)).fetchall()
                    raw = b"".join(self._open_vector(v[0], ident_id, v[1]) for v in vecs)
                    items.append((info, np.frombuffer(raw, "<f4").reshape(len(vecs), -1)))
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
                sealed: list[tuple[int, str]] = []
                for ident_id, name, metadata in self._db.execute("SELECT id, name, metadata FROM identities ORDER BY id"):
                    index[ident_id] = len(names) + len(sealed)
                    if self._cipher:
                        sealed.append((ident_id, metadata))
                    else:
                        names.append(name)
                if self._cipher:  # names are opened only when a search answers with them
                    names = _SealedNames(sealed, lambda i, text: self._open_identity(i, "", text)[0])
                n = self._db.execute("SELECT COUNT(*) FROM templates").fetchone()[0]
                templates = np.empty((n, dim), np.float32)
                labels = np.empty(n, np.int64)
                cur = self._db.execute("SELECT identity_id, vector, id FROM templates ORDER BY id")
                i = 0
                while rows := cur.fetchmany(65536):
                    k = len(rows)
                    labels[i:i + k] = [index[r[0]] for r in rows]
                    if self._cipher:
                        raw = b"".join(self._open_vector(r[2], r[0], r[1]) for r in rows)
                    else:
                        raw = b"".join(r[1] for r in rows)
                    templates[i:i + k] = np.frombuffer(raw, "<f4").reshape(k, dim)
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
        # COUNT(*) walks the whole table (13 ms plain, 39 ms encrypted at 1M templates: more
        # than the search itself), so it is cached until a write, here or elsewhere, bumps the
        # generation.
        with self._lock, self._faults():
            gen = self._generation()
            if self._counts is None or self._counts[0] != gen:
                self._counts = (gen, (self._db.execute("SELECT COUNT(*) FROM identities").fetchone()[0],
                                      self._db.execute("SELECT COUNT(*) FROM templates").fetchone()[0]))
            return self._counts[1]

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


class _SealedNames(Sequence[str]):
    """An encrypted gallery's names for the searcher: each is decrypted the first time it is asked for."""

    def __init__(self, rows: list[tuple[int, str]], open_name: Callable[[int, str], str]) -> None:
        self._rows, self._open, self._cache = rows, open_name, {}

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):  # type: ignore[override]
        i = int(i)
        if i not in self._cache:
            self._cache[i] = self._open(*self._rows[i])
        return self._cache[i]


def _info_row(opened: tuple[str, dict], n: int, created: str) -> IdentityInfo:
    return IdentityInfo(opened[0], n, opened[1], created)


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
