"""ASGI middleware: refuse oversized bodies before they are read, and time every request."""

from __future__ import annotations

import json
import time
from typing import Any

from .http_errors import body
from .metrics import Metrics


class BodyLimit:
    """413 for a body over `max_bytes`: at once from Content-Length, else while it streams in."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                return await _send_error(send, 413, "body_too_large", self._message())
        seen, refused = 0, False

        async def counted() -> dict:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now and tell the app the client left, so it stops reading; an
                    # exception here would be reported by the body parser as a 400.
                    refused = True
                    await _send_error(send, 413, "body_too_large", self._message())
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: dict) -> None:
            if not refused:  # after our 413, whatever the app answers is dropped
                await send(message)

        await self.app(scope, counted, guarded)

    def _message(self) -> str:
        return f"the request body is over the limit of {self.max_bytes:,} bytes"


async def _send_error(send: Any, status: int, code: str, message: str) -> None:
    payload = json.dumps(body(code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


class Timing:
    """Counts and times every request by route template for /metrics."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), 500

        async def watched(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            template = _template(scope)
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - start)


def _template(scope: dict) -> str:
    """The matched route's template with its router prefix ("/v1/identities/{name}")."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        return "/static" if scope["path"].startswith("/static/") else "unmatched"
    path = path.replace(":path}", "}")
    # Routes of an included router may carry their path without the router's prefix.
    return "/v1" + path if scope["path"].startswith("/v1/") and not path.startswith("/v1/") else path
