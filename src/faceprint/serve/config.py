"""What a service runs with: model, gallery, keys, and its limits (all with sane defaults)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError


def data_home() -> Path:
    """Where faceprint keeps its service files: $FACEPRINT_HOME, else the XDG data folder."""
    env = os.environ.get("FACEPRINT_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "faceprint"


def default_gallery() -> str:
    return str(data_home() / "gallery.db")


def default_keys() -> str:
    return os.environ.get("FACEPRINT_KEYS") or str(data_home() / "keys.json")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Limits:
    """Per-request limits. Work past `max_concurrent` waits in a queue of `max_queued`;
    beyond that a request is refused at once (503) rather than piling up."""

    max_body_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_faces: int = 50  # faces answered per image (largest first); the rest are counted, not listed
    max_images: int = 10  # photos in one enrollment
    timeout_s: float = 30.0  # queue + inference, per request
    max_concurrent: int = max(1, min(4, os.cpu_count() or 1))
    max_queued: int = 64

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_pixels", "max_faces", "max_images", "max_concurrent"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"serve limit {name} must be at least 1, got {getattr(self, name)}")
        if self.timeout_s <= 0 or self.max_queued < 0:
            raise InputError("serve limits: timeout_s must be > 0 and max_queued >= 0")


@dataclass(frozen=True)
class ConnectionLimits:
    """Per-connection limits, enforced by the HTTP protocol (`protocol.py`) before any route.

    The keep-alive is longer than the idle expiry of common client pools (httpx 5 s, aiohttp
    15 s), so a client never reuses a connection the server is closing at that very moment."""

    header_timeout_s: float = 10.0  # from a request's first byte (or the connection's start) to its last header
    body_timeout_s: float = 30.0  # the longest pause between two pieces of a body
    keep_alive_s: float = 20.0  # an idle connection between requests
    max_connections: int = 512  # open at once; more are answered 503 busy

    def __post_init__(self) -> None:
        for name in ("header_timeout_s", "body_timeout_s", "keep_alive_s"):
            if not 0 < float(getattr(self, name)) <= 3600:
                raise InputError(f"serve limit {name} must be in (0, 3600] seconds, got {getattr(self, name)}")
        if int(self.max_connections) < 1:
            raise InputError(f"serve limit max_connections must be at least 1, got {self.max_connections}")


@dataclass(frozen=True)
class ServeConfig:
    model: str | None = None  # pipeline name; None = the default pipeline
    gallery: str | None = None  # path or URI; None = default_gallery()
    keys: str | None = None  # key file; None = default_keys()
    key_file: str | None = None  # the gallery's encryption key; None = $FACEPRINT_GALLERY_KEY (or none)
    auth: bool = True  # False (`--no-auth`) is refused unless the host is loopback
    host: str = "127.0.0.1"
    index: str = "auto"  # the gallery's search: auto/exact, or "pq" for large galleries
    allowed_hosts: tuple[str, ...] = ()  # Host names answered besides loopback and `host` (DNS rebinding)
    limits: Limits = field(default_factory=Limits)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)

    def gallery_uri(self) -> str:
        return self.gallery or default_gallery()

    def keys_path(self) -> str:
        return self.keys or default_keys()

    def check_exposure(self, any_keys: bool) -> None:
        """Refuse to serve an open API beyond this machine."""
        if is_loopback(self.host):
            return
        if not self.auth:
            raise InputError(f"--no-auth is only allowed on a loopback host, not {self.host!r}")
        if not any_keys:
            raise InputError(f"serving on {self.host!r} needs an API key: create one with "
                             f"`faceprint keys create NAME` first (or serve on 127.0.0.1)")
