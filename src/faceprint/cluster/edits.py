"""`--name`, `--merge`, `--split`: the user's edits of the last run, turned into corrections about faces."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from .grouping import FaceTable


def _previous(clusters_json: Path) -> dict[str, list[str]]:
    """Public cluster id (as text) -> face keys, from the last run's clusters.json."""
    from .corrections import face_key

    if not clusters_json.exists():
        raise InputError(f"{clusters_json} not found: run `faceprint cluster` once before --name/--merge/--split")
    try:
        faces = json.loads(clusters_json.read_text(encoding="utf-8"))["faces"]
        out: dict[str, list[str]] = {}
        for f in faces:
            out.setdefault(str(f["cluster"]), []).append(face_key(f["digest"], int(f["face"])))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"cannot read {clusters_json}: {e}") from None
    return out


def apply_edits(corrections, clusters_json: Path, table: FaceTable, names: list[str], merges: list[list[str]],
                splits: list[str]) -> None:
    """Turn --name/--merge/--split (cluster ids of the last run) into corrections about faces."""
    from .corrections import split_in_two

    previous = _previous(clusters_json)

    def members(cid: str) -> list[str]:
        if cid not in previous:
            shown = ", ".join(list(previous)[:12]) + (" ..." if len(previous) > 12 else "")
            raise InputError(f"no cluster {cid!r} in {clusters_json} (clusters: {shown})")
        return previous[cid]

    key_photo = dict(zip(table.keys, table.files))
    for a, b in merges:
        fa, fb = members(a), members(b)
        shared = {key_photo.get(k) for k in fa} & {key_photo.get(k) for k in fb} - {None}
        if shared:
            raise InputError(f"cannot merge clusters {a} and {b}: both have a face in {sorted(shared)[0]} "
                             f"(two faces of one photo are never one person)")
        corrections.merge(fa, fb)
    key_row = {k: i for i, k in enumerate(table.keys)}
    for cid in splits:
        fs = [k for k in members(cid) if k in key_row]
        side = split_in_two(table.embeddings[[key_row[k] for k in fs]])
        corrections.split([k for k, s in zip(fs, side) if s == 0], [k for k, s in zip(fs, side) if s == 1])
    for spec in names:
        cid, sep, name = spec.partition("=")
        if not sep:
            raise InputError(f"--name takes CLUSTER=NAME, got {spec!r}")
        corrections.name(members(cid.strip()), name)
