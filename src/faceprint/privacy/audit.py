"""The audit log: who enrolled, removed, exported or searched, when, through which route, and how it ended.

Append-only JSON Lines, one record per operation:

    {"time": "2026-12-03T13:40:02.123Z", "actor": "alice-laptop", "via": "api",
     "route": "DELETE /v1/identities/{name}", "action": "remove", "identity": "Ada", "outcome": "ok"}

`actor` is the API key's name for the service ("local" when it runs without keys, "invalid
key" for a refused one), and "cli" for the command line (with the OS `user`). `identities`
lists who a search named. No image, no template, no score and no API key is ever written.

The file is opened with O_APPEND (each record is one write, so concurrent writers never
interleave lines) and created 0600: it names people, so it is personal data itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from typing import Any

from ..errors import InputError


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as e:
            raise InputError(f"--audit-log {self.path!r}: cannot open it for appending: {e.strerror or e}") from None
        self._lock = threading.Lock()

    def record(self, *, actor: str, via: str, route: str, action: str, outcome: str = "ok",
               identity: str | None = None, **extra: Any) -> None:
        rec = {"time": _now(), "actor": actor, "via": via, "route": route, "action": action,
               "identity": identity, "outcome": outcome, **extra}
        line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, line)  # one write on an O_APPEND descriptor: a whole line, at the end

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> "AuditLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cli_actor() -> dict[str, str]:
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return {"actor": "cli", "user": user}
