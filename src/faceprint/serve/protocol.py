"""The HTTP/1.1 connection: uvicorn's h11 protocol with read timeouts, a connection cap and
answers in the service's error envelope.

uvicorn's own keep-alive timer starts only after a response, so a client that sends its
headers a byte at a time (slowloris), or stops halfway through a body, holds a connection
for ever. Here:
- header timeout: from a connection's first moment (and from a request's first byte on a
  kept-alive connection) until its request line and headers are complete; not reset by
  each byte, so trickling does not help. On expiry a started request gets 408, an idle
  connection is closed silently (a 408 there could be read as the answer to a request the
  client is just sending).
- body timeout: the longest pause between two pieces of a body (reset by every piece).
- connection cap: beyond `max_connections` open connections, a new one is answered
  503 `busy` (after its request is read, so the client does see the answer) and closed.
- protocol errors (bad request line, bad Content-Length, oversized headers) answer 400 or
  431 in the envelope instead of uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from .config import ConnectionLimits
from .http_errors import body

log = logging.getLogger("faceprint.serve")


def envelope_response(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 answer in the error envelope that closes the connection."""
    payload = json.dumps(body(code, message)).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + payload


async def _busy(scope: dict, receive: Any, send: Any) -> None:
    payload = json.dumps(body("busy", "the service has too many open connections; retry later")).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close"), (b"retry-after", b"1")]})
    await send({"type": "http.response.body", "body": payload})


class GuardedProtocol(H11Protocol):
    """One per connection; uvicorn builds it (see `server.serve`, `functools.partial(..., limits=)`)."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        size = self.config.h11_max_incomplete_event_size
        self._max_head = size if size is not None else DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        self._read_timer: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers" or "body" while a read timer runs

    # -- connection life ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.app = _busy  # this connection only: read its request, answer 503, close
            log.warning("over %d open connections: answering busy", self.limits.max_connections)
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return self._disarm()
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._waiting_for != "headers":  # a request has begun; its clock does not restart per byte
                self._arm("headers")
        elif state is h11.SEND_BODY:
            self._arm("body")  # the pause between two pieces of body
        else:  # the request is in; the app's work is governed by --timeout
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timer takes over
        super().on_response_complete()

    # -- timers ------------------------------------------------------------------------------
    def _arm(self, what: str) -> None:
        self._disarm()
        seconds = self.limits.header_timeout_s if what == "headers" else self.limits.body_timeout_s
        self._waiting_for = what
        self._read_timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer, self._waiting_for = None, None

    def _timed_out(self) -> None:
        what, self._read_timer, self._waiting_for = self._waiting_for, None, None
        if self.transport.is_closing():
            return
        if what == "body" and self.flow.read_paused:  # we stopped reading, not the client: wait on
            return self._arm("body")
        if what == "headers":
            started = bool(self.conn.trailing_data[0])
            if started:
                self.transport.write(envelope_response(
                    408, "Request Timeout", "timeout",
                    f"the request headers did not arrive within {self.limits.header_timeout_s:g} s"))
        else:
            cycle = self.cycle
            if cycle is not None:
                cycle.disconnected = True  # the app sees http.disconnect; its answer is dropped
                cycle.message_event.set()
                if not cycle.response_started:
                    self.transport.write(envelope_response(
                        408, "Request Timeout", "timeout",
                        f"the request body paused for over {self.limits.body_timeout_s:g} s"))
        self.transport.close()

    # -- protocol errors ---------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        # h11 has refused the bytes (their state is ERROR): answer in the envelope, then close.
        if len(self.conn.trailing_data[0]) > self._max_head:
            answer = envelope_response(431, "Request Header Fields Too Large", "headers_too_large",
                                       f"the request line and headers are over {self._max_head:,} bytes")
        else:
            answer = envelope_response(400, "Bad Request", "bad_request",
                                       "the request is not valid HTTP/1.1 (request line, headers or "
                                       "Content-Length)")
        self._disarm()
        self.transport.write(answer)
        self.transport.close()
