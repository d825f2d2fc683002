"""SQLite faults as one clear GalleryError each: locked, disk full, read-only, damaged.

SQLite keeps a failed statement's transaction from committing, so each sentence can say
what happened to the data: a refused write changed nothing, a damaged file was not repaired
or rewritten (restore it from a backup or an export).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

from ..errors import FaceprintError, GalleryDamagedError, GalleryError, GalleryLockedError, GalleryWriteError


def translate(error: BaseException, path: object, timeout: float) -> GalleryError:
    """The GalleryError that says what `error` (from SQLite or a record's decoding) means for `path`."""
    if isinstance(error, sqlite3.Error):
        name = getattr(error, "sqlite_errorname", "") or ""
        text = " ".join(str(error).split())
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
            return GalleryLockedError(f"gallery {path} is locked by another process (waited {timeout:g} s); "
                                      f"nothing was changed, try again")
        if name == "SQLITE_FULL" or "full" in text:
            return GalleryWriteError(f"cannot write gallery {path}: the disk is full; nothing was changed")
        if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")) or "readonly" in text:
            return GalleryWriteError(f"cannot write gallery {path}: the file or its folder is read-only "
                                     f"(permissions, an immutable file or a read-only disk); nothing was changed")
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
            return GalleryDamagedError(f"gallery {path} is damaged ({text}); it was left as it is: restore it "
                                       f"from a backup or an export")
        if name.startswith(("SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE",
                            "SQLITE_IOERR_SHMSIZE")):
            return GalleryWriteError(f"cannot write gallery {path}: {text} (disk full or a file-size limit?); "
                                     f"nothing was changed")
        if name.startswith("SQLITE_IOERR"):
            return GalleryWriteError(f"cannot read or write gallery {path}: {text} (disk full, a file-size limit "
                                     f"or a failing disk?); nothing was changed")
        if name.startswith("SQLITE_CANTOPEN"):
            return GalleryWriteError(f"cannot open gallery {path}: {text} (permissions or a missing folder?)")
        return GalleryError(f"gallery {path}: {text}")
    return GalleryDamagedError(f"gallery {path} holds a malformed record ({type(error).__name__}: "
                               f"{' '.join(str(error).split())}); it was left as it is")


@contextmanager
def faults(path: object, timeout: float) -> Iterator[None]:
    """Run a store operation; SQLite errors and undecodable records become a GalleryError."""
    try:
        yield
    except FaceprintError:
        raise
    except (sqlite3.Error, ValueError, KeyError, TypeError) as e:
        raise translate(e, path, timeout) from None
