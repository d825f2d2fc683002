"""API keys: `faceprint keys create NAME` prints a key once; only its SHA-256 is stored.

Keys are 256-bit random tokens, so a plain SHA-256 (not a slow password hash) is enough to
make a stolen key file useless. The file is JSON, written atomically with mode 0600; the
service re-reads it when it changes, so keys created or revoked apply without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import InputError

PREFIX = "fp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyFileError(InputError):
    """The key file of a service that requires keys cannot be used: the API stays locked."""

    code = "keys_unavailable"


class KeyStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: list[dict[str, Any]] = []
        # Once a key file has been seen, auth stays on for this process: a deleted, unreadable or
        # broken file locks the API (KeyFileError) instead of opening it.
        self._seen = False

    # -- reading -------------------------------------------------------------------------
    def _load(self) -> list[dict[str, Any]]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            if self._seen:
                raise KeyFileError("the API key file has gone missing; the API stays locked until it is restored") \
                    from None
            self._stamp, self._entries = None, []
            return self._entries
        except OSError as e:
            raise KeyFileError(f"the API key file cannot be read ({e.strerror}); the API stays locked") from None
        self._seen = True
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                entries = data["keys"]
                if not isinstance(entries, list) or not all(isinstance(e, dict) and "sha256" in e for e in entries):
                    raise ValueError("bad entries")
            except (OSError, ValueError, KeyError, TypeError) as e:
                # No path in the message: it reaches HTTP clients. The operator's CLI adds it.
                raise KeyFileError(f"the API key file is unreadable ({type(e).__name__}); fix or restore it") from None
            self._stamp, self._entries = stamp, entries
        return self._entries

    def any(self) -> bool:
        with self._lock:
            return bool(self._load())

    def required(self) -> bool:
        """Keys are required once a key file exists, even when its last key was revoked:
        revoking every key locks the API rather than opening it."""
        with self._lock:
            self._load()  # a malformed or vanished file is an error, not "no keys"
            return self._seen or self.path.exists()

    def names(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"name": e["name"], "created": e.get("created"), "hint": e.get("hint")} for e in self._load()]

    def check(self, key: str | None) -> str | None:
        """The name of the key, or None when it is not a valid key."""
        if not key:
            return None
        d = _digest(key)
        with self._lock:
            entries = self._load()
        found = None
        for e in entries:  # compare with every entry in constant time: no early exit to time
            if hmac.compare_digest(d, str(e["sha256"])):
                found = e["name"]
        return found

    # -- writing -------------------------------------------------------------------------
    def create(self, name: str) -> str:
        """Make a key named `name`; returns the key (shown once, never stored)."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise InputError(f"key name {name!r}: 1-64 letters, digits, '_', '.', '@' or '-'")
        key = PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            entries = list(self._load())
            if any(e["name"] == name for e in entries):
                raise InputError(f"a key named {name!r} exists; revoke it first")
            entries.append({"name": name, "sha256": _digest(key), "hint": key[:7] + "...",
                            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            self._write(entries)
        return key

    def revoke(self, name: str) -> None:
        with self._lock:
            entries = list(self._load())
            kept = [e for e in entries if e["name"] != name]
            if len(kept) == len(entries):
                raise InputError(f"no key named {name!r} in {self.path}")
            self._write(kept)

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"faceprint_keys": 1, "keys": entries}, f, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None  # re-read on next use
