"""Request counts and latencies in the Prometheus text format, with no dependency.

Labels are the route's template (`/v1/identities/{name}`), never the raw path, so a client
cannot grow the label set without bound.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: dict[tuple[str, str, int], int] = defaultdict(int)
        self._hist: dict[tuple[str, str], list[float]] = {}  # bucket counts..., sum, count

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._count[(method, route, status)] += 1
            h = self._hist.setdefault((method, route), [0.0] * (len(BUCKETS) + 2))
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[-2] += seconds
            h[-1] += 1

    def render(self, in_flight: int = 0) -> str:
        """The text exposition; `in_flight` is the runner's count of running + queued work."""
        out = ["# HELP faceprint_requests_total HTTP requests by method, route and status.",
               "# TYPE faceprint_requests_total counter"]
        with self._lock:
            for (m, r, s), n in sorted(self._count.items()):
                out.append(f'faceprint_requests_total{{method="{m}",route="{_esc(r)}",status="{s}"}} {n}')
            out += ["# HELP faceprint_request_seconds HTTP request latency in seconds.",
                    "# TYPE faceprint_request_seconds histogram"]
            for (m, r), h in sorted(self._hist.items()):
                lab = f'method="{m}",route="{_esc(r)}"'
                for b, n in zip(BUCKETS, h):
                    out.append(f'faceprint_request_seconds_bucket{{{lab},le="{b:g}"}} {int(n)}')
                out.append(f'faceprint_request_seconds_bucket{{{lab},le="+Inf"}} {int(h[-1])}')
                out.append(f"faceprint_request_seconds_sum{{{lab}}} {h[-2]:.6f}")
                out.append(f"faceprint_request_seconds_count{{{lab}}} {int(h[-1])}")
            out += ["# HELP faceprint_inferences_in_flight Model work running or queued now.",
                    "# TYPE faceprint_inferences_in_flight gauge", f"faceprint_inferences_in_flight {in_flight}"]
        return "\n".join(out) + "\n"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
