"""`faceprint models [--json]`: every model and pipeline, licences, and whether each file's SHA-256 checks out."""

from __future__ import annotations

import argparse
from typing import Any

from . import exits
from .options import add_json
from .output import emit


def register(sub: Any) -> None:
    help_ = "list models and pipelines, licences, and whether each file's SHA-256 checks out"
    p = sub.add_parser("models", help=help_, description=help_)
    p.set_defaults(func=cmd_models)
    add_json(p)


def cmd_models(args: argparse.Namespace) -> int:
    from ..calibration import calibration_for
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
    if args.json:
        for m in models:
            emit(m)
    else:
        for m in models:
            mark = "ok " if m["ok"] else "BAD"
            extra = " (default)" if m.get("default") else ""
            print(f"[{mark}] {m['kind']:8} {m['name']:12} {m['task']:7} {m['summary']}{extra}")
    return exits.OK if all(m["ok"] for m in models) else exits.BAD_INPUT
