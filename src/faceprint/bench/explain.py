"""Faithfulness and time of `faceprint explain` on genuine LFW View 2 pairs.

    python -m faceprint.bench explain [--model fast] [--pairs 100] [--randoms 3] [--json]

For each pair: the explanation (maps + region drops), then deletion curves (faithfulness.py):
squares of one face hidden in the map's order vs in random orders, the other face whole,
similarity after each eighth of the frame. Lower area under the curve (AUC) = similarity
falls faster = the map found what carries the match. Reported: mean AUCs with 95 %
bootstrap intervals over pairs, the paired difference (map - random) and how many pairs
it favours the map on; time per explanation against one plain verify of the same pair,
measured in the same process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from ..calibrate import default_data_dir

    p = sub.add_parser("explain", help="explain: deletion-curve faithfulness (map vs random order) on genuine "
                       "LFW pairs, and seconds per explanation vs one verify")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--model", default="fast", help="pipeline to explain (default fast)")
    p.add_argument("--pairs", type=int, default=100, help="genuine View 2 pairs, spread evenly over the list")
    p.add_argument("--randoms", type=int, default=3, help="random deletion orders per pair")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--against", metavar="MODEL", help="instead: sanity of the maps - rank correlation of "
                   "--model's maps with MODEL's on the same pairs, against --model's on a rescaled copy of B, "
                   "and each A explained against itself")
    p.add_argument("--json", action="store_true")
    return p


def genuine_pairs(lfw: Path, n: int) -> list[tuple[str, str]]:
    from .verification import read_pairs

    a, b, same, _ = read_pairs(lfw)
    idx = np.flatnonzero(same)
    pick = idx[np.unique(np.linspace(0, len(idx) - 1, min(n, len(idx))).round().astype(int))]
    return [(a[i], b[i]) for i in pick]


def measure(model: str, pairs: list[tuple[str, str]], randoms: int = 3, seed: int = 0,
            progress: bool = True) -> dict:
    from ..errors import FaceprintError
    from ..explainers.explanation import explain_pair, prepare
    from ..explainers.faithfulness import bootstrap_mean, deletion
    from ..pipeline import Analyzer
    from ..progress import progress as make_bar

    analyzer = Analyzer.from_name(model)
    analyzer.verify(*pairs[0], rule="central")  # warm-up: first-call costs are not the method's
    rows, skipped, curves_map, curves_rand, curves_xcos, auc_xcos = [], 0, [], [], [], []
    for k, (a, b) in enumerate(make_bar(pairs, desc=model, unit="pair", enabled=progress)):
        try:
            t0 = time.perf_counter()
            analyzer.verify(a, b, rule="central")
            t1 = time.perf_counter()
            pair = prepare(analyzer, a, b, face_rule="central")
            e = explain_pair(analyzer, pair, start=t1)
            t2 = time.perf_counter()
        except FaceprintError:
            skipped += 1
            continue
        d = deletion(analyzer, pair, e, randoms=randoms, seed=seed + k)
        rows.append((d.auc_map, d.auc_random, t1 - t0, t2 - t1, e.similarity))
        curves_map.append(d.by_map)
        curves_rand.append(d.by_random.mean(0))
        if d.by_xcos is not None:
            curves_xcos.append(d.by_xcos)
            auc_xcos.append(d.auc_xcos)
    auc_map, auc_rand, t_verify, t_explain, sims = (np.array(c) for c in zip(*rows))
    diff = auc_map - auc_rand
    xcos = {}
    if auc_xcos and len(auc_xcos) == len(rows):  # SFace pipelines: the xCos-style patch split's order too
        xcos = {"auc_xcos": bootstrap_mean(np.array(auc_xcos)),
                "auc_xcos_minus_map": bootstrap_mean(np.array(auc_xcos) - auc_map),
                "curve_xcos": np.mean(curves_xcos, 0).tolist()}
    return {**xcos, "model": analyzer.model_id, "pairs": len(rows), "skipped_no_face": skipped, "randoms": randoms,
            "auc_map": bootstrap_mean(auc_map), "auc_random": bootstrap_mean(auc_rand),
            "auc_difference": bootstrap_mean(diff), "faithful": bool(bootstrap_mean(diff)[2] < 0),
            "pairs_map_better": int((diff < 0).sum()),
            # Ratios of means (a per-pair ratio explodes when a pair's similarity is near 0):
            "auc_map_relative": float(auc_map.mean() / sims.mean()),
            "auc_random_relative": float(auc_rand.mean() / sims.mean()),
            "fractions": np.linspace(0, 1, len(curves_map[0])).tolist(),
            "curve_map": np.mean(curves_map, 0).tolist(), "curve_random": np.mean(curves_rand, 0).tolist(),
            "seconds_explain_median": float(np.median(t_explain)), "seconds_explain_mean": float(t_explain.mean()),
            "seconds_verify_median": float(np.median(t_verify)),
            "explain_vs_verify": float(np.median(t_explain) / np.median(t_verify)),
            "mean_similarity": float(sims.mean())}


def sanity(model: str, other: str, pairs: list[tuple[str, str]], progress: bool = True) -> dict:
    """Do the maps depend on the model? Spearman correlation of the inner 5x5 patches of the
    7x7 maps (both faces): `model` vs `other` on the same pair, and - the control - `model` on
    the pair vs `model` on (A, B rescaled to 80 %). And A against itself: max |likeness - 1|."""
    import cv2
    from scipy.stats import spearmanr

    from ..errors import FaceprintError
    from ..explainers.explanation import explain
    from ..image import load_image
    from ..pipeline import Analyzer
    from ..progress import progress as make_bar

    first, second = Analyzer.from_name(model), Analyzer.from_name(other)
    inner = lambda e: np.concatenate([m.patch_contribution[1:-1, 1:-1].ravel() for m in (e.a, e.b)])  # noqa: E731
    across, control, self_error = [], [], []
    for a, b in make_bar(pairs, desc=f"{model} vs {other}", unit="pair", enabled=progress):
        img_a, img_b = load_image(a), load_image(b)
        smaller = cv2.resize(img_b, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
        try:
            base = explain(first, img_a, img_b, face_rule="central")
            across.append(spearmanr(inner(base), inner(explain(second, img_a, img_b, face_rule="central")))[0])
            control.append(spearmanr(inner(base), inner(explain(first, img_a, smaller, face_rule="central")))[0])
            itself = explain(first, img_a, img_a, face_rule="central")
        except FaceprintError:
            continue
        like = np.concatenate([m.likeness[~np.isnan(m.likeness)] for m in (itself.a, itself.b)])
        self_error.append(float(np.abs(like - 1).max()))
    from ..explainers.faithfulness import bootstrap_mean

    return {"model": model, "other": other, "pairs": len(across), "rho_across_models": bootstrap_mean(across),
            "rho_same_model_rescaled": bootstrap_mean(control),
            "rho_difference": bootstrap_mean(np.array(control) - np.array(across)),
            "self_max_abs_likeness_minus_1": float(max(self_error))}


def run(args: argparse.Namespace) -> int:
    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "pairs.csv").is_file():
        print(f"no LFW data at {lfw} (set --data or FACEPRINT_DATA)")
        return 2
    if args.against:
        res = sanity(args.model, args.against, genuine_pairs(lfw, args.pairs))
        if args.json:
            print(json.dumps(res, allow_nan=False))
            return 0
        r = lambda t: f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"  # noqa: E731
        print(f"map sanity on {res['pairs']} genuine LFW pairs, Spearman rho of the inner 5x5 patches (both faces):")
        print(f"  {args.model} vs {args.against}, same pair: {r(res['rho_across_models'])}")
        print(f"  {args.model} vs {args.model}, B rescaled to 80 % (control): {r(res['rho_same_model_rescaled'])}")
        print(f"  control - across models: {r(res['rho_difference'])}")
        print(f"  each A against itself: max |likeness - 1| = {res['self_max_abs_likeness_minus_1']:.2g}")
        return 0
    res = measure(args.model, genuine_pairs(lfw, args.pairs), args.randoms, args.seed)
    if args.json:
        print(json.dumps(res, allow_nan=False))
        return 0

    def ci(t: tuple[float, float, float]) -> str:
        return f"{t[0]:.4f} [{t[1]:.4f}, {t[2]:.4f}]"

    print(f"{res['model']}: {res['pairs']} genuine LFW View 2 pairs ({res['skipped_no_face']} skipped: no face), "
          f"mean similarity {res['mean_similarity']:.3f}; {res['randoms']} random orders per pair")
    print(f"deletion AUC (lower = faster fall), mean [95 % bootstrap]:  map order {ci(res['auc_map'])}   "
          f"random order {ci(res['auc_random'])}")
    print(f"paired difference map - random {ci(res['auc_difference'])}; map lower on "
          f"{res['pairs_map_better']}/{res['pairs']} pairs")
    faithful = res["auc_difference"][2] < 0
    print("PASS: the map's order lowers similarity faster than random (whole interval below 0)" if faithful else
          "FAIL: the map is not shown to be faithful for this pipeline; do not present it as an explanation")
    print(f"AUC / mean similarity: map {res['auc_map_relative']:.3f}   random {res['auc_random_relative']:.3f}")
    print("hidden fraction  " + " ".join(f"{f:5.2f}" for f in res["fractions"]))
    print("map order        " + " ".join(f"{v:5.3f}" for v in res["curve_map"]))
    print("random order     " + " ".join(f"{v:5.3f}" for v in res["curve_random"]))
    if "auc_xcos" in res:
        print("xCos split order " + " ".join(f"{v:5.3f}" for v in res["curve_xcos"]))
        print(f"xCos-style SFace patch split as the order: AUC {ci(res['auc_xcos'])}; minus the occlusion map's "
              f"{ci(res['auc_xcos_minus_map'])}")
    print(f"time per explanation: median {res['seconds_explain_median']:.2f} s "
          f"(mean {res['seconds_explain_mean']:.2f}) = {res['explain_vs_verify']:.0f}x one verify "
          f"({1000 * res['seconds_verify_median']:.0f} ms) in this process")
    return 0
