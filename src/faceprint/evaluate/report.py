"""Writing an evaluation report: `report.json` (every number), `report.md` and `report.html`.

A protocol fills a `Report`: machine-readable results, plus human-readable blocks
(headings, paragraphs, tables, figures) rendered identically to Markdown and HTML, and
a model card section in the shape of Mitchell et al., "Model Cards for Model Reporting"
(FAT* 2019): model details, intended use, factors, metrics, evaluation data, training
data, quantitative analyses, ethical considerations, caveats and recommendations.

In report.json, NaN and infinities (undefined rates, a ratio with a zero minimum, a
threshold that rejects everything) are written as null; the text says which.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

SCHEMA = "faceprint.eval.report/1"

Block = tuple  # ("h2", text) | ("p", text) | ("list", [text]) | ("table", headers, rows) | ("img", file, caption)


def jsonable(x: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays unwrapped, non-finite floats as None."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table: fixed digits, 'inf'/'-inf', '—' for None."""
    if x is None:
        return "—"
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.{digits}f}"
    return str(x)


def pct(x: float | None, ci: Sequence[float] | None = None, digits: int = 2) -> str:
    """A rate as a percentage, with its interval when given: '99.10 % [98.8, 99.4]'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    text = f"{100 * x:.{digits}f} %"
    if ci is not None and None not in ci:
        text += f" [{100 * ci[0]:.{digits}f}, {100 * ci[1]:.{digits}f}]"
    return text


@dataclass
class Report:
    protocol: str
    title: str
    command: str
    inputs: dict[str, Any] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    fairness: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    omissions: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    card_metrics: list[str] = field(default_factory=list)  # metric lines (with intervals) for the model card
    headline: tuple[list[str], list[list[str]]] = ([], [])  # the table the CLI prints
    intended_use: str = ""

    # -- building -------------------------------------------------------------------------
    def h2(self, text: str) -> None:
        self.blocks.append(("h2", text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def items(self, items: Sequence[str]) -> None:
        self.blocks.append(("list", list(items)))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.blocks.append(("table", list(headers), [[str(c) for c in r] for r in rows]))

    def headline_table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """The protocol's main table: shown first in the report and printed by the CLI."""
        self.headline = (list(headers), [[str(c) for c in r] for r in rows])
        self.table(headers, rows)

    def figure(self, file: str, caption: str) -> None:
        self.plots.append(file)
        self.blocks.append(("img", file, caption))

    def omit(self, text: str) -> None:
        if text not in self.omissions:
            self.omissions.append(text)

    # -- writing --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from .. import __version__

        return jsonable({
            "schema": SCHEMA,
            "protocol": self.protocol,
            "title": self.title,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "faceprint_version": __version__,
            "environment": _environment(),
            "command": self.command,
            "inputs": self.inputs,
            "models": self.models,
            "results": self.results,
            "fairness": self.fairness,
            "quality": self.quality,
            "omissions": self.omissions,
            "caveats": self.caveats,
            "model_card": self.model_card(),
            "plots": self.plots,
        })

    def model_card(self) -> dict[str, Any]:
        cols = sorted({c for m in self.fairness.get("models", {}).values() for c in m.get("columns", {})})
        factors = ("evaluated per group column: " + ", ".join(cols) if self.fairness.get("evaluated")
                   else self.fairness.get("reason", "not evaluated"))
        return {
            "model_details": [{"name": m["name"], "id": m["id"], "version": m["version"], "summary": m["summary"],
                               "parts": [f"{p['name']} ({p['task']}; licence: {p['licence']}; origin: {p['origin']})"
                                         for p in m.get("parts", [])]} for m in self.models],
            "intended_use": self.intended_use or (
                "Offline face verification/identification of cooperating people by a user who controls the "
                "photos, with a threshold chosen for a stated false-match rate. Out of scope: surveillance or "
                "identifying people who have not agreed; decisions about people without human review; claims "
                "of commercial suitability from these benchmark numbers."),
            "factors": factors,
            "metrics": self.card_metrics,
            "evaluation_data": self.inputs,
            "training_data": "Not documented by faceprint: see each part's origin (the model authors' own "
                             "training sets); overlap between training data and evaluation data is unknown.",
            "quantitative_analyses": "see results (every number) and the tables of report.md/report.html",
            "ethical_considerations": "Face recognition error rates differ between demographic groups; the "
                                      "benchmark photos are of public figures who did not consent to this use.",
            "caveats_and_recommendations": self.caveats + [f"omitted: {o}" for o in self.omissions],
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
        paths["json"].write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        blocks = self._all_blocks(data)
        paths["md"].write_text(_markdown(self.title, blocks), encoding="utf-8")
        paths["html"].write_text(_html(self.title, blocks), encoding="utf-8")
        return paths

    def _all_blocks(self, data: dict[str, Any]) -> list[Block]:
        head: list[Block] = [
            ("p", f"Command: `{self.command}`"),
            ("p", f"Created {data['created']} with faceprint {data['faceprint_version']}. "
                  "Every number is in report.json."),
            ("h2", "Inputs"),
            ("table", ["input", "path", "sha256 / digest", "rows"],
             [[k, str(v.get("path", "")), str(v.get("sha256", "")), str(v.get("rows", v.get("count", "")))]
              for k, v in self.inputs.items() if isinstance(v, dict)]),
            ("table", ["model", "id", "fusion weights", "calibrated thresholds"],
             [[m["name"], m["id"], fmt_weights(m.get("fusion_weights")),
               ", ".join(f"FMR {k}: {v:.4f}" for k, v in (m.get("calibration") or {}).get("thresholds", {}).items())
               or "none"] for m in self.models]),
        ]
        tail: list[Block] = [("h2", "Fairness")]
        if self.fairness.get("evaluated"):
            tail += fairness_blocks(self.fairness)
        else:
            tail.append(("p", self.fairness.get("reason", "fairness not evaluated")))
        tail += [("h2", "Quality"), ("p", self.quality.get("reason", "not evaluated"))]
        tail += [("h2", "Omissions"), ("list", self.omissions or ["none"])]
        card = data["model_card"]
        tail += [
            ("h2", "Model card"),
            ("p", "**Model details.**"),
            ("list", [f"{m['name']} ({m['id']}): {m['summary']}; parts: " + "; ".join(m["parts"])
                      for m in card["model_details"]]),
            ("p", f"**Intended use.** {card['intended_use']}"),
            ("p", f"**Factors.** {card['factors']}"),
            ("p", "**Metrics (95 % bootstrap intervals where given).**"),
            ("list", card["metrics"] or ["see the tables above"]),
            ("p", "**Evaluation data.** " + "; ".join(
                f"{k}: {v.get('path', '')} (sha256 {str(v.get('sha256', ''))[:16]}…)"
                for k, v in card["evaluation_data"].items() if isinstance(v, dict))),
            ("p", f"**Training data.** {card['training_data']}"),
            ("p", f"**Ethical considerations.** {card['ethical_considerations']}"),
            ("p", "**Caveats and recommendations.**"),
            ("list", card["caveats_and_recommendations"] or ["none"]),
        ]
        return head + self.blocks + tail


def fmt_weights(w: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:.3g}" for k, v in w.items()) if w else "—"


def fairness_blocks(f: dict[str, Any]) -> list[Block]:
    """One table per (group column, model): per-threshold, per-group FMR/FNMR and the verdict."""
    blocks: list[Block] = [("p", f"Rule: {f['rule']}.")]
    for model, per_model in f.get("models", {}).items():
        for col, c in per_model["columns"].items():
            blocks.append(("p", f"**{model}**, group column `{col}` ({len(c['groups'])} groups, "
                                f"{c['n_genuine']:,} genuine and {c['n_impostor']:,} impostor pairs; "
                                f"{c['n_cross_group_genuine']:,} genuine pairs span two groups and count only "
                                "globally)" + (f"; FMR {', '.join(f'{x:g}' for x in c['omitted_fmrs'])} omitted: "
                                               "too few impostor pairs" if c["omitted_fmrs"] else "")))
            rows = []
            for t in c["tables"]:
                for g in t["groups"]:
                    rows.append([t["threshold_label"], fmt(t["threshold"]), g["group"],
                                 f"{fmt(g['fmr'], 5)} ({g['false_matches']}/{g['n_impostor']})"
                                 + ("" if g["fmr_measurable"] else " *"),
                                 f"{fmt(g['fnmr'], 4)} ({g['false_non_matches']}/{g['n_genuine']})", "", ""])
                ratio = lambda r, inf: "inf" if inf else fmt(r, 2)  # noqa: E731
                rows.append([t["threshold_label"], "", "**max/min**",
                             ratio(t["fmr_max_min_ratio"], t["fmr_ratio_infinite"]),
                             ratio(t["fnmr_max_min_ratio"], t["fnmr_ratio_infinite"]), f"**{t['fair']}**", t["why"]])
            blocks.append(("table", ["threshold", "value", "group", "FMR (errors/pairs)", "FNMR (errors/pairs)",
                                     "fair?", "why"], rows))
    blocks.append(("p", "\\* too few same-group impostor pairs to measure that FMR; left out of the ratio."))
    return blocks


def _environment() -> dict[str, Any]:
    import os

    env = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
           "numpy": np.__version__}
    try:
        import cv2
        env["opencv"] = cv2.__version__
    except ImportError:  # pragma: no cover - a hard dependency
        pass
    return env


# -- rendering ------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(title: str, blocks: list[Block]) -> str:
    out = [f"# {title}", ""]
    for b in blocks:
        kind = b[0]
        if kind == "h2":
            out += [f"## {b[1]}", ""]
        elif kind == "p":
            out += [b[1], ""]
        elif kind == "list":
            out += [f"- {x}" for x in b[1]] + [""]
        elif kind == "table":
            headers, rows = b[1], b[2]
            if not rows:
                continue
            out.append("| " + " | ".join(map(_md_cell, headers)) + " |")
            out.append("|" + "---|" * len(headers))
            out += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in rows]
            out.append("")
        elif kind == "img":
            out += [f"![{b[2]}]({b[1]})", "", f"*{b[2]}*", ""]
    return "\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escaped HTML with the two Markdown marks the blocks use: **bold** and `code`."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;"
        "text-align:left}th{background:#f3f3f3}code{background:#f5f5f5;padding:1px 3px;word-break:break-all}"
        "img{max-width:100%;border:1px solid #eee}figcaption{font-size:13px;color:#555}")


def _html(title: str, blocks: list[Block]) -> str:
    out = ["<!doctype html>", "<html><head><meta charset='utf-8'>", f"<title>{html.escape(title)}</title>",
           f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for b in blocks:
        kind = b[0]
        if kind == "h2":
            out.append(f"<h2>{html.escape(b[1])}</h2>")
        elif kind == "p":
            out.append(f"<p>{_inline(b[1])}</p>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in b[1]) + "</ul>")
        elif kind == "table":
            if not b[2]:
                continue
            head = "".join(f"<th>{_inline(h)}</th>" for h in b[1])
            body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b[2])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "img":
            out.append(f"<figure><img src='{html.escape(b[1])}' alt='{html.escape(b[2])}'>"
                       f"<figcaption>{html.escape(b[2])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
