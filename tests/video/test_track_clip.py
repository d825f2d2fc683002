"""faceprint.track on the A-B-A clip: three tracks, A named twice, B unknown, names never flip."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from .conftest import A

pytestmark = pytest.mark.data


def test_a_then_b_then_a_gives_three_tracks_named_a_unknown_a(aba, fast, gallery_a):
    import faceprint

    path, gt, _ = aba
    run = faceprint.track(str(path), analyzer=fast, gallery=gallery_a, every=2)
    frames = list(run)
    summary = run.summary
    assert len(frames) == len(gt.frames) and summary.complete
    tracks = summary.timeline()
    assert len(tracks) == 3, tracks
    assert [t["identity"] for t in tracks] == [A, None, A]
    assert tracks[1]["reason"] == "below_threshold" and tracks[1]["stranger"] is not None
    # Each track lies inside its own shot, and its best box is on the person's photo.
    for t, (first, last) in zip(tracks, gt.shots):
        frame = int(round(t["best_time"] * gt.fps))
        assert first <= frame <= last
        assert gt.person_at(frame, t["box"]) is not None
    # A track's name is pending and then final: it never changes once given.
    seen: dict[int, list] = {}
    for r in frames:
        for f in r.faces:
            seen.setdefault(f.track, []).append((f.decided, f.identity))
    for track_id, states in seen.items():
        decided = [s for s in states if s[0]]
        assert decided and len({s[1] for s in decided}) == 1, (track_id, states)
        first_decided = states.index(decided[0])
        assert all(s[0] for s in states[first_decided:])


def test_without_gallery_the_returning_stranger_gets_one_label(aba, fast):
    import faceprint

    path, _, _ = aba
    summary = faceprint.track(str(path), analyzer=fast).run()
    labels = [t["stranger"] for t in summary.timeline()]
    assert len(labels) == 3 and None not in labels
    assert labels[0] == labels[2] != labels[1]
    assert all(t["identity"] is None and t["reason"] == "no_gallery" for t in summary.timeline())


def test_cli_json_lines_annotated_copy_and_sheet(aba, gallery_a, tmp_path):
    import cv2

    path, gt, _ = aba
    out, sheet = tmp_path / "annotated.mp4", tmp_path / "sheet"
    proc = subprocess.run([sys.executable, "-m", "faceprint", "video", str(path), "--gallery", gallery_a.uri,
                           "--model", "fast", "--json", "--every", "2", "--out", str(out), "--sheet", str(sheet)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 3
    for rec in lines:
        assert {"track", "identity", "similarity", "start", "end", "frames", "box"} <= rec.keys()
        assert rec["start"] <= rec["end"] and rec["frames"] > 0 and len(rec["box"]) == 4
    assert [r["identity"] for r in lines] == [A, None, A]
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == len(gt.frames)
    page = (sheet / "index.html").read_text()
    assert A in page and "Stranger 1" in page and page.count("<img") == 3
