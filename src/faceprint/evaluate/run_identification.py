"""`faceprint eval identification`: closed-set CMC and open-set FNIR at FPIR per pipeline.

Gallery and probes come from the labels' roles (a role column, --gallery-split or
--gallery-first). Non-mated probes are the probes whose identity has no gallery image,
plus every image of `--distractors` whose identity is not in the gallery.

Failures are errors, never dropped: a probe with no face scores -inf against every
gallery identity (a miss at every rank below the gallery size, never a false positive),
and a gallery image with no face becomes a -inf template, so an identity left with no
usable template stays "enrolled" but can never be found (its mated probes are misses).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from . import identification as I
from .embedding import embed_images, model_info
from .fairness import fairness_section
from .inputs import Labels, images_digest
from .report import Report, pct
from .run_verification import QUALITY_REASON
from .verification import bootstrap_ci

RANKS = (1, 5, 10)
FPIRS = (0.1, 0.01)
MAX_CURVE_RANK = 100


def similarity(probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Probe x gallery cosine similarity; -inf for any row or column without a face."""
    s = probes.astype(np.float64) @ gallery.astype(np.float64).T
    return np.where(np.isnan(s), -np.inf, s)


_TWO = np.array(["mate", "other"])


def two_column(s: np.ndarray, probe_ids: np.ndarray, gallery_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A (P, 2) matrix on which `open_set` gives exactly the numbers it gives on `s`.

    Open-set FNIR/FPIR only depend, per mated probe, on its true identity's score and the
    best other identity's score (rank 1 iff the other is lower, ties pessimistic), and per
    non-mated probe on its top score. Mated rows become [true, best other] labelled "mate",
    non-mated rows [top, top] labelled with a name absent from the two-identity gallery.
    """
    ids, inv = np.unique(gallery_ids, return_inverse=True)
    per_id = np.column_stack([s[:, inv == k].max(axis=1) for k in range(ids.size)])
    out = np.empty((s.shape[0], 2))
    pos = np.searchsorted(ids, probe_ids)
    mated = (pos < ids.size) & (ids[np.minimum(pos, ids.size - 1)] == probe_ids)
    rows = np.flatnonzero(mated)
    true = per_id[rows, pos[rows]]
    others = per_id[rows].copy()
    others[np.arange(rows.size), pos[rows]] = -np.inf
    out[rows, 0], out[rows, 1] = true, others.max(axis=1) if ids.size > 1 else -np.inf
    top = per_id[~mated].max(axis=1)
    out[~mated, 0] = out[~mated, 1] = top
    labels = np.where(mated, "mate", "\x00non-mated")
    return out, labels


def evaluate_model(s: np.ndarray, probe_ids: np.ndarray, gallery_ids: np.ndarray, *, n_boot: int = 1000,
                   seed: int = 0, fpirs: Sequence[float] = FPIRS) -> dict[str, Any]:
    """CMC (ranks 1/5/10 and a curve), open-set FNIR at each FPIR, bootstrap intervals over probes."""
    k = np.unique(gallery_ids).size
    mated = np.isin(probe_ids, gallery_ids)
    # Ranks >= K are excluded: at rank K every probe "finds" its identity, even one with no face.
    curve_ranks = [r for r in range(1, min(k - 1, MAX_CURVE_RANK) + 1)] or [1]
    ranks = [r for r in RANKS if r < k]
    out: dict[str, Any] = {"gallery_identities": int(k), "gallery_templates": int(gallery_ids.size),
                           "mated_probes": int(mated.sum()), "non_mated_probes": int((~mated).sum())}
    c = I.cmc(s[mated], probe_ids[mated], gallery_ids, curve_ranks)
    out["cmc"] = {"rates": {r: c["rates"][r] for r in ranks},
                  "curve": {"rank": curve_ranks, "rate": [c["rates"][r] for r in curve_ranks]},
                  "omitted_ranks": [r for r in RANKS if r >= k]}
    # One probe's rank-1 hit does not depend on other probes: bootstrap the hit indicator.
    hits = np.zeros(int(mated.sum()))
    hits[: round(c["rates"][1] * hits.size)] = 1.0
    out["cmc"]["rank1_ci95"] = list(bootstrap_ci(np.mean, hits, n=n_boot, seed=seed)) if n_boot else None
    if (~mated).any():
        o = I.open_set(s, probe_ids, gallery_ids, fpirs)
        small, small_ids = two_column(s, probe_ids, gallery_ids)  # same open-set numbers, far cheaper to resample
        for point in o["points"]:
            f = point["fpir"]

            def fnir(idx: np.ndarray, f: float = f) -> float:
                pts = I.open_set(small[idx], small_ids[idx], _TWO, (f,))["points"]
                if not pts:
                    raise InputError("resample has too few non-mated probes")
                return pts[0]["fnir"]

            try:
                point["fnir_ci95"] = list(bootstrap_ci(fnir, np.arange(s.shape[0]), n=n_boot, seed=seed)) \
                    if n_boot else None
            except InputError:
                point["fnir_ci95"] = None
        out["open_set"] = o
    else:
        out["open_set"] = None
    return out


def run(labels: Labels, cards: Sequence, report: Report, out_dir: Path, *, distractors: Labels | None = None,
        split_info: dict | None = None, workers: int | None = None, n_boot: int = 1000, seed: int = 0,
        max_ratio: float | None = None, progress: bool = True, face_rule: str = "largest") -> Report:
    from ..thresholds import calibration_for
    from . import plots

    roles = labels.roles
    gallery = np.flatnonzero(roles == "gallery")
    probes = np.flatnonzero(roles == "probe")
    if gallery.size == 0 or probes.size == 0:
        raise InputError(f"identification needs gallery and probe images; got {gallery.size} gallery and "
                         f"{probes.size} probe images")
    gallery_set = set(labels.identities[gallery])
    paths = list(labels.paths)
    probe_ids = list(labels.identities[probes])
    probe_rows = list(probes)
    n_distractors = n_distractor_skipped = 0
    if distractors is not None:
        known = set(labels.paths)
        # Paths resolve against each file's own root; embed by absolute path.
        for p, ident in zip(distractors.paths, distractors.identities):
            full = str(distractors.root / p)
            if ident in gallery_set or p in known and distractors.root == labels.root:
                n_distractor_skipped += 1
                continue
            probe_rows.append(len(paths))
            paths.append(full)
            probe_ids.append(ident)
            n_distractors += 1
    probe_ids_a = np.array(probe_ids)
    probe_rows_a = np.array(probe_rows)
    report.inputs = {"labels": labels.source.to_dict(),
                     "images": {"path": str(labels.root), **images_digest(paths, labels.root)}}
    if distractors is not None:
        report.inputs["distractors"] = distractors.source.to_dict()
    if split_info:
        report.inputs.update({k: v for k, v in split_info.items() if isinstance(v, dict)})
        if "rule" in split_info:
            report.inputs["split_rule"] = {"path": split_info["rule"]}
    vectors = embed_images(paths, labels.root, cards, workers=workers, progress=progress, face_rule=face_rule)
    gallery_ids = labels.identities[gallery]
    curves = {}
    for card in cards:
        mv = vectors[card.name]
        report.models.append(model_info(card, mv.weights))
        s = similarity(mv.vectors[probe_rows_a], mv.vectors[gallery])
        res = evaluate_model(s, probe_ids_a, gallery_ids, n_boot=n_boot, seed=seed)
        res["gallery_images_without_face"] = int(mv.missed[gallery].sum())
        res["probe_images_without_face"] = int(mv.missed[probe_rows_a].sum())
        mated_rows = np.isin(probe_ids_a, gallery_ids)
        res["mated_probe_images_without_face"] = int(mv.missed[probe_rows_a[mated_rows]].sum())
        res["non_mated_probe_images_without_face"] = int(mv.missed[probe_rows_a[~mated_rows]].sum())
        found = {i for i, m in zip(gallery_ids, mv.missed[gallery]) if not m}
        res["gallery_identities_without_template"] = sorted(gallery_set - found)
        res["distractor_images"] = n_distractors
        res["distractor_images_skipped_identity_in_gallery_or_listed"] = n_distractor_skipped
        report.results[card.name] = res
        curves[card.name] = (res["cmc"]["curve"]["rank"], res["cmc"]["curve"]["rate"])
    _text(report, labels, n_boot)
    report.h2("Plots")
    report.figure(plots.cmc(curves, out_dir / "cmc.png", f"CMC: {Path(labels.source.path).name}"),
                  "Closed-set CMC (mated probes; a probe with no face is a miss)")
    lab_vectors = {c.name: vectors[c.name].vectors[: len(labels.paths)] for c in cards}
    extra = {c.name: {f"calibrated FMR {k}": float(v) for k, v in
                      (calibration_for(c.name) or {}).get("thresholds", {}).items()} for c in cards}
    report.fairness = fairness_section(lab_vectors, labels.identities, labels.groups, extra,
                                       max_ratio=max_ratio or 1.5)
    report.quality = {"evaluated": False, "reason": QUALITY_REASON}
    report.caveats += [
        "A probe with no detected face is a miss (closed set) and returns no candidate (open set); a gallery "
        "identity whose images have no face stays enrolled but can never be found.",
        "Identification numbers depend on gallery size: they do not transfer to larger galleries.",
        "Rank-1 intervals bootstrap the probes' hit indicator; FNIR intervals resample all probes (mated and "
        "non-mated) and refit the FPIR threshold each time.",
    ]
    if "lfw" in str(labels.root).lower():
        report.caveats.append("LFW lists some people under two names (e.g. Wang_Yingfan/Yingfan_Wang) and some "
                              "images carry the wrong name: a few 'non-mated' distractors may be gallery people.")
    return report


def _text(report: Report, labels: Labels, n_boot: int) -> None:
    res = report.results
    report.h2("Identification")
    any_r = next(iter(res.values()))
    report.p(f"Gallery: {any_r['gallery_templates']:,} images of {any_r['gallery_identities']:,} identities. "
             f"Probes: {any_r['mated_probes']:,} mated, {any_r['non_mated_probes']:,} non-mated "
             f"({any_r['distractor_images']:,} of them from --distractors). "
             + (f"Intervals: 95 % bootstrap ({n_boot} resamples)." if n_boot else ""))
    headers = ["model", "no-face images (gallery/mated/non-mated)", *[f"rank-{r}" for r in RANKS],
               *[f"FNIR@FPIR={f:g}" for f in FPIRS]]
    rows = []
    for name, r in res.items():
        pts = {p["fpir"]: p for p in (r["open_set"] or {}).get("points", [])}
        rows.append([name, f"{r['gallery_images_without_face']}/{r['mated_probe_images_without_face']}/"
                           f"{r['non_mated_probe_images_without_face']}",
                     *[(pct(r["cmc"]["rates"][k], r["cmc"]["rank1_ci95"] if k == 1 else None)
                        if k in r["cmc"]["rates"] else "n/a") for k in RANKS],
                     *[pct(pts[f]["fnir"], pts[f].get("fnir_ci95")) if f in pts else "n/a" for f in FPIRS]])
        line = f"{name}: rank-1 {pct(r['cmc']['rates'][1], r['cmc']['rank1_ci95'])}"
        line += "".join(f", FNIR@FPIR {f:g} {pct(p['fnir'], p.get('fnir_ci95'))}" for f, p in pts.items())
        report.card_metrics.append(line + f" on {Path(labels.source.path).name}")
        if r["gallery_identities_without_template"]:
            report.omit(f"{name}: {len(r['gallery_identities_without_template'])} gallery identities have no "
                        f"usable template (no face found): their probes count as misses")
    report.headline_table(headers, rows)
    if any_r["open_set"] is None:
        report.omit("open-set FNIR: no non-mated probes (give --distractors or probes of people not in the gallery)")
    else:
        for f in any_r["open_set"]["omitted"]:
            report.omit(f"FNIR at FPIR {f:g}: needs at least {int(np.ceil(1 / f))} non-mated probes, have "
                        f"{any_r['open_set']['n_non_mated']}")
    for k in any_r["cmc"]["omitted_ranks"]:
        report.omit(f"rank-{k}: the gallery has only {any_r['gallery_identities']} identities")
