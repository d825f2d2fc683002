"""The tracks' contact sheet: `OUT_DIR/index.html`, drawn by the cluster sheet (`cluster/sheet.py`).

One section per identity (a name, or "Stranger k"), each tile a track's best view; the
tile's tooltip gives the track, its time span and similarity. Tiles link to the video.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .timeline import VideoSummary


def group_of(track) -> str:
    if track.identity:
        return track.identity
    if track.stranger is not None:
        return f"Stranger {track.stranger}"
    return "Unknown (no usable view)"


def write_sheet(out_dir: str | os.PathLike[str], video: str | os.PathLike[str], summary: VideoSummary) -> Path:
    from ..cluster.sheet import SheetFace, write_sheet as write_cluster_sheet

    video = Path(video)
    faces = []
    for t in summary.tracks:
        if t.thumb is None:
            continue
        digest = hashlib.blake2b(t.thumb, digest_size=16).hexdigest()
        # The sheet's `file` is the link target (the video) and its `index` the track number.
        faces.append(SheetFace(video.name, t.track, digest, group_of(t), t.similarity, t.thumb))
    named = sum(1 for t in summary.tracks if t.identity)
    note = (f"{video.name}: {len(summary.tracks)} tracks, {named} named at the gallery's threshold; "
            f"a tile is a track's best view (its number in the tooltip).")
    return write_cluster_sheet(out_dir, video.parent, faces, title=f"faceprint video: {video.name}", note=note)
