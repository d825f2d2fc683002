"""`faceprint eval verification`: 1:1 metrics of each pipeline on a pairs CSV.

Per model: k-fold accuracy when the CSV has a fold column (LFW protocol: threshold fitted
on the other folds), ROC/DET, AUC, EER, TAR at FAR 1e-1..1e-4 (those the impostor count
supports), FNMR and FMR at the pipeline's calibrated thresholds, with percentile
bootstrap intervals over pairs. A pair with an image where no face was found scores -inf:
"different", so an error when genuine; the counts are reported, nothing is dropped.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import InputError
from . import verification as V
from .embedding import embed_images, model_info, pair_scores
from .inputs import Pairs, images_digest
from .report import Report, fmt, pct

FARS = (1e-1, 1e-2, 1e-3, 1e-4)
QUALITY_REASON = ("no quality scores given (verification --quality CSV with path,quality per image, e.g. from the "
                  "quality analyzer): Error-versus-Discard curves are not evaluated")
CURVE_POINTS = np.logspace(-6, 0, 241)  # FMR grid the stored ROC is sampled at


def _ci(fn: Callable[..., float], *arrays: np.ndarray, n_boot: int, seed: int) -> list[float] | None:
    """Bootstrap interval, or None when a resample cannot be scored (too few pairs of a class)."""
    if n_boot <= 0:
        return None
    try:
        return list(V.bootstrap_ci(fn, *arrays, n=n_boot, seed=seed))
    except InputError:
        return None


def sampled_roc(fmr: np.ndarray, tmr: np.ndarray, thr: np.ndarray) -> dict[str, list[float]]:
    """The ROC at the last point with FMR <= each grid value (plus the end points), for report.json."""
    idx = np.unique(np.r_[0, np.searchsorted(fmr, CURVE_POINTS, side="right") - 1, fmr.size - 1])
    idx = idx[idx >= 0]
    return {"fmr": fmr[idx].tolist(), "tmr": tmr[idx].tolist(), "threshold": thr[idx].tolist()}


def evaluate_model(scores: np.ndarray, same: np.ndarray, fold: np.ndarray | None, *, fars: Sequence[float] = FARS,
                   calibrated: dict[str, float] | None = None, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Every verification number for one model's pair scores (-inf = failed pair)."""
    gen, imp = scores[same], scores[~same]
    out: dict[str, Any] = {"n_pairs": int(scores.size), "n_genuine": int(gen.size), "n_impostor": int(imp.size),
                           "failed_pairs": int(np.isinf(scores).sum()),
                           "failed_genuine_pairs": int(np.isinf(gen).sum())}
    if fold is not None:
        out["kfold_accuracy"] = {"folds": int(np.unique(fold).size), **V.kfold_accuracy(scores, same, fold)}
    out["auc"] = {"value": V.auc(scores, same), "ci95": _ci(V.auc, scores, same, n_boot=n_boot, seed=seed)}
    e, t = V.eer(scores, same)
    out["eer"] = {"value": e, "threshold": t,
                  "ci95": _ci(lambda s, y: V.eer(s, y)[0], scores, same, n_boot=n_boot, seed=seed)}
    supported = V.supported_fmrs(imp.size, fars)
    out["tar_at_far"] = []
    for far in supported:
        r = V.tar_at_far(scores, same, far)
        r["ci95"] = _ci(lambda s, y, f=far: V.tar_at_far(s, y, f)["tar"], scores, same, n_boot=n_boot, seed=seed)
        out["tar_at_far"].append({"far": far, **r})
    out["omitted_fars"] = [{"far": f, "needs_impostors": V.min_impostors(f), "have": int(imp.size)}
                           for f in fars if f not in supported]
    out["calibrated"] = None
    if calibrated:
        out["calibrated"] = []
        for rate, t in sorted(calibrated.items(), key=lambda kv: -float(kv[0])):
            out["calibrated"].append({
                "fmr_target": float(rate), "threshold": t,
                "fnmr": V.fnmr_at_threshold(gen, t), "fmr": V.fmr_at_threshold(imp, t),
                "false_non_matches": int(np.sum(gen < t)), "false_matches": int(np.sum(imp >= t)),
                "fnmr_ci95": _ci(lambda g, t=t: V.fnmr_at_threshold(g, t), gen, n_boot=n_boot, seed=seed),
                "fmr_ci95": _ci(lambda i, t=t: V.fmr_at_threshold(i, t), imp, n_boot=n_boot, seed=seed),
                "fmr_supported": imp.size >= V.min_impostors(float(rate)),
            })
    fmr, tmr, thr = V.roc(scores, same)
    out["roc"] = sampled_roc(fmr, tmr, thr)
    return out


def run(pairs: Pairs, cards: Sequence, report: Report, out_dir: Path, *, workers: int | None = None,
        n_boot: int = 1000, seed: int = 0, fars: Sequence[float] = FARS, quality: tuple | None = None,
        progress: bool = True, face_rule: str = "largest") -> Report:
    """Evaluate `cards` on `pairs` into `report`; `quality` = (read_quality result) adds EDC curves."""
    from ..thresholds import calibration_for, calibration_source
    from . import plots

    images = pairs.images
    index = {p: i for i, p in enumerate(images)}
    ia = np.array([index[p] for p in pairs.path_a])
    ib = np.array([index[p] for p in pairs.path_b])
    report.inputs = {"pairs": pairs.source.to_dict(), "images": {"path": str(pairs.root),
                                                                **images_digest(images, pairs.root)}}
    pq = None
    if quality is not None:
        from .edc import pair_quality
        pq = pair_quality(quality[0], pairs.path_a, pairs.path_b, f"quality file {quality[1].path}")
        report.inputs["quality"] = quality[1].to_dict()
    vectors = embed_images(images, pairs.root, cards, workers=workers, progress=progress, face_rule=face_rule)
    all_scores, rocs, hists, lines = {}, {}, {}, {}
    for card in cards:
        mv = vectors[card.name]
        report.models.append(model_info(card, mv.weights))
        calib = calibration_for(card.name)
        thresholds = {k: float(v) for k, v in (calib or {}).get("thresholds", {}).items()}
        s = pair_scores(mv.vectors, ia, ib)
        res = evaluate_model(s, pairs.same, pairs.fold, fars=fars, calibrated=thresholds, n_boot=n_boot, seed=seed)
        res["images_without_face"] = int(mv.missed.sum())
        res["images"] = len(images)
        report.results[card.name] = res
        all_scores[card.name] = s
        fmr, tmr, _ = V.roc(s, pairs.same)
        rocs[card.name] = (fmr, tmr)
        hists[card.name] = (s[pairs.same], s[~pairs.same])
        lines[card.name] = {f"FMR {k}": v for k, v in thresholds.items()}
        if not calib:
            report.omit(f"{card.name}: no calibrated thresholds (models/calibration.json has none for it), so "
                        "FNMR at calibrated thresholds is not evaluated" + (" and its fusion weights are all 1"
                                                                             if len(card.embedders) > 1 else ""))
    _write_scores(out_dir / "scores.csv", pairs, all_scores)
    _text(report, pairs, n_boot, fars)
    name = Path(pairs.source.path).name
    report.h2("Plots")
    report.figure(plots.roc(rocs, out_dir / "roc.png", f"ROC: {name}"), "ROC (log FMR axis), one line per model")
    report.figure(plots.det(rocs, out_dir / "det.png", f"DET: {name}"), "DET (normal-deviate axes)")
    report.figure(plots.histograms(hists, out_dir / "scores.png", f"Scores: {name}", lines),
                  "Genuine vs impostor similarity; dashed: calibrated thresholds; pairs with no face left out")
    report.plots.append("scores.csv")
    report.fairness = {"evaluated": False, "reason": "no group columns: fairness not evaluated (a pairs CSV has no "
                                                     "group columns; give a labels CSV with groups to identification "
                                                     "or clustering)"}
    report.quality = {"evaluated": False, "reason": QUALITY_REASON}
    if pq is not None:
        _quality(report, pairs, all_scores, pq, out_dir)
    report.caveats += [
        "Bootstrap intervals resample pairs as if independent; pairs share images and people, so the intervals "
        "are somewhat too narrow.",
        "A pair with an image where the detector found no face counts as 'different' (an error when genuine).",
    ]
    if any(calibration_for(c.name) for c in cards):
        report.caveats.append(
            "Calibrated thresholds (and the fused pipeline's weights) were measured on: "
            f"{calibration_source().get('data', 'unknown data')}. When these pairs come from LFW (e.g. View 2), "
            "their images and people overlap that calibration data, so FNMR/FMR at the calibrated thresholds are "
            "not an independent measurement.")
    return report


def _write_scores(path: Path, pairs: Pairs, scores: dict[str, np.ndarray]) -> None:
    """Per-pair scores of every model (-inf = no face in an image), so any number can be recomputed."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path_a", "path_b", "same", "fold", *scores])
        for i in range(pairs.same.size):
            w.writerow([pairs.path_a[i], pairs.path_b[i], int(pairs.same[i]),
                        "" if pairs.fold is None else int(pairs.fold[i]),
                        *(repr(float(s[i])) for s in scores.values())])


def _text(report: Report, pairs: Pairs, n_boot: int, fars: Sequence[float]) -> None:
    res = report.results
    n_gen, n_imp = int(pairs.same.sum()), int((~pairs.same).sum())
    report.h2("Verification")
    report.p(f"{pairs.same.size:,} pairs ({n_gen:,} genuine, {n_imp:,} impostor) over {len(pairs.images):,} images. "
             + (f"Intervals: 95 % percentile bootstrap over pairs ({n_boot} resamples)." if n_boot > 0
                else "No bootstrap intervals (--bootstrap 0)."))
    k = pairs.fold is not None
    headers = ["model", "images without face", "failed pairs", *(["k-fold accuracy (± std)"] if k else []),
               "AUC", "EER", *[f"TAR@FAR={f:g}" for f in fars]]
    rows = []
    for name, r in res.items():
        tars = {t["far"]: t for t in r["tar_at_far"]}
        acc = r.get("kfold_accuracy")
        rows.append([name, r["images_without_face"], f"{r['failed_pairs']} ({r['failed_genuine_pairs']} genuine)",
                     *([f"{100 * acc['mean']:.2f} % ± {100 * acc['std']:.2f}"] if k else []),
                     f"{fmt(r['auc']['value'], 5)}" + (f" [{fmt(r['auc']['ci95'][0], 5)}, {fmt(r['auc']['ci95'][1], 5)}]"
                                                       if r["auc"]["ci95"] else ""),
                     pct(r["eer"]["value"], r["eer"]["ci95"]),
                     *[pct(tars[f]["tar"], tars[f]["ci95"]) if f in tars else "n/a" for f in fars]])
    report.headline_table(headers, rows)
    if not k:
        report.omit("k-fold accuracy: the pairs CSV has no fold column")
    omitted = {o["far"]: o for r in res.values() for o in r["omitted_fars"]}
    for f, o in sorted(omitted.items()):
        report.omit(f"TAR at FAR {f:g}: needs at least {o['needs_impostors']:,} impostor pairs, the CSV has "
                    f"{o['have']:,} (n/a in the table)")
    cal_rows = []
    for name, r in res.items():
        for c in r["calibrated"] or []:
            cal_rows.append([name, f"{c['fmr_target']:g}", fmt(c["threshold"]),
                             pct(c["fnmr"], c["fnmr_ci95"]) + f" ({c['false_non_matches']}/{r['n_genuine']})",
                             pct(c["fmr"], c["fmr_ci95"], 3) + f" ({c['false_matches']}/{r['n_impostor']})"
                             + ("" if c["fmr_supported"] else " (too few impostors to check this FMR)")])
    if cal_rows:
        report.h2("At the calibrated thresholds")
        report.table(["model", "calibrated for FMR", "threshold", "FNMR here", "FMR here"], cal_rows)
    if k:
        report.h2("Per-fold accuracy")
        folds = max(r["kfold_accuracy"]["folds"] for r in res.values())
        report.table(["model", *[f"fold {i + 1}" for i in range(folds)], "mean", "stderr"],
                     [[n, *[f"{100 * a:.2f}" for a in r["kfold_accuracy"]["per_fold"]],
                       f"{100 * r['kfold_accuracy']['mean']:.2f}", f"{100 * r['kfold_accuracy']['stderr']:.2f}"]
                      for n, r in res.items()])
    for name, r in res.items():
        acc = r.get("kfold_accuracy")
        line = f"{name}: AUC {fmt(r['auc']['value'], 5)}, EER {pct(r['eer']['value'], r['eer']['ci95'])}"
        if acc:
            line += f", {acc['folds']}-fold accuracy {100 * acc['mean']:.2f} % ± {100 * acc['std']:.2f} (std)"
        line += "".join(f", TAR@FAR {t['far']:g} {pct(t['tar'], t['ci95'])}" for t in r["tar_at_far"])
        report.card_metrics.append(line + f" on {Path(pairs.source.path).name}")


def _quality(report: Report, pairs: Pairs, scores: dict[str, np.ndarray], pq: np.ndarray, out_dir: Path) -> None:
    from . import plots
    from .edc import edc, edc_fmr

    fmr = edc_fmr(int((~pairs.same).sum()))
    if fmr is None:
        report.quality = {"evaluated": False, "reason": "quality given, but too few impostor pairs to fix an "
                                                        "EDC threshold (needs >= 10 for FMR 0.1)"}
        return
    curves, per_model = {}, {}
    for name, s in scores.items():
        e = edc(s, pairs.same, pq, fmr=fmr)
        per_model[name] = e
        curves[name] = (e["discard"], e["fnmr"])
    first = next(iter(per_model.values()))
    curves["random discard (mean), " + next(iter(per_model))] = (first["discard"], first["fnmr_random_mean"])
    fig = plots.edc(curves, out_dir / "edc.png", f"Error versus Discard (threshold at FMR {fmr:g})")
    summary = "; ".join(f"{n}: FNMR {pct(e['fnmr'][0])} -> {pct(e['fnmr'][20])} after discarding 20 % of pairs "
                        f"(random discard: {pct(e['fnmr_random_mean'][20])}), "
                        f"area to 0.2 = {e['area']:.4f}" for n, e in per_model.items())
    report.quality = {"evaluated": True, "fmr": fmr, "models": per_model,
                      "reason": f"Error-versus-Discard with pair quality = min of the two images' quality, "
                                f"threshold fixed at FMR {fmr:g} on all impostor pairs: {summary}."}
    report.figure(fig, "Error versus Discard: FNMR of the genuine pairs kept as the lowest-quality pairs are dropped")
