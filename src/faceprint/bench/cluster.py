"""Clustering: which algorithm, at which threshold, how fast (`python -m faceprint.bench cluster`).

Protocol (LFW deep-funneled, the largest face of each image, default pipeline):

* **fit set**: every LFW image whose identity is NOT one of the 62 people of
  `ident_min20.csv` (about 7,600 images of 4,400 people). Each algorithm's parameter is
  chosen here, as the grid value with the best BCubed F1.
* **evaluation set**: the 3,023 images of the 62 people with >= 20 images
  (`ident_min20.csv`). Nothing is tuned on it; each algorithm runs once at its fitted
  parameter, and average linkage also at the pipeline's calibrated thresholds
  (FMR 1e-2, 1e-3, 1e-4), the rule `faceprint cluster` uses by default.

Images where no face was found stay in as singletons (a miss costs recall).

Speed: images/s of `cluster.batch.process` (decode, detect, embed every face, thumbnails;
no cache) with 1 worker in-process vs all cores; and the time and peak memory of the
sparse average linkage on 100,000 synthetic 256-d embeddings (identities with
heavy-tailed sizes, like a photo collection; genuine similarity ~0.6, impostor ~0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..evaluate.clustering import clustering_report

# Thresholds are tried where the fit set's different-person pairs pass at these rates: the
# similarity scale differs per pipeline (the fused one's impostor mean is far above 0).
GRID_RATES = tuple(np.logspace(-2, -5, 13))


def threshold_grid(x: np.ndarray, ids: np.ndarray, rates: Sequence[float] = GRID_RATES,
                   pairs: int = 2_000_000, seed: int = 0) -> tuple[float, ...]:
    """Similarity quantiles of random different-identity pairs of the FIT set, one per rate."""
    ok = np.flatnonzero(~np.isnan(x[:, 0]))
    rng = np.random.default_rng(seed)
    i, j = rng.choice(ok, pairs), rng.choice(ok, pairs)
    keep = ids[i] != ids[j]
    i, j = i[keep], j[keep]
    # In chunks: two (pairs x dim) gathers at once would cost more memory than the clustering.
    sims = np.concatenate([np.einsum("ij,ij->i", x[i[k:k + 100_000]], x[j[k:k + 100_000]])
                           for k in range(0, len(i), 100_000)])
    return tuple(sorted({round(float(np.quantile(sims, 1 - r)), 4) for r in rates}))


def read_sets(lfw: Path) -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]:
    """((fit paths, ids), (evaluation paths, ids)): identities of the two sets are disjoint."""
    with open(lfw / "ident_min20.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    ev_paths = [str(lfw / r["path"]) for r in rows]
    ev_ids = np.array([r["identity"] for r in rows])
    from ..calibrate import lfw_without

    return lfw_without(lfw, set(ev_ids.tolist())), (ev_paths, ev_ids)


def lfw_vectors(paths: list[str], pipeline: str, workers: int | None = None) -> np.ndarray:
    """The pipeline's embedding of the largest face per image (cached); NaN rows where none."""
    from .. import thresholds
    from ..cache import Cache
    from ..evaluate.components import extract, pipeline_vectors
    from ..models.registry import pipeline_card

    card = pipeline_card(pipeline)
    cache = Cache()
    try:
        comps = extract(paths, [card], workers=workers, cache=cache, progress=sys.stderr.isatty())
    finally:
        cache.close()
    weights = thresholds.fusion_weights(card.name, card.embedders) if len(card.embedders) > 1 else None
    return pipeline_vectors(card, comps, weights)


def _with_misses(labels_of_found: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Labels for all images: the clustered ones, plus one singleton per image without a face."""
    out = np.empty(found.size, np.int64)
    out[found] = labels_of_found
    base = int(labels_of_found.max(initial=-1)) + 1
    out[~found] = base + np.arange(int((~found).sum()))
    return out


def algorithms(grid: Sequence[float]) -> dict[str, tuple[Callable, tuple]]:
    """name -> (run(x, graph, param) -> labels, parameter grid)."""
    from ..cluster import algorithms as alg

    grid = tuple(grid)
    return {
        "average linkage (sparse, exact)": (lambda x, g, t: alg.average_linkage(x, t, graph=_above(g, t)), grid),
        "connected components (single linkage)": (lambda x, g, t: alg.connected_components(g, t), grid),
        "chinese whispers": (lambda x, g, t: alg.chinese_whispers(g, t), grid),
        "hdbscan (sklearn)": (lambda x, g, p: alg.hdbscan(x, min_cluster_size=p[0], min_samples=p[1]),
                              ((2, 1), (2, 2), (3, 1), (3, 3), (5, 5))),
    }


def _above(g, t: float):
    from ..cluster.algorithms import Graph

    keep = g.sim >= t
    return Graph(g.n, g.i[keep], g.j[keep], g.sim[keep])


def compare(fit: tuple[np.ndarray, np.ndarray], ev: tuple[np.ndarray, np.ndarray],
            calibrated: dict[float, float], names: list[str] | None = None,
            grid: Sequence[float] | None = None) -> list[dict]:
    """Fit each algorithm's parameter on `fit`, then score it once on `ev` (grid: `threshold_grid`)."""
    from ..cluster.algorithms import similarity_graph

    rows = []
    graphs = {}
    grid = threshold_grid(*fit) if grid is None else tuple(grid)
    lowest = min([*grid, *calibrated.values()])
    for which, (x, y) in (("fit", fit), ("ev", ev)):
        found = ~np.isnan(x[:, 0])
        graphs[which] = (x[found], y, found, similarity_graph(x[found], lowest))
    for name, (run, params) in algorithms(grid).items():
        if names and name not in names:
            continue
        xf, yf, found_f, gf = graphs["fit"]
        scores = [clustering_report(yf, _with_misses(run(xf, gf, p), found_f))["bcubed_f1"] for p in params]
        best = params[int(np.argmax(scores))]
        xe, ye, found_e, ge = graphs["ev"]
        t0 = time.perf_counter()
        labels = run(xe, ge, best)
        seconds = time.perf_counter() - t0
        rep = clustering_report(ye, _with_misses(labels, found_e))
        rows.append({"algorithm": name, "param": best, "fit_bcubed_f1": float(max(scores)),
                     "seconds": seconds, **rep})
        if name.startswith("average linkage"):
            for fmr, t in calibrated.items():
                rep = clustering_report(ye, _with_misses(run(xe, ge, t), found_e))
                fit_rep = clustering_report(yf, _with_misses(run(xf, gf, t), found_f))
                rows.append({"algorithm": f"{name} @ calibrated FMR {fmr:g}", "param": round(t, 4),
                             "fit_bcubed_f1": fit_rep["bcubed_f1"], "seconds": float("nan"), **rep})
    return rows


# -- speed -------------------------------------------------------------------------------
def batch_speed(lfw: Path, n_images: int, pipeline: str, workers: int) -> dict:
    """images/s of the folder batch (no cache): 1 worker in-process vs `workers` processes."""
    from ..cluster import batch

    with open(lfw / "ident_min20.csv", newline="") as f:
        rows = [r["path"] for r in csv.DictReader(f)]
    pick = rows[:: max(1, len(rows) // n_images)][:n_images]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in pick:  # a private copy: the digest cache must not shortcut anything
            dst = Path(tmp, p.replace("/", "_"))
            shutil.copyfile(lfw / p, dst)
        files = sorted(os.listdir(tmp))
        batch.process(tmp, files[:2], pipeline, workers=1, cache=None, progress=False)  # load models once
        for w in (1, workers):
            t0 = time.perf_counter()
            res = batch.process(tmp, files, pipeline, workers=w, cache=None, progress=False)
            dt = time.perf_counter() - t0
            out[f"workers={w}"] = {"images": len(files), "seconds": dt, "images_per_s": len(files) / dt,
                                   "faces": sum(len(r.faces) for r in res if r.faces is not None)}
    return out


def synthetic(n: int, dim: int = 256, seed: int = 0, genuine: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """`n` unit vectors of identities with Zipf-like sizes (1 to ~n/50 faces each)."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(min(n // 50, rng.zipf(1.6))))
    sizes[-1] -= sum(sizes) - n
    y = np.repeat(np.arange(len(sizes)), sizes)
    centres = rng.standard_normal((len(sizes), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    sigma = np.sqrt(1 / genuine - 1)  # E cos(a, b) ~ 1 / (1 + sigma^2) for two faces of one identity
    x = centres[y] + sigma * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, y


def large_scale(n: int, fmr: float = 1e-4, dim: int = 256) -> dict:
    """Time and memory of `faceprint cluster`'s algorithm on `n` synthetic embeddings, at the
    threshold where the synthetic data's own different-identity pairs pass at rate `fmr` (a
    pipeline's calibrated threshold would not fit the synthetic similarity scale)."""
    from ..cluster.algorithms import average_linkage, default_max_degree, similarity_graph

    x, y = synthetic(n, dim)
    threshold = threshold_grid(x, y, rates=(fmr,))[0]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # CPU seconds too: on a shared machine the wall clock also measures the neighbours.
    c0, t0 = time.process_time(), time.perf_counter()
    g = similarity_graph(x, threshold, max_degree=default_max_degree(n))  # as `faceprint cluster` does
    c1, t1 = time.process_time(), time.perf_counter()
    labels = average_linkage(x, threshold, graph=g)
    c2, t2 = time.process_time(), time.perf_counter()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rep = clustering_report(y, labels)
    return {"n": n, "dim": dim, "threshold": threshold, "max_degree": default_max_degree(n), "edges": g.n_edges,
            "threshold_fmr": fmr, "graph_seconds": t1 - t0,
            "linkage_seconds": t2 - t1, "total_seconds": t2 - t0, "graph_cpu_seconds": c1 - c0,
            "linkage_cpu_seconds": c2 - c1, "peak_rss_mb": rss1 / 1024,
            "peak_rss_growth_mb": (rss1 - rss0) / 1024, "embeddings_mb": x.nbytes / 2**20,
            "true_identities": int(y.max() + 1), "bcubed_f1_vs_synthetic_truth": rep["bcubed_f1"],
            "clusters": rep["n_clusters"]}


# -- report ------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    from .. import thresholds

    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "ident_min20.csv").is_file():
        print(f"no LFW data at {lfw} (set --data or FACEPRINT_DATA)", file=sys.stderr)
        return 2
    report: dict = {"pipeline": args.model, "machine": {"cpus": os.cpu_count()}}
    try:
        calibrated = {f: thresholds.threshold_for(args.model, f) for f in thresholds.calibrated_rates(args.model)}
    except Exception as e:  # noqa: BLE001 - no calibration yet: compare without those rows
        print(f"(no calibrated thresholds: {e})", file=sys.stderr)
        calibrated = {}
    report["calibrated_thresholds"] = {f"{k:g}": v for k, v in calibrated.items()}
    if not args.skip_lfw:
        (fp, fy), (ep, ey) = read_sets(lfw)
        xf, xe = lfw_vectors(fp, args.model, args.workers), lfw_vectors(ep, args.model, args.workers)
        for key, paths, ids, x in (("fit_set", fp, fy, xf), ("eval_set", ep, ey, xe)):
            report[key] = {"images": len(paths), "identities": len(set(ids)), "no_face": int(np.isnan(x[:, 0]).sum())}
        report["comparison"] = compare((xf, fy), (xe, ey), calibrated)
    if args.speed_images:
        report["batch_speed"] = batch_speed(lfw, args.speed_images, args.model, args.workers or os.cpu_count() or 1)
    if args.synthetic:
        report["large_scale"] = large_scale(args.synthetic)
    if args.json:
        print(json.dumps(report, indent=1, default=float))
        return 0
    print_report(report)
    return 0


def print_report(report: dict) -> None:
    if "comparison" in report:
        fs, es = report["fit_set"], report["eval_set"]
        print(f"Clustering, pipeline {report['pipeline']}: parameters fitted on {fs['images']} LFW images of "
              f"{fs['identities']} people outside ident_min20; scored on ident_min20 ({es['images']} images, "
              f"{es['identities']} people; {es['no_face']} without a face)")
        print(f"| {'algorithm':54} | {'param':>8} | {'fit B3 F1':>9} | {'BCubed P/R/F1':>20} | "
              f"{'pairwise P/R/F1':>20} | {'NMI':>5} | {'clusters':>8} | {'time s':>6} |")
        print("|" + "|".join("-" * (w + 2) for w in (54, 8, 9, 20, 20, 5, 8, 6)) + "|")
        for r in report["comparison"]:
            p = r["param"] if not isinstance(r["param"], (tuple, list)) else "mcs=%d,ms=%d" % tuple(r["param"])
            print(f"| {r['algorithm']:54} | {str(p):>8} | {r['fit_bcubed_f1']:9.4f} | "
                  f"{r['bcubed_precision']:.3f}/{r['bcubed_recall']:.3f}/{r['bcubed_f1']:.3f} | "
                  f"{r['pairwise_precision']:.3f}/{r['pairwise_recall']:.3f}/{r['pairwise_f1']:.3f} | "
                  f"{r['nmi']:.3f} | {r['n_clusters']:4d}/{r['n_true']:<3d} | {r['seconds']:6.2f} |")
    if "batch_speed" in report:
        for k, v in report["batch_speed"].items():
            print(f"batch {k}: {v['images']} LFW images in {v['seconds']:.1f} s = {v['images_per_s']:.2f} images/s "
                  f"({v['faces']} faces)")
    if "large_scale" in report:
        s = report["large_scale"]
        print(f"{s['n']:,} synthetic {s['dim']}-d embeddings at threshold {s['threshold']:.3f} (their FMR {s['threshold_fmr']:g}): similarity graph "
              f"{s['graph_seconds']:.1f} s ({s['edges']:,} edges), average linkage {s['linkage_seconds']:.1f} s, "
              f"total {s['total_seconds']:.1f} s wall (CPU {s['graph_cpu_seconds']:.1f} + "
              f"{s['linkage_cpu_seconds']:.1f} s); peak RSS {s['peak_rss_mb']:.0f} MB; BCubed F1 vs synthetic truth "
              f"{s['bcubed_f1_vs_synthetic_truth']:.3f} ({s['clusters']:,} clusters / {s['true_identities']:,})")


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers type
    from ..calibrate import default_data_dir

    p = sub.add_parser("cluster", help="clustering algorithms on LFW (fit on disjoint people), batch images/s, "
                       "time for 100,000 embeddings")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--model", default="accurate")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--speed-images", type=int, default=100, help="LFW images timed for the batch (0: skip)")
    p.add_argument("--synthetic", type=int, default=100_000, help="embeddings for the large-scale timing (0: skip)")
    p.add_argument("--skip-lfw", action="store_true", help="skip the algorithm comparison")
    p.add_argument("--json", action="store_true")
