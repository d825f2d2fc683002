"""Helpers shared by the service tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from browser_helpers import free_port


def jpeg(image: np.ndarray) -> bytes:
    from faceprint.image import encode_jpeg

    return encode_jpeg(image)


def assert_error(response: Any, status: int, code: str) -> dict:
    """Every failure has the one error shape, and never a traceback."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body["error"]


class ServeProcess:
    """`faceprint serve --model fast ARGS...` in a subprocess on a free loopback port."""

    def __init__(self, home: Any, *args: str) -> None:
        self.port = free_port()
        self.home, self.args = str(home), args

    def __enter__(self) -> "ServeProcess":
        import os
        import subprocess
        import sys
        import time

        env = {**os.environ, "FACEPRINT_HOME": self.home}
        self.proc = subprocess.Popen([sys.executable, "-m", "faceprint", "serve", "--model", "fast",
                                      "--port", str(self.port), "--log-level", "warning", *self.args],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("faceprint serve exited: " + self.proc.stderr.read())
            try:
                if b" 200 " in self.exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"):
                    return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("faceprint serve did not start within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a stuck server must not hang the suite
            self.proc.kill()

    def connect(self, timeout: float = 10) -> Any:
        import socket

        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def exchange(self, request: bytes, timeout: float = 10) -> bytes:
        with self.connect(timeout) as s:
            s.sendall(request)
            return read_until_closed(s)


def read_until_closed(sock: Any) -> bytes:
    """Everything the server sends until it closes (a reset after its answer counts as closed)."""
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict((k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:]))
    return status, headers, payload


def assert_envelope(raw: bytes, status: int, code: str) -> dict:
    """A raw HTTP answer in the one error shape."""
    import json

    got, headers, payload = split_response(raw)
    assert got == status, raw[:300]
    assert headers.get("content-type") == "application/json", headers
    body = json.loads(payload)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    return body["error"]
