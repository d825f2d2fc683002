"""`faceprint models [--all] [--json] [--install EXTRA]`: every model and pipeline, licences,
carrier packages, whether each file's SHA-256 checks out, and which extras are installed."""

from __future__ import annotations

import argparse
from typing import Any

from . import exits
from .options import add_json
from .output import emit


def register(sub: Any) -> None:
    help_ = "list models and pipelines, licences, carrier packages, SHA-256 checks and extras; install an extra"
    p = sub.add_parser("models", help=help_, description=help_ + ". Text output shows the deep pipelines and "
                       "models (--all adds the classical baselines); --json lists everything.")
    p.set_defaults(func=cmd_models)
    add_json(p)
    p.add_argument("--all", action="store_true", help="also list the classical baselines (code only, no weights)")
    p.add_argument("--install", metavar="EXTRA",
                   help="install an extra into this Python: its runtimes with pip, its weight carriers with "
                        "pip --no-deps, then check the files' SHA-256 (e.g. landmarks, age_gender, emotion, eval)")


def _records() -> list[dict[str, Any]]:
    from ..thresholds import calibration_for
    from ..models.catalog import DEFAULT_PIPELINE, MODELS, PIPELINES
    from ..models.files import status

    models = []
    for card in MODELS.values():
        files = [{"package": f.distribution, "file": f.path, "sha256": f.sha256, **status(f)} for f in card.files]
        models.append({"name": card.name, "kind": "model", "task": card.task, "licence": card.licence,
                       "summary": card.summary, "origin": card.origin, "files": files,
                       "ok": all(f["sha256_ok"] for f in files), "card": card.to_dict()})
    for p in PIPELINES.values():
        calib = calibration_for(p.name) or {}
        parts = [m for m in models if m["name"] in (p.detector, *p.embedders)]
        models.append({"name": p.name, "kind": "pipeline", "task": "verify", "default": p.name == DEFAULT_PIPELINE,
                       "id": p.id, "summary": p.summary, "uses": [p.detector, *p.embedders],
                       "licence": "; ".join(f"{m['name']}: {m['licence']}" for m in parts),
                       "ok": all(m["ok"] for m in parts), "thresholds": calib.get("thresholds", {})})
    return models


def _classical(record: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> bool:
    """Classical: a model without weight files, or a pipeline that embeds with one."""
    if record["kind"] == "model":
        return not record["files"]
    return any(not by_name[m]["files"] for m in record["uses"][1:])


def _packages(record: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> str:
    parts = [record] if record["kind"] == "model" else [by_name[m] for m in record["uses"]]
    names = dict.fromkeys(f["package"] for m in parts for f in m["files"])
    return ", ".join(names) or "(faceprint code)"


def _table(rows: list[list[str]], indent: str = "  ") -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print(indent + "  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip())


def _print_text(records: list[dict[str, Any]], show_all: bool) -> None:
    from ..installer import extras

    by_name = {r["name"]: r for r in records if r["kind"] == "model"}
    mark = lambda r: "ok " if r["ok"] else "BAD"  # noqa: E731
    shown = [r for r in records if show_all or not _classical(r, by_name)]
    pipes = [r for r in shown if r["kind"] == "pipeline"]
    pipes.sort(key=lambda r: _classical(r, by_name))  # deep first
    print("Pipelines (--model NAME):")
    _table([["", "name", "uses", "carrier packages", "summary"]] +
           [[mark(r), r["name"] + (" (default)" if r.get("default") else ""), " + ".join(r["uses"]),
             _packages(r, by_name), r["summary"]] for r in pipes])
    models = sorted((r for r in shown if r["kind"] == "model"), key=lambda r: _classical(r, by_name))
    print("Models (ok = every file present and its SHA-256 matches the card):")
    _table([["", "name", "task", "carrier package", "licence"]] +
           [[mark(r), r["name"], r["task"], _packages(r, by_name), r["licence"]] for r in models])
    hidden = len(records) - len(shown)
    if hidden:
        print(f"  ... and {hidden} classical baselines (code only, no weights): faceprint models --all")
    print("Extras (faceprint models --install EXTRA runs the command shown, then checks the SHA-256):")
    from ..models.catalog import ANALYSIS_MODELS

    rows = [["name", "installed", "analysis models (licence)", "command if not installed"]]
    for name, extra in extras().items():
        missing = extra.missing()
        cards = ", ".join(f"{m} ({ANALYSIS_MODELS[m].licence})" for m in extra.models) or "-"
        rows.append([name, "yes" if not missing else "no", cards,
                     "" if not missing else f"{extra.command()}   (missing: {', '.join(missing)})"])
    _table(rows)


def cmd_models(args: argparse.Namespace) -> int:
    if args.install:
        from ..errors import InputError
        from ..installer import install

        problems = install(args.install.strip().lower().replace("-", "_"))
        if problems:
            raise InputError(f"extra {args.install!r} is not ready: {'; '.join(problems)}")
        return exits.OK
    records = _records()
    if args.json:
        for m in records:
            emit(m)
    else:
        _print_text(records, args.all)
    return exits.OK if all(m["ok"] for m in records) else exits.BAD_INPUT
