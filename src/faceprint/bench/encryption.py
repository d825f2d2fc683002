"""python -m faceprint.bench encryption: what encrypting a gallery at rest costs, as ratios to a plain one.

    python -m faceprint.bench encryption [--sizes 10000 1000000] [--probes 200]

For each size, two embedded (SQLite) galleries get the same N random 128-d unit templates
(one identity each, bulk enrollment in transactions of 100k), one plain and one encrypted
(`privacy/encryption.py`: AES-256-GCM per template and per identity, HMAC name lookups).
Measured in the same process, the plain gallery first each time, and printed as
encrypted / plain:
- enroll: the bulk enrollment;
- open + first identify: opening the file and the first search, which loads (and for the
  encrypted one, decrypts) every template into the in-memory search matrix;
- identify p50 / p99: later searches, one probe at a time (exact search, top 10);
- file size on disk.
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DIM = 128
MODEL = "bench/random-128"
CHUNK = 100_000


def add_parser(sub: Any) -> None:
    p = sub.add_parser("encryption", help="gallery encryption at rest: enroll, load and identify cost vs plain")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    p.add_argument("--probes", type=int, default=200, help="single-probe searches timed per gallery")
    p.add_argument("--work", default=None, help="folder for the galleries (default: a temporary one)")
    p.add_argument("--json", action="store_true")


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _one(path: Path, vectors: np.ndarray, key: bytes | None, probes: np.ndarray) -> dict[str, float]:
    from ..gallery import open_gallery

    t0 = time.perf_counter()
    with open_gallery(path, create=True, key=key) as g:
        for start in range(0, len(vectors), CHUNK):
            part = vectors[start:start + CHUNK]
            g.enroll_many([(f"person {start + i}", row[None]) for i, row in enumerate(part)], model=MODEL)
    enroll = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open_gallery(path, key=key) as g:
        g.identify_vectors(probes[:1], model=MODEL, top=10, threshold=0.5)
        first = time.perf_counter() - t0
        times = []
        for p in probes:
            t = time.perf_counter()
            g.identify_vectors(p[None], model=MODEL, top=10, threshold=0.5)
            times.append(time.perf_counter() - t)
    size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
    return {"enroll_s": enroll, "open_first_identify_s": first, "identify_p50_ms": 1000 * float(np.percentile(times, 50)),
            "identify_p99_ms": 1000 * float(np.percentile(times, 99)), "file_mb": size / 1e6}


def run(args: argparse.Namespace) -> int:
    rows = []
    key = os.urandom(32)
    with tempfile.TemporaryDirectory(prefix="faceprint-bench-enc-", dir=args.work) as tmp:
        for n in args.sizes:
            vectors = _vectors(n, n)
            probes = vectors[np.random.default_rng(1).choice(n, size=min(args.probes, n), replace=False)]
            plain = _one(Path(tmp) / f"plain-{n}.db", vectors, None, probes)
            sealed = _one(Path(tmp) / f"sealed-{n}.db", vectors, key, probes)
            rows.append({"templates": n, "plain": plain, "encrypted": sealed,
                         "ratio": {k: sealed[k] / plain[k] for k in plain}})
            for f in Path(tmp).iterdir():
                f.unlink()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("encrypted / plain (same process, plain first; "
          f"load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"{'templates':>10} {'what':24} {'plain':>10} {'encrypted':>10} {'ratio':>7}")
    for r in rows:
        for k in r["plain"]:
            print(f"{r['templates']:10,d} {k:24} {r['plain'][k]:10.3f} {r['encrypted'][k]:10.3f} {r['ratio'][k]:6.2f}x")
    return 0
