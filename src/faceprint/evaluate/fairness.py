"""Per-group error rates at global thresholds: "is this threshold fair?".

Following NIST FRVT Part 3 (demographics): thresholds are fixed once for everybody from
the overall impostor distribution (FMR 1e-2, 1e-3, 1e-4, as many as the impostor count
supports), then each group's FMR and FNMR are measured at those thresholds, and the
spread is summarised as max/min across groups. Per group, genuine pairs are pairs of
images of one person both in the group, and impostor pairs are same-group pairs of
different people (cross-group impostors are easier, so they would flatter every group);
all pairs count for the global thresholds. An image without a face scores -inf: its
genuine pairs are false non-matches, its impostor pairs correct rejections.

The verdict rule is stated with every table: fair at a threshold when both max/min
ratios are <= `max_ratio`; "cannot tell" when fewer than two groups have enough pairs
(a group's FMR needs >= ceil(1/FMR) impostor pairs, its FNMR >= 1 genuine pair).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .verification import min_impostors, supported_fmrs, threshold_at_fmr

DEFAULT_MAX_RATIO = 1.5
FEW_ERRORS = 10  # below this many errors in a group, its rate (and any ratio) is mostly noise
MAX_IMAGES = 20_000  # all pairs of 20k images = 200M scores: beyond that, sample first
NO_GROUPS = "no group columns: fairness not evaluated"
RULE = ("thresholds fixed on all impostor pairs; per group: genuine = same person, both images in the group; "
        "impostor = different people, both in the group; fair when FMR and FNMR max/min across groups are both "
        "<= {r:g}; a group's FMR counts only with >= ceil(1/FMR) impostor pairs")


@dataclass(frozen=True)
class GroupPairs:
    """All unordered pairs of a labelled image set, split by class, with each pair's group."""

    genuine: np.ndarray  # float64 scores
    genuine_group: np.ndarray  # group index, -1 when the two images are in different groups
    impostor: np.ndarray
    impostor_group: np.ndarray
    names: list[str]  # group index -> group value


def all_pairs(vectors: np.ndarray, identities: Sequence[str], groups: Sequence[str], block: int | None = None
              ) -> GroupPairs:
    """Cosine scores of every pair of rows (NaN rows score -inf), labelled by class and group."""
    v = np.asarray(vectors, np.float32)
    n = v.shape[0]
    if n > MAX_IMAGES:
        raise InputError(f"fairness over all pairs of {n} images is too large (limit {MAX_IMAGES}); "
                         f"use a smaller labels file")
    ids = np.unique(np.asarray(identities), return_inverse=True)[1]
    names, gi = np.unique(np.asarray(groups), return_inverse=True)
    block = block or max(1, (1 << 22) // max(n, 1))  # ~4M cells per block bounds the index arrays
    bad = np.isnan(v[:, 0])
    v = np.where(bad[:, None], 0.0, v)
    gen, gen_g, imp, imp_g = [], [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        s = (v[start:stop] @ v[start:].T).astype(np.float64)
        s[bad[start:stop], :] = -np.inf
        s[:, bad[start:]] = -np.inf
        r, c = np.triu_indices(stop - start, 1, s.shape[1])  # pairs (i, j) with j > i only
        ri, ci = r + start, c + start
        same_id = ids[ri] == ids[ci]
        code = np.where(gi[ri] == gi[ci], gi[ri], -1)
        sc = s[r, c]
        gen.append(sc[same_id]), gen_g.append(code[same_id])
        imp.append(sc[~same_id].astype(np.float32)), imp_g.append(code[~same_id].astype(np.int32))
    return GroupPairs(np.concatenate(gen), np.concatenate(gen_g), np.concatenate(imp).astype(np.float64),
                      np.concatenate(imp_g), [str(x) for x in names])


def _ratio(values: list[float]) -> float | None:
    """max/min; 1.0 when all are 0 (equal), None (infinite) when only the minimum is 0."""
    hi, lo = max(values), min(values)
    if hi == 0:
        return 1.0
    return None if lo == 0 else hi / lo


def group_rates(pairs: GroupPairs, thresholds: Mapping[str, tuple[float, float | None]],
                max_ratio: float = DEFAULT_MAX_RATIO) -> list[dict[str, Any]]:
    """Per threshold: each group's FMR/FNMR (with counts), max/min ratios and the verdict.

    `thresholds` maps a label to (threshold, the FMR it was fixed for or None); a group's
    FMR is only compared when it has ceil(1/FMR) same-group impostor pairs.
    """
    out = []
    for label, (t, fmr) in thresholds.items():
        rows = []
        for k, name in enumerate(pairs.names):
            g, i = pairs.genuine[pairs.genuine_group == k], pairs.impostor[pairs.impostor_group == k]
            enough_imp = i.size > 0 and (fmr is None or i.size >= min_impostors(fmr))
            rows.append({
                "group": name, "n_genuine": int(g.size), "n_impostor": int(i.size),
                "false_non_matches": int(np.sum(g < t)), "false_matches": int(np.sum(i >= t)),
                "fnmr": float(np.mean(g < t)) if g.size else None,
                "fmr": float(np.mean(i >= t)) if i.size else None,
                "fmr_measurable": bool(enough_imp), "fnmr_measurable": bool(g.size > 0),
            })
        fmrs = [r["fmr"] for r in rows if r["fmr_measurable"]]
        fnmrs = [r["fnmr"] for r in rows if r["fnmr_measurable"]]
        fmr_ratio = _ratio(fmrs) if len(fmrs) >= 2 else None
        fnmr_ratio = _ratio(fnmrs) if len(fnmrs) >= 2 else None
        if len(fmrs) < 2 or len(fnmrs) < 2:
            verdict = "cannot tell"
            why = f"{len(fmrs)} group(s) with enough impostor pairs, {len(fnmrs)} with genuine pairs; need 2 of each"
        else:
            ok = [r is not None and r <= max_ratio for r in (fmr_ratio, fnmr_ratio)]
            verdict = "yes" if all(ok) else "no"
            why = (f"FMR max/min {_fmt_ratio(fmr_ratio)}, FNMR max/min {_fmt_ratio(fnmr_ratio)}; "
                   f"fair means both <= {max_ratio:g}")
            few = min(min(r["false_matches"] for r in rows if r["fmr_measurable"]),
                      min(r["false_non_matches"] for r in rows if r["fnmr_measurable"]))
            if few < FEW_ERRORS:
                why += f" (a group has only {few} error(s): the ratio is uncertain)"
        out.append({"threshold_label": label, "threshold": t, "fmr_target": fmr, "groups": rows,
                    "fmr_max_min_ratio": fmr_ratio, "fnmr_max_min_ratio": fnmr_ratio,
                    "fmr_ratio_infinite": fmr_ratio is None and len(fmrs) >= 2,
                    "fnmr_ratio_infinite": fnmr_ratio is None and len(fnmrs) >= 2,
                    "fair": verdict, "why": why})
    return out


def _fmt_ratio(r: float | None) -> str:
    return "inf (some group has none)" if r is None else f"{r:.2f}"


def fairness(vectors: np.ndarray, identities: Sequence[str], groups: Mapping[str, Sequence[str]],
             fmrs: Sequence[float] | None = None, extra_thresholds: Mapping[str, float] | None = None,
             max_ratio: float = DEFAULT_MAX_RATIO) -> dict[str, Any]:
    """The fairness section of a report for one model: one table per group column.

    Global thresholds come from all impostor pairs at each supported FMR (`fmrs`, default:
    the rates `calibration.json` has); `extra_thresholds`
    (e.g. the model's calibrated ones) are added by label. Without group columns the result
    says so ({"evaluated": False, "reason": NO_GROUPS}).
    """
    if not groups:
        return {"evaluated": False, "reason": NO_GROUPS}
    if fmrs is None:
        from ..thresholds import calibrated_rates

        fmrs = calibrated_rates()
    if max_ratio < 1 or math.isnan(max_ratio):
        raise InputError(f"max_ratio must be >= 1, got {max_ratio}")
    columns = {}
    for col, values in groups.items():
        pairs = all_pairs(vectors, identities, values)
        ok = supported_fmrs(pairs.impostor.size, fmrs)
        thresholds: dict[str, tuple[float, float | None]] = {
            f"overall FMR {f:g}": (threshold_at_fmr(pairs.impostor, f), f) for f in ok}
        for label, t in (extra_thresholds or {}).items():
            thresholds[label] = (float(t), None)
        columns[col] = {
            "groups": pairs.names,
            "n_genuine": int(pairs.genuine.size), "n_impostor": int(pairs.impostor.size),
            "n_cross_group_genuine": int(np.sum(pairs.genuine_group < 0)),
            "omitted_fmrs": [float(f) for f in fmrs if f not in ok],
            "tables": group_rates(pairs, thresholds, max_ratio),
        }
    return {"evaluated": True, "max_ratio": max_ratio, "rule": RULE.format(r=max_ratio), "columns": columns}


def fairness_section(vectors: Mapping[str, np.ndarray], identities: Sequence[str],
                     groups: Mapping[str, Sequence[str]], extra_thresholds: Mapping[str, Mapping[str, float]] | None = None,
                     fmrs: Sequence[float] | None = None, max_ratio: float = DEFAULT_MAX_RATIO) -> dict[str, Any]:
    """A report's fairness section over several models (model name -> vectors of the labelled images)."""
    if not groups:
        return {"evaluated": False, "reason": NO_GROUPS}
    return {"evaluated": True, "max_ratio": max_ratio, "rule": RULE.format(r=max_ratio),
            "models": {name: fairness(v, identities, groups, fmrs, (extra_thresholds or {}).get(name), max_ratio)
                       for name, v in vectors.items()}}
