"""Report figures as PNG files (matplotlib, drawn off-screen).

matplotlib is imported inside each function and figures are drawn on an explicit Agg
canvas, never through pyplot: no global backend switch, no state shared with a caller
who uses matplotlib interactively, nothing at import time of faceprint.
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Mapping, Sequence

import numpy as np

_DPI = 110


def _figure(width: float = 6.0, height: float = 4.5, ncols: int = 1, nrows: int = 1):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        from ..errors import InputError
        from ..extras import install_command
        raise InputError(f"plots need matplotlib: {install_command('eval')}") from e
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    return fig, axes


def _style(i: int) -> dict:
    """Colour and dash per line: ten colours, then the same colours dashed, dotted..."""
    return {"color": f"C{i % 10}", "ls": ("-", "--", ":", "-.")[(i // 10) % 4]}


def _legend(ax, n: int, loc: str) -> None:
    ax.legend(loc=loc, fontsize=8 if n <= 6 else 6, ncol=1 if n <= 8 else 2)


def _save(fig, out: Path) -> str:
    fig.savefig(out, format="png")
    return out.name


def measurable_fmr(fmr: np.ndarray) -> float:
    """The smallest FMR a curve can show: one impostor pair (1 / number of impostor pairs).

    Below it a curve has no points, only a line drawn to the axis edge, which would read
    as a measured rate.
    """
    positive = np.asarray(fmr, float)[np.asarray(fmr) > 0]
    return float(positive.min()) if positive.size else 1.0


def roc(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], out: Path, title: str) -> str:
    """TMR against FMR on a log FMR axis, one line per model, from the measurable FMR up."""
    fig, (ax,) = _figure()
    floor = min((measurable_fmr(f) for f, _ in curves.values()), default=1e-5)
    for i, (name, (fmr, tmr)) in enumerate(curves.items()):
        keep = fmr > 0
        ax.plot(fmr[keep], tmr[keep], label=name, lw=1.4, **_style(i))
    ax.set_xscale("log")
    ax.set_xlim(floor, 1.0)
    ax.text(0.01, 0.01, f"FMR below {floor:.1g} (one impostor pair) cannot be measured",
            transform=ax.transAxes, fontsize=7, color="0.35")
    ax.set_xlabel("false match rate (FMR)")
    ax.set_ylabel("true match rate (1 - FNMR)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    _legend(ax, len(curves), "lower right")
    return _save(fig, out)


def det(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], out: Path, title: str) -> str:
    """FNMR against FMR on normal-deviate axes (the DET plot of Martin et al. 1997)."""
    fig, (ax,) = _figure()
    probit = np.vectorize(NormalDist().inv_cdf, otypes=[float])
    lo, hi = 1e-5, 0.5
    # The FMR axis starts at the smallest measurable rate; a rate of 0 (FMR or FNMR) is not
    # drawn (it has no normal deviate, and a line to the edge would claim rates nobody measured).
    floor = max(lo, min((measurable_fmr(f) for f, _ in curves.values()), default=lo))
    for i, (name, (fmr, tmr)) in enumerate(curves.items()):
        keep = (fmr > 0) & (tmr < 1)
        ax.plot(probit(np.clip(fmr[keep], lo, hi)), probit(np.clip(1.0 - tmr[keep], lo, hi)), label=name, lw=1.4,
                **_style(i))
    ticks = [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]
    labels = ["0.01%", "0.1%", "1%", "5%", "20%", "50%"]
    for axis, start in ((ax.xaxis, floor), (ax.yaxis, lo)):
        shown = [(t, s) for t, s in zip(ticks, labels) if t >= start]
        axis.set_ticks(probit([t for t, _ in shown]))
        axis.set_ticklabels([s for _, s in shown])
    ax.set_xlim(probit(floor), probit(hi))
    ax.set_ylim(probit(lo), probit(hi))
    ax.set_xlabel("false match rate (FMR)")
    ax.set_ylabel("false non-match rate (FNMR)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _legend(ax, len(curves), "upper right")
    return _save(fig, out)


def histograms(scores: Mapping[str, tuple[np.ndarray, np.ndarray]], out: Path, title: str,
               thresholds: Mapping[str, Mapping[str, float]] | None = None) -> str:
    """Genuine vs impostor score histograms, one panel per model; -inf (no face) left out."""
    n = len(scores)
    ncols = min(n, 4)
    nrows = -(-n // ncols)
    fig, axes = _figure(width=4.0 * ncols, height=3.2 * nrows + 0.5, ncols=ncols, nrows=nrows)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax, (name, (gen, imp)) in zip(axes, scores.items()):
        g, i = gen[np.isfinite(gen)], imp[np.isfinite(imp)]
        both = np.r_[g, i]
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        bins = np.linspace(lo, hi if hi > lo else lo + 1e-3, 60)
        ax.hist(i, bins=bins, alpha=0.6, density=True, label=f"impostor ({i.size})", color="tab:red")
        ax.hist(g, bins=bins, alpha=0.6, density=True, label=f"genuine ({g.size})", color="tab:blue")
        # Calibrated thresholds sit close together: stagger their labels down the panel.
        top = ax.get_ylim()[1]
        for k, (label, t) in enumerate(sorted((thresholds or {}).get(name, {}).items(), key=lambda kv: kv[1])):
            ax.axvline(t, color="k", ls="--", lw=0.8)
            ax.text(t, top * (0.95 - 0.09 * k), f" {label}", fontsize=7, va="top",
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 0.5})
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("cosine similarity")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, out)


def cmc(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], out: Path, title: str) -> str:
    """Closed-set identification rate against rank."""
    fig, (ax,) = _figure()
    for i, (name, (ranks, rates)) in enumerate(curves.items()):
        ax.plot(ranks, rates, marker=".", label=name, lw=1.4, **_style(i))
    ax.set_xscale("log")
    ax.set_xlabel("rank")
    ax.set_ylabel("identification rate")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    _legend(ax, len(curves), "lower right")
    return _save(fig, out)


def tp_fp(curves: Mapping[str, tuple[np.ndarray, np.ndarray, int]], out: Path, title: str) -> str:
    """FDDB-style discrete ROC: true positive rate against the number of false positives."""
    fig, (ax,) = _figure()
    for i, (name, (fp, tp, n_gt)) in enumerate(curves.items()):
        ax.step(fp, tp / max(n_gt, 1), where="post", label=name, lw=1.4, **_style(i))
    ax.set_xlabel("false positives (count)")
    ax.set_ylabel("true positive rate")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _legend(ax, len(curves), "lower right")
    return _save(fig, out)


def edc(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], out: Path, title: str) -> str:
    """Error-versus-Discard: FNMR of the kept genuine pairs against the fraction discarded."""
    fig, (ax,) = _figure()
    for i, (name, (discard, fnmr)) in enumerate(curves.items()):
        ax.plot(discard, fnmr, label=name, lw=1.4, **_style(i))
    ax.set_xlabel("fraction of pairs discarded (lowest quality first)")
    ax.set_ylabel("FNMR at a fixed threshold")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _legend(ax, len(curves), "upper right")
    return _save(fig, out)
