"""Shared by the Chromium and live-HTTP tests: where the browser is, its flags for a closed
network, a CSP-safe wait (Playwright's wait_for_function compiles its predicate with eval,
which the page's CSP rightly forbids), and the app served for real on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def sync_api_or_skip() -> Any:
    """`playwright.sync_api`, or skip the test when it or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    return sync_api


def wait_js(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a JavaScript expression until it is true, or fail after `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`with LiveServer(app) as live:` the app served by uvicorn on a free loopback port, in a
    thread of this process, at `live.url`; stopped when the block ends."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # lifespan "on": a failing startup fails the test instead of being logged and skipped
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))

    def __enter__(self) -> "LiveServer":
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
