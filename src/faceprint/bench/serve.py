"""Load on the HTTP service: concurrent clients posting `/v1/verify` on loopback.

    python -m faceprint.bench serve [--clients 16] [--seconds 60] [--model fast] [--data DIR]

Starts `faceprint serve` as a separate process on a free 127.0.0.1 port (its own gallery
and key file in a temporary folder), then runs `--clients` concurrent clients for
`--seconds` (and at most `--max-requests`), each posting one verify after another. Photos
are LFW View 1 test pairs (or the scikit-image astronaut when the data is absent), encoded
once in memory. Reports errors, requests/s, latency p50/p95/p99, and the server's resident
memory over time; the baseline is the library's `Analyzer.verify` on the same pairs, one
after another, in this process: the service's throughput is given as a ratio to it.
Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _pairs(data: Path, n: int) -> list[tuple[bytes, bytes]]:
    lfw = data / "lfw_deepfunneled"
    rows = []
    if (lfw / "pairs_devtest.csv").is_file():
        with open(lfw / "pairs_devtest.csv", newline="") as f:
            rows = list(csv.DictReader(f))[:n]
    if rows:
        return [((lfw / r["path_a"]).read_bytes(), (lfw / r["path_b"]).read_bytes()) for r in rows]
    from skimage import data as skdata

    from ..image import encode_jpeg

    img = skdata.astronaut()
    return [(encode_jpeg(img), encode_jpeg(img[:, ::-1].copy()))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def library_baseline(pairs: list[tuple[bytes, bytes]], model: str, seconds: float) -> dict:
    """Verifies/s of the library, one pair after another, in this process."""
    from ..pipeline import Analyzer

    analyzer = Analyzer.from_name(model)
    analyzer.verify(*pairs[0])  # warm-up
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a, b = pairs[done % len(pairs)]
        try:
            analyzer.verify(a, b)
        except Exception:  # noqa: BLE001 - a pair without a face costs the same work
            pass
        done += 1
    elapsed = time.perf_counter() - t0
    return {"verifies": done, "seconds": elapsed, "per_s": done / elapsed}


async def _load(url: str, pairs: list[tuple[bytes, bytes]], clients: int, seconds: float, max_requests: int,
                pid: int) -> dict:
    import httpx

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    rss: list[tuple[float, float]] = []
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def client(k: int, http: httpx.AsyncClient) -> None:
        nonlocal sent
        i = k
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            a, b = pairs[i % len(pairs)]
            i += clients
            start = time.perf_counter()
            try:
                r = await http.post(url + "/v1/verify", files={"image_a": ("a.jpg", a), "image_b": ("b.jpg", b)})
                key = str(r.status_code)
            except httpx.HTTPError as e:
                key = type(e).__name__
            latencies.append(time.perf_counter() - start)
            statuses[key] = statuses.get(key, 0) + 1

    async def sample_memory() -> None:
        while time.perf_counter() < deadline and sent < max_requests:
            rss.append((time.perf_counter() - t0, _rss_mb(pid)))
            await asyncio.sleep(1.0)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(sample_memory(), *(client(k, http) for k in range(clients)))
    elapsed = time.perf_counter() - t0
    lat = np.array(latencies) * 1000
    ok = statuses.get("200", 0)
    return {"clients": clients, "seconds": elapsed, "requests": len(latencies), "ok": ok,
            "errors": len(latencies) - ok, "statuses": statuses, "requests_per_s": len(latencies) / elapsed,
            "latency_ms": {q: float(np.percentile(lat, p)) for q, p in (("p50", 50), ("p95", 95), ("p99", 99))}
            if len(lat) else {}, "rss_mb": rss}


def _memory_summary(rss: list[tuple[float, float]]) -> dict:
    if len(rss) < 4:
        return {}
    values = np.array([v for _, v in rss])
    half = len(values) // 2
    first, second = values[:half], values[half:]
    return {"start": float(values[0]), "end": float(values[-1]), "max": float(values.max()),
            "second_half_growth_pct": float(100 * (second.max() - first.max()) / first.max())}


def run(args: argparse.Namespace) -> int:
    pairs = _pairs(Path(args.data), args.pairs)
    report: dict = {"model": args.model, "pairs": len(pairs), "cpus": os.cpu_count()}
    print(f"baseline: library verify, one pair at a time, {args.baseline_seconds:g} s ...", file=sys.stderr)
    report["baseline"] = library_baseline(pairs, args.model, args.baseline_seconds)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "faceprint", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--model", args.model, "--gallery", str(Path(tmp) / "g.db"), "--keys", str(Path(tmp) / "keys.json"),
               "--log-level", "warning", "--concurrency", str(args.concurrency)]
        if args.keep_alive is not None:
            cmd += ["--keep-alive", str(args.keep_alive)]
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait_ready(url, server)
            print(f"load: {args.clients} clients x {args.seconds:g} s on /v1/verify ...", file=sys.stderr)
            load = asyncio.run(_load(url, pairs, args.clients, args.seconds, args.max_requests, server.pid))
            import httpx

            metrics = httpx.get(url + "/metrics", timeout=10).text
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    load["memory"] = _memory_summary(load["rss_mb"])
    load["server_counted"] = sum(int(float(line.rsplit(" ", 1)[1])) for line in metrics.splitlines()
                                 if line.startswith('faceprint_requests_total{method="POST",route="/v1/verify"'))
    report["load"] = load
    report["throughput_vs_library"] = load["requests_per_s"] / report["baseline"]["per_s"]
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print(report)
    return 0 if load["errors"] == 0 else 1


def _wait_ready(url: str, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read() if server.stderr else ''}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("the server did not become ready in 120 s")


def _print(r: dict) -> None:
    load, base, mem = r["load"], r["baseline"], r["load"]["memory"]
    lat = load["latency_ms"]
    print(f"model {r['model']}, {r['cpus']} CPUs, {r['pairs']} LFW pairs")
    print(f"baseline (library, sequential): {base['per_s']:.2f} verifies/s")
    print(f"service: {load['clients']} clients, {load['seconds']:.0f} s: {load['requests']} requests, "
          f"{load['errors']} errors {load['statuses']}, {load['requests_per_s']:.2f} req/s "
          f"= {r['throughput_vs_library']:.2f}x the library; server counted {load['server_counted']}")
    if lat:
        print(f"latency ms: p50 {lat['p50']:.0f}, p95 {lat['p95']:.0f}, p99 {lat['p99']:.0f}")
    if mem:
        print(f"server RSS MB: start {mem['start']:.0f}, end {mem['end']:.0f}, max {mem['max']:.0f}; "
              f"growth of the second half's peak over the first's: {mem['second_half_growth_pct']:+.1f} %")


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers type
    from ..calibrate import default_data_dir

    p = sub.add_parser("serve", help="load on `faceprint serve`: concurrent verify clients on loopback")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--model", default="fast")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    p.add_argument("--pairs", type=int, default=200, help="LFW View 1 test pairs cycled through")
    p.add_argument("--concurrency", type=int, default=2, help="the server's concurrent inferences")
    p.add_argument("--keep-alive", type=float, default=None,
                   help="the server's --keep-alive in seconds (default: the server's own)")
    p.add_argument("--baseline-seconds", type=float, default=15.0)
    p.add_argument("--json", action="store_true")
