"""The keep-alive race: clients that reuse a pooled connection just as the server closes it.

    python -m faceprint.bench keepalive [--clients 150] [--verify-clients 100] [--rounds 6] [--idle 5]
                                        [--keep-alive 5,20]

For each server `--keep-alive` value, starts `faceprint serve --model fast` on a free
127.0.0.1 port. `--verify-clients` post `/v1/verify` (the astronaut twice) one after another
for the whole run: the model work starves the server's event loop, as under real load.
Meanwhile `--clients` clients, sharing one httpx pool with an idle expiry of 60 s (like a
browser or `requests`, which keep connections longer than 5 s), each send
`GET /v1/identities`, idle just under `--idle` seconds (97-100 %), and repeat `--rounds`
times. A request sent on a connection the server is closing at that moment gets no answer
(httpx ReadError / RemoteProtocolError): counted as dropped, for both kinds of client.
The settings run one after another from this process with the same clients, so the counts
compare; the race is rare, so counts are small and vary from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from typing import Any

from .serve import _free_port, _wait_ready


async def _clients(url: str, clients: int, verify_clients: int, rounds: int, idle: float
                   ) -> tuple[dict[str, int], dict[str, int]]:
    import httpx
    from skimage import data

    from ..image import encode_jpeg

    photo = encode_jpeg(data.astronaut())
    idle_counts: collections.Counter[str] = collections.Counter()
    load_counts: collections.Counter[str] = collections.Counter()
    n = clients + verify_clients
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n, keepalive_expiry=60.0)
    finished = False

    async def ask(counts: collections.Counter[str], request: Any) -> None:
        try:
            counts[str((await request).status_code)] += 1
        except httpx.HTTPError as e:
            counts[type(e).__name__] += 1

    async with httpx.AsyncClient(timeout=120, limits=limits) as http, \
            httpx.AsyncClient(timeout=120, limits=limits) as load:
        async def idler(k: int) -> None:
            rnd = random.Random(k)
            for _ in range(rounds):
                await ask(idle_counts, http.get(url + "/v1/identities"))
                await asyncio.sleep(idle * rnd.uniform(0.97, 1.0))

        async def verifier() -> None:
            while not finished:
                await ask(load_counts, load.post(url + "/v1/verify", files={"image_a": ("a.jpg", photo),
                                                                          "image_b": ("b.jpg", photo)}))

        busy = [asyncio.create_task(verifier()) for _ in range(verify_clients)]
        await asyncio.gather(*(idler(k) for k in range(clients)))
        finished = True
        await asyncio.gather(*busy)
    return dict(idle_counts), dict(load_counts)


def run(args: argparse.Namespace) -> int:
    report = []
    for keep_alive in [float(v) for v in args.keep_alive.split(",")]:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "faceprint", "serve", "--port", str(port), "--model", "fast",
                   "--log-level", "warning", "--keep-alive", str(keep_alive)]
            server = subprocess.Popen(cmd, env={**os.environ, "FACEPRINT_HOME": tmp},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                _wait_ready(url, server)
                start = time.perf_counter()
                idle_counts, load_counts = asyncio.run(_clients(url, args.clients, args.verify_clients,
                                                                args.rounds, args.idle))
                seconds = time.perf_counter() - start
            finally:
                server.terminate()
                server.wait(timeout=30)
        both = collections.Counter(idle_counts) + collections.Counter(load_counts)
        dropped = sum(v for k, v in both.items() if not k.isdigit())
        report.append({"keep_alive_s": keep_alive, "idle_s": args.idle, "clients": args.clients,
                       "verify_clients": args.verify_clients, "requests": sum(both.values()), "dropped": dropped,
                       "idle_clients": idle_counts, "verify": load_counts, "seconds": seconds})
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for r in report:
            print(f"server --keep-alive {r['keep_alive_s']:g} s: {r['requests']} requests, {r['dropped']} without "
                  f"an answer; clients idling {r['idle_s']:g} s {r['idle_clients']}, verify load {r['verify']} "
                  f"({r['seconds']:.0f} s)")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keepalive", help="the keep-alive race on `faceprint serve`: clients idle about the "
                       "server's keep-alive, then reuse their connection")
    p.add_argument("--clients", type=int, default=150, help="clients that idle between requests")
    p.add_argument("--verify-clients", type=int, default=100, help="clients posting /v1/verify without pause")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--idle", type=float, default=5.0, help="seconds each client idles between requests")
    p.add_argument("--keep-alive", default="5,20", help="comma-separated server --keep-alive values to compare")
    p.add_argument("--json", action="store_true")
