"""Gallery scale: enroll time, search latency, HNSW recall and memory at 1M / 10M templates.

    python -m faceprint.bench gallery [--sizes 1000000 10000000] [--data DIR]

Each gallery holds N 128-d templates: N - 62 random unit vectors (distractor identities)
and the 62 real LFW `ident_min20` gallery templates of the `fast` pipeline (SFace), placed
at random rows. Probes are real LFW images of those 62 people (mated probes), so recall is
measured where it matters: does the approximate index find the same best identity as exact
search? Per size:

- enroll: bulk enrollment into the embedded SQLite store (transactions of 100k identities),
  then the time to load it back into memory;
- exact: faceprint's exact search (float32 BLAS in row blocks + top-k), and faiss
  `IndexFlatIP` on the same matrix and probes in the same process (the reference);
- pq: the product-quantised fast scan with exact re-scoring (faiss, `gallery/pq_index.py`,
  `index="pq"`): build time, latency, recall@1 against exact search;
- hnsw: usearch HNSW (default M=32, ef_construction=64, ef_search=256): build time, latency,
  recall@1 against exact search (`--hnsw-max 0` skips it: it builds for many minutes);
- latency p50/p99 for one probe at a time and for batches of 64 (per batch), top-10.

Memory: process peak RSS and each structure's own bytes. Numbers are printed, never asserted.

Uniform random distractors are the hardest case for graph indexes: they have no structure
to navigate, and the few real templates hang off random neighbours. Measured at 100k
templates (2 busy cores): M=16/ef_construction 40/ef_search 256 gave recall@1 0.938, M=32/64/256
gave 1.000 at ~2 ms per probe; at 1M, M=16/40/256 gave only 0.46, and M=32/64 needed
ef_search 2,048 (20 ms per probe) for 0.994 — hence the PQ scan, which does not depend on
neighbourhood structure.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 128
TOP = 10
BATCH = 64


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def _lat(fn, probes: np.ndarray, batch: int, rounds: int) -> tuple[float, float]:
    """(p50, p99) milliseconds of fn(probes[i:i+batch]) over `rounds` calls."""
    times = []
    for r in range(rounds):
        i = (r * batch) % max(1, len(probes) - batch)
        q = np.ascontiguousarray(probes[i:i + batch])
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def real_templates(data: Path) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, str]:
    """(62 gallery vectors, their names, mated probe vectors, probe labels, model id) from LFW."""
    from ..cache import Cache
    from ..evaluate.components import extract, pipeline_vectors
    from ..models.catalog import PIPELINES

    lfw = data / "lfw_deepfunneled"
    with open(lfw / "ident_min20.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    card = PIPELINES["fast"]
    vecs = pipeline_vectors(card, extract([str(lfw / r["path"]) for r in rows], [card], workers=2,
                                          cache=Cache()))
    ok = ~np.isnan(vecs[:, 0])
    role = np.array([r["role"] for r in rows])
    names = np.array([r["identity"] for r in rows])
    g, p = (role == "gallery") & ok, (role == "probe") & ok
    return vecs[g], list(names[g]), vecs[p], names[p], card.id


def random_units(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    for i in range(0, n, 1 << 20):
        block = rng.standard_normal((min(1 << 20, n - i), DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[i:i + len(block)] = block
    return out


def enroll(path: Path, matrix: np.ndarray, names: list[str], model: str) -> float:
    """Bulk-enroll one template per identity; returns seconds."""
    from ..gallery.sqlite_store import SqliteStore
    from ..gallery.store import FORMAT, GalleryMeta, NewIdentity, NewTemplate, now

    store = SqliteStore(path, create=True)
    meta = GalleryMeta(model, DIM, {"pipeline": "fast"}, "max", FORMAT, now())
    t = time.perf_counter()
    step = 100_000
    for i in range(0, len(matrix), step):
        store.add(meta, [NewIdentity(names[j], (NewTemplate(matrix[j]),), {}, "bench")
                         for j in range(i, min(i + step, len(matrix)))])
    took = time.perf_counter() - t
    store.close()
    return took


def bench_size(n: int, real: tuple, args: argparse.Namespace, rng: np.random.Generator) -> dict:
    from ..gallery.search import HnswIndex, Searcher
    from ..gallery.sqlite_store import SqliteStore

    g_vec, g_names, p_vec, p_names, model = real
    res: dict = {"n": n}
    matrix = random_units(n, rng)
    where = rng.choice(n, size=len(g_vec), replace=False)
    matrix[where] = g_vec
    names = [f"random-{i}" for i in range(n)]
    for w, name in zip(where, g_names):
        names[w] = name
    pick = rng.permutation(len(p_vec))[:args.recall_probes]
    probes, probe_names = np.ascontiguousarray(p_vec[pick]), p_names[pick]

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        path = Path(tmp) / "bench.db"
        if args.enroll:
            res["enroll_s"] = enroll(path, matrix, names, model)
            res["db_gb"] = path.stat().st_size / 1024 ** 3
            del matrix, names
            gc.collect()
            t = time.perf_counter()
            store = SqliteStore(path)
            names, labels, matrix = store.load()
            store.close()
            res["load_s"] = time.perf_counter() - t
        else:
            labels = np.arange(n)
    res["matrix_gb"] = matrix.nbytes / 1024 ** 3
    exact = Searcher(names, labels, matrix, "max", "exact")
    singles = max(20, args.rounds if n <= 2_000_000 else args.rounds // 3)
    res["exact_1"] = _lat(lambda q: exact.search(q, TOP), probes, 1, singles)
    res["exact_64"] = _lat(lambda q: exact.search(q, TOP), probes, BATCH, max(5, singles // 10))
    truth = [h[0][0] for h in exact.search(probes, 1)]
    res["rank1_exact"] = float(np.mean(np.array(truth) == probe_names))

    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(matrix)
    res["faiss_add_s"] = time.perf_counter() - t
    res["faiss_1"] = _lat(lambda q: flat.search(q, TOP), probes, 1, singles)
    res["faiss_64"] = _lat(lambda q: flat.search(q, TOP), probes, BATCH, max(5, singles // 10))
    _, fi = flat.search(probes, 1)
    res["faiss_agrees"] = float(np.mean([names[i] == t for i, t in zip(fi[:, 0], truth)]))
    flat = None  # free its copy of the matrix before the approximate indexes
    gc.collect()

    from ..gallery.pq_index import PqIndex

    t = time.perf_counter()
    pq = Searcher(names, labels, matrix, "max", "exact")  # then given the index, with our parameters
    pq.approx = PqIndex(matrix, refine=args.pq_refine)
    res["pq_build_s"] = time.perf_counter() - t
    res["pq_gb"] = pq.approx.memory_bytes / 1024 ** 3
    res["pq_1"] = _lat(lambda q: pq.search(q, TOP), probes, 1, singles)
    res["pq_64"] = _lat(lambda q: pq.search(q, TOP), probes, BATCH, max(5, singles // 10))
    res["pq_recall1"] = float(np.mean(np.array([h[0][0] for h in pq.search(probes, 1)]) == np.array(truth)))
    rand = random_units(200, rng)
    rand_truth = np.array([h[0][0] for h in exact.search(rand, 1)])
    res["pq_recall1_random"] = float(np.mean(np.array([h[0][0] for h in pq.search(rand, 1)]) == rand_truth))
    del pq
    gc.collect()

    if n <= args.hnsw_max:
        t = time.perf_counter()
        hnsw = Searcher(names, labels, matrix, "max", "exact")  # then given the index, with our parameters
        hnsw.approx = HnswIndex(matrix, connectivity=args.connectivity, expansion_add=args.ef_construction,
                                expansion_search=args.ef_search)
        res["hnsw_build_s"] = time.perf_counter() - t
        res["hnsw_gb"] = hnsw.approx.memory_bytes / 1024 ** 3
        res["hnsw_1"] = _lat(lambda q: hnsw.search(q, TOP), probes, 1, singles)
        res["hnsw_64"] = _lat(lambda q: hnsw.search(q, TOP), probes, BATCH, max(5, singles // 10))
        approx = [h[0][0] for h in hnsw.search(probes, 1)]
        res["recall1"] = float(np.mean(np.array(approx) == np.array(truth)))
        res["recall1_random"] = float(np.mean(np.array([h[0][0] for h in hnsw.search(rand, 1)]) == rand_truth))
        del hnsw
    res["peak_rss_gb"] = _peak_rss_gb()
    return res


def _fmt(res: dict, args: argparse.Namespace) -> list[str]:
    def ms(key: str) -> str:
        return f"{res[key][0]:.2f} / {res[key][1]:.2f}" if key in res else "-"

    def val(key: str, f: str) -> str:
        return format(res[key], f) if key in res else "-"

    n = res["n"]
    return [
        f"| {n:,} | enroll (SQLite, bulk) | {val('enroll_s', '.1f')} s ({n / res['enroll_s']:,.0f} templates/s), "
        f"file {val('db_gb', '.2f')} GB; load into memory {val('load_s', '.1f')} s |" if "enroll_s" in res
        else f"| {n:,} | enroll | skipped |",
        f"| {n:,} | exact (faceprint, BLAS) | 1 probe p50/p99 {ms('exact_1')} ms; batch of {BATCH} {ms('exact_64')} ms;"
        f" matrix {res['matrix_gb']:.2f} GB |",
        f"| {n:,} | faiss IndexFlatIP | 1 probe p50/p99 {ms('faiss_1')} ms; batch of {BATCH} {ms('faiss_64')} ms; "
        f"add {val('faiss_add_s', '.1f')} s; same top-1 as ours {val('faiss_agrees', '.4f')} |",
        f"| {n:,} | exact / faiss (p50) | 1 probe {res['exact_1'][0] / res['faiss_1'][0]:.2f}x; batch "
        f"{res['exact_64'][0] / res['faiss_64'][0]:.2f}x |",
        f"| {n:,} | PQ scan + exact re-score (faiss fast scan, {args.pq_refine} x 10 candidates) | "
        f"1 probe p50/p99 {ms('pq_1')} ms; batch of {BATCH} {ms('pq_64')} ms; build {val('pq_build_s', '.0f')} s; "
        f"codes {val('pq_gb', '.3f')} GB; recall@1 vs exact: mated probes {val('pq_recall1', '.4f')}, "
        f"random probes {val('pq_recall1_random', '.3f')} |",
        (f"| {n:,} | HNSW (usearch M={args.connectivity}, ef {args.ef_construction}/{args.ef_search}) | "
         f"1 probe p50/p99 {ms('hnsw_1')} ms; batch of {BATCH} {ms('hnsw_64')} ms; "
         f"build {val('hnsw_build_s', '.0f')} s; graph+vectors {val('hnsw_gb', '.2f')} GB; recall@1 vs exact: "
         f"mated probes {val('recall1', '.4f')}, random probes {val('recall1_random', '.3f')} |")
        if "hnsw_1" in res else f"| {n:,} | HNSW | not built (over --hnsw-max) |",
        f"| {n:,} | identification | rank-1 of the mated LFW probes among {n:,} templates (exact): "
        f"{res['rank1_exact']:.4f}; peak RSS {res['peak_rss_gb']:.1f} GB |",
    ]


def run(args: argparse.Namespace) -> int:
    data = Path(args.data)
    if not (data / "lfw_deepfunneled" / "ident_min20.csv").is_file():
        print(f"no LFW data under {data} (set --data or FACEPRINT_DATA)")
        return 2
    try:
        import faiss  # noqa: F401
    except ImportError:
        print("the reference needs faiss: pip install 'faceprint[bench]'")
        return 2
    real = real_templates(data)
    rng = np.random.default_rng(args.seed)
    print(f"gallery benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}; top-{TOP}; {len(real[2])} mated LFW probes available, "
          f"{args.recall_probes} used; model {real[4]}")
    print("| templates | what | result |\n|---|---|---|")
    for n in args.sizes:
        res = bench_size(n, real, args, rng)
        for line in _fmt(res, args):
            print(line, flush=True)
        gc.collect()
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..calibrate import default_data_dir

    p.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--rounds", type=int, default=200, help="single-probe searches timed per method")
    p.add_argument("--recall-probes", type=int, default=1000, help="mated probes used for recall and timing")
    p.add_argument("--hnsw-max", type=int, default=2_000_000, help="largest size to build HNSW for (0: never)")
    p.add_argument("--pq-refine", type=int, default=50, help="PQ candidates re-scored exactly, per result")
    p.add_argument("--connectivity", type=int, default=32, help="HNSW M (links per node)")
    p.add_argument("--ef-construction", type=int, default=64)
    p.add_argument("--ef-search", type=int, default=256)
    p.add_argument("--no-enroll", dest="enroll", action="store_false", help="skip the SQLite enroll/load step")
    p.add_argument("--tmp", default=None, help="folder for the temporary gallery file")
    p.add_argument("--seed", type=int, default=0)
