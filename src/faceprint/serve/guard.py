"""Who may talk to the service from a browser: a Host allow-list and a same-origin rule.

Two holes of a keyless loopback service, closed before any route runs:
- DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and then reads the
  API as "same origin". Its requests still carry `Host: evil.example`, so only the names the
  operator serves under are answered (421 otherwise).
- Cross-site writes: a form on another site can POST to localhost without a CORS preflight.
  A state-changing request that shows any browser sign (`Origin`, `Referer`,
  `Sec-Fetch-Site`) must come from this service's own origin AND carry the
  `X-Faceprint-Request` header, which a cross-site form cannot set without a preflight we
  never grant. Clients that are not browsers (curl, SDKs) send none of those signs and are
  governed by API keys alone.
"""

from __future__ import annotations

import json
import socket
from typing import Any, Iterable
from urllib.parse import urlsplit

from .config import is_loopback

CSRF_HEADER = "x-faceprint-request"
# On every answer. The pages' scripts (the web page's and /docs's Swagger UI) are files of
# this service: no inline script, no other origin.
_SECURITY = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
             (b"referrer-policy", b"same-origin")]
_CSP = (b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        b"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        b"form-action 'self'")
_SAFE = {"GET", "HEAD", "OPTIONS"}
_LOOPBACK = {"localhost", "localhost.localdomain", "127.0.0.1", "::1"}


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names, the bound address, and the operator's `--allowed-host` names."""
    names = set(_LOOPBACK) | {h.strip().lower().strip("[]") for h in extra if h.strip()}
    bound = bound.strip().lower().strip("[]")
    if bound in ("0.0.0.0", "::", ""):  # every interface: this machine's own names too
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(bound)
    return frozenset(names)


def _hostname(netloc: str) -> str:
    """'Example.COM:8000' -> 'example.com'; '[::1]:80' -> '::1'."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class BrowserGuard:
    """Pure ASGI middleware (outermost), answering refusals in the service's error envelope."""

    def __init__(self, app: Any, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: dict, receive: Any, raw_send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, raw_send)
        extra = [*_SECURITY, _CSP]

        async def send_secured(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await raw_send(message)

        send = send_secured
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not host or _hostname(host) not in self.hosts:
            return await _refuse(send, 421, "misdirected_request",
                                 "this service does not answer for that host name (see --allowed-host)")
        if scope["method"] not in _SAFE:
            problem = self._cross_site(headers, host)
            if problem:
                return await _refuse(send, 403, "cross_site", problem)
        await self.app(scope, receive, send)

    @staticmethod
    def _cross_site(headers: dict[str, str], host: str) -> str | None:
        fetch_site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        referer = headers.get("referer")
        if fetch_site is None and origin is None and referer is None:
            return None  # not a browser: keys decide
        if fetch_site in ("cross-site", "same-site"):
            return "cross-site requests may not change anything here"
        source = origin if origin is not None else referer
        if source is not None and (source == "null" or urlsplit(source).netloc.lower() != host.lower()):
            return "requests from another origin may not change anything here"
        if CSRF_HEADER not in headers:
            return f"a browser request that changes something must send the {CSRF_HEADER} header (the page does)"
        return None


async def _refuse(send: Any, status: int, code: str, message: str) -> None:
    payload = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


__all__ = ["BrowserGuard", "CSRF_HEADER", "allowed_hosts", "is_loopback"]
