"""python -m faceprint.bench index: images/s of `faceprint index` per engine, and `cluster --from` at 1M.

Engines: the local process pool with 1 and 2 workers and Ray Data with 1 and 2 actors, on
the same LFW images, in alternating rounds in this process (Ray started once, as a long
job would), each run from an empty index folder, so every run pays its model loads. The
published figures are ratios (Ray against local at the same parallelism; 2 against 1),
which a shared machine's load affects far less than the absolute rates.

`cluster --from` runs the real command in a child process on an index of synthetic
embeddings (identities of Zipf-like sizes, `bench.cluster.synthetic`) at the threshold
where their different-identity pairs pass at FMR 1e-4; peak memory is the child's maxrss.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def lfw_manifest(data: Path, n: int, folder: Path) -> Path:
    # Absolute paths: a manifest's relative paths are read against the manifest's own folder
    # (a temporary one here), so "../shared/data" would make every row an error row.
    lfw = (Path(data) / "lfw_deepfunneled").resolve()
    with open(lfw / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    step = max(1, len(rows) // n)  # spread over the alphabet, not the first few people
    out = folder / "manifest.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path"])
        for r in rows[::step][:n]:
            w.writerow([str(lfw / r["path"])])
    return out


def engine_speed(manifest: Path, folder: Path, pipeline: str, rounds: int, shard_size: int) -> dict:
    import ray

    from ..index.engine_local import LocalEngine
    from ..index.engine_ray import RayEngine
    from ..index.job import run_index

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    configs = {"local-1": lambda: LocalEngine(1), "ray-1": lambda: RayEngine(actors=1),
               "local-2": lambda: LocalEngine(2), "ray-2": lambda: RayEngine(actors=2)}
    runs: dict[str, list[float]] = {k: [] for k in configs}
    images = 0
    try:
        for r in range(rounds):
            for name, make in configs.items():
                out = folder / f"{name}-{r}"
                s = run_index(str(manifest), out, make(), pipeline=pipeline, shard_size=shard_size, progress=False)
                images = s.processed
                if s.errors:  # error rows are cheap: a rate over them would measure nothing
                    raise RuntimeError(f"{name}: {s.errors} of {s.processed} images failed; see the error column in {out}")
                runs[name].append(s.images_per_s)
                print(f"  round {r + 1} {name}: {s.images_per_s:.2f} images/s ({s.seconds:.1f} s; {s.processed} images, "
                      f"{s.faces} faces, {s.errors} errors, {s.reused} reused)", file=sys.stderr)
    finally:
        ray.shutdown()
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"images": images, "pipeline": pipeline, "rounds": rounds, "shard_size": shard_size,
            "images_per_s": med, "all_runs": runs,
            "ray_vs_local_1": med["ray-1"] / med["local-1"], "ray_vs_local_2": med["ray-2"] / med["local-2"],
            "scaling_local": med["local-2"] / med["local-1"] / 2, "scaling_ray": med["ray-2"] / med["ray-1"] / 2}


def synthetic_index(n: int, dim: int, folder: Path, pipeline: str = "fast", shard_rows: int = 100_000) -> float:
    """An index folder of `n` synthetic faces (one per fake photo); returns the FMR 1e-4 threshold."""
    import pyarrow as pa

    from ..index.job import model_id_of
    from ..index.shards import plan, write_plan, write_shard
    from ..index.schema import schema
    from .cluster import synthetic, threshold_grid

    x, y = synthetic(n, dim)
    threshold = float(threshold_grid(x, y, rates=(1e-4,))[0])
    model_id = model_id_of(pipeline)
    paths = [f"/synthetic/{i // 1000:04d}/{i:07d}.jpg" for i in range(n)]
    shards = plan(paths, model_id, shard_rows)
    for s in shards:
        a, b = s.number * shard_rows, s.number * shard_rows + len(s.paths)
        k = b - a
        cols = {"path": list(s.paths), "content_hash": [f"{i:040x}" for i in range(a, b)],
                "face_index": pa.array([0] * k, pa.int32()),
                "box": pa.FixedSizeListArray.from_arrays(pa.array([0, 0, 100, 100] * k, pa.float32()), 4),
                "landmarks": pa.FixedSizeListArray.from_arrays(pa.array([50.0] * (10 * k), pa.float32()), 10),
                "score": pa.array([0.9] * k, pa.float32()), "quality": pa.array([0.8] * k, pa.float32()),
                "embedding": pa.ListArray.from_arrays(pa.array(range(0, (k + 1) * dim, dim), pa.int32()),
                                                      pa.array(x[a:b].reshape(-1))),
                "model_id": [model_id] * k, "error": pa.nulls(k, pa.string())}
        write_shard(folder, s.name, pa.table(cols).cast(schema()))
    write_plan(folder, model_id, pipeline, "synthetic", shards, shard_rows)
    return threshold


def cluster_from(n: int, dim: int, folder: Path, engine: str) -> dict:
    index = folder / "synthetic-index"
    index.mkdir()
    t0 = time.perf_counter()
    threshold = synthetic_index(n, dim, index)
    made = time.perf_counter() - t0
    cmd = [sys.executable, "-m", "faceprint", "cluster", "--from", str(index), "--out", str(folder / "clusters"),
           "--no-sheet", "--threshold", f"{threshold:.6f}", "--engine", engine, "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"faces": n, "dim": dim, "threshold": threshold, "engine": engine, "seconds": seconds,
            "peak_rss_mb": peak, "clusters": summary["clusters"], "people": summary["people"],
            "graph": summary["graph"], "index_written_s": made}


def run(args: argparse.Namespace) -> int:
    report: dict = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}}
    with tempfile.TemporaryDirectory(prefix="faceprint-bench-index-") as tmp:
        folder = Path(tmp)
        if args.images:
            data = Path(args.data)
            if not (data / "lfw_deepfunneled" / "labels.csv").is_file():
                print(f"no LFW data at {data} (set --data)", file=sys.stderr)
                return 2
            manifest = lfw_manifest(data, args.images, folder)
            report["engines"] = engine_speed(manifest, folder, args.model, args.rounds, args.shard_size)
        if args.synthetic:
            report["cluster_from"] = cluster_from(args.synthetic, args.dim, folder, args.cluster_engine)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    return 0


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"{m['cpus']} CPUs; load average {m['load_average_at_start'][0]:.1f} at start, "
          f"{m['load_average_at_end'][0]:.1f} at end (above {m['cpus']}: other jobs shared the machine)")
    if "engines" in report:
        e = report["engines"]
        print(f"faceprint index, {e['images']} LFW images, pipeline {e['pipeline']}, shards of {e['shard_size']}, "
              f"median of {e['rounds']} alternating rounds (model loads included):")
        for k, v in e["images_per_s"].items():
            print(f"  {k:8} {v:7.2f} images/s")
        print(f"  Ray / local: {e['ray_vs_local_1']:.2f}x with 1, {e['ray_vs_local_2']:.2f}x with 2")
        print(f"  scaling efficiency 1 -> 2: local {e['scaling_local']:.0%}, Ray {e['scaling_ray']:.0%}")
    if "cluster_from" in report:
        c = report["cluster_from"]
        print(f"cluster --from, {c['faces']:,} synthetic {c['dim']}-d faces at threshold {c['threshold']:.3f} "
              f"(engine {c['engine']}): {c['seconds']:.0f} s, peak RSS {c['peak_rss_mb']:.0f} MB; "
              f"{c['graph']}; {c['clusters']:,} clusters ({c['people']:,} of more than one face)")


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers type
    from ..calibrate import default_data_dir

    p = sub.add_parser("index", help="faceprint index images/s: local 1/2 workers vs Ray 1/2 actors; "
                       "cluster --from on synthetic embeddings")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--model", default="fast")
    p.add_argument("--images", type=int, default=400, help="LFW images per run (0: skip the engines)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--shard-size", type=int, default=25)
    p.add_argument("--synthetic", type=int, default=1_000_000, help="faces for cluster --from (0: skip)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--cluster-engine", choices=("local", "ray"), default="local")
    p.add_argument("--json", action="store_true")
