"""Runs model work off the event loop, a bounded number at a time, within the request timeout.

Python cannot stop a thread: when a request times out, its answer is a 504 at once and the
abandoned work finishes in the background (the models' own locks keep that safe).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import anyio
import anyio.to_thread

from .config import Limits
from .http_errors import ServiceError

T = TypeVar("T")


class InferenceRunner:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._slots = anyio.Semaphore(limits.max_concurrent)
        self._threads = anyio.CapacityLimiter(limits.max_concurrent)
        self.waiting = 0  # running + queued; read by /metrics

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.waiting >= self.limits.max_concurrent + self.limits.max_queued:
            raise ServiceError("busy", f"the service is busy ({self.waiting} requests in progress); retry later")
        self.waiting += 1
        try:
            with anyio.fail_after(self.limits.timeout_s):
                async with self._slots:
                    return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True,
                                                          limiter=self._threads)
        except TimeoutError:
            raise ServiceError("timeout", f"the request took longer than {self.limits.timeout_s:g} s") from None
        finally:
            self.waiting -= 1
