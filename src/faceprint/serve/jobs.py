"""Long work as jobs: queued, run one at a time on a worker thread of their own, polled by id.

A request only submits (and gets an id back at once); no request worker is held while a
video is processed. The store keeps at most `keep` finished jobs (oldest dropped first)
and refuses new ones (503 busy) when `max_pending` are already waiting or running. Jobs
live in memory: a restart forgets them. Ids are random (secrets), not guessable counters.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import FaceprintError
from .http_errors import ServiceError


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued -> running -> done | failed
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"job": self.id, "kind": self.kind, "status": self.status,
                               "progress": dict(self.progress)}
        if self.started is not None:
            end = self.finished or time.time()
            out["elapsed_s"] = round(end - self.started, 2)
        if self.error is not None:
            out["error"] = self.error
        if self.result is not None:
            out["result"] = self.result
        return out


class JobStore:
    def __init__(self, *, workers: int = 1, max_pending: int = 4, keep: int = 100) -> None:
        self.max_pending = max_pending
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faceprint-job")

    def submit(self, kind: str, work: Callable[[Job], dict[str, Any]], *, cleanup: Callable[[], None] | None = None
               ) -> Job:
        """Queue `work(job)` (it may update job.progress); its return value becomes job.result."""
        with self._lock:
            pending = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if pending >= self.max_pending:
                raise ServiceError("busy", f"{pending} jobs are already waiting or running; retry later")
            job = Job(secrets.token_urlsafe(12), kind)
            self._jobs[job.id] = job
            self._trim()
        self._pool.submit(self._run, job, work, cleanup)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ServiceError("not_found", "no such job (ids are forgotten when the service restarts)")
        return job

    def _run(self, job: Job, work: Callable[[Job], dict[str, Any]], cleanup: Callable[[], None] | None) -> None:
        job.status, job.started = "running", time.time()
        try:
            job.result = work(job)
            job.status = "done"
        except FaceprintError as e:
            job.error, job.status = {"code": e.code, "message": str(e)}, "failed"
        except ServiceError as e:
            job.error, job.status = {"code": e.code, "message": e.message}, "failed"
        except Exception:  # noqa: BLE001 - the client gets the error shape, the log the traceback
            import logging

            logging.getLogger("faceprint.serve").exception("job %s failed", job.id)
            job.error, job.status = {"code": "internal", "message": "internal error; the server log has the details"}, \
                "failed"
        finally:
            job.finished = time.time()
            if cleanup is not None:
                cleanup()

    def _trim(self) -> None:
        done = [k for k, j in self._jobs.items() if j.status in ("done", "failed")]
        for k in done[: max(0, len(done) - self.keep)]:
            del self._jobs[k]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
