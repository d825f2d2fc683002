"""Shared by the Chromium tests: where the browser is, its flags for a closed network, and a
CSP-safe wait (Playwright's wait_for_function compiles its predicate with eval, which the
page's CSP rightly forbids)."""

from __future__ import annotations

import shutil
import time

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def wait_js(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a JavaScript expression until it is true, or fail after `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)
