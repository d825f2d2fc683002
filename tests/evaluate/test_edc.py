"""Error-versus-Discard on a hand-worked case, and the --quality input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from faceprint.evaluate.edc import edc, edc_fmr, pair_quality, read_quality
from faceprint.evaluate.inputs import EvalInputError


def test_edc_hand_worked():
    gen = [0.9, 0.2, 0.8, 0.1]
    q_gen = [1.0, 0.1, 0.9, 0.2]
    imp = np.linspace(0, 0.49, 10)  # FMR 0.1 lets 1 of 10 pass: threshold just above 0.4356
    scores = np.r_[gen, imp]
    same = np.r_[[True] * 4, [False] * 10]
    q = np.r_[q_gen, np.ones(10)]
    # 14 pairs: discarding 1 then 2 of them (lowest quality first) drops the genuine 0.2, then 0.1.
    e = edc(scores, same, q, fmr=0.1, discard=[0.0, 1 / 14, 2 / 14], max_discard=0.5, repeats=50)
    assert e["threshold"] == pytest.approx(0.4356, abs=1e-3)
    assert e["fnmr"] == pytest.approx([0.5, 1 / 3, 0.0])
    assert e["area"] == pytest.approx((0.5 + 1 / 3) / 2 / 14 + (1 / 3) / 2 / 14)
    assert e["fnmr_random_mean"][0] == 0.5  # nothing discarded: random and quality agree


def test_edc_fmr_picks_the_lowest_supported_rate():
    assert edc_fmr(9) is None and edc_fmr(10) == 0.1 and edc_fmr(999) == 0.01 and edc_fmr(1000) == 0.001


def test_quality_csv(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("path,quality\na.jpg,0.5\nb.jpg,0.25\n")
    q, src = read_quality(p)
    assert q == {"a.jpg": 0.5, "b.jpg": 0.25} and src.rows == 2
    np.testing.assert_array_equal(pair_quality(q, ["a.jpg"], ["b.jpg"], "x"), [0.25])
    with pytest.raises(EvalInputError, match="no quality for 1 image"):
        pair_quality(q, ["a.jpg"], ["c.jpg"], "x")
    p.write_text("path,quality\na.jpg,high\n")
    with pytest.raises(EvalInputError, match="line 2: quality must be a number"):
        read_quality(p)
    p.write_text("path,score\na.jpg,1\n")
    with pytest.raises(EvalInputError, match="missing column"):
        read_quality(p)


def test_verification_with_quality_draws_an_edc(tmp_path, monkeypatch, astronaut, cameraman):
    from faceprint.cli import main
    from faceprint.image import save_image

    cam = np.stack([cameraman] * 3, -1)
    images = {"a.jpg": astronaut, "a_m.png": np.ascontiguousarray(astronaut[:, ::-1]), "c.jpg": cam,
              "c_m.png": np.ascontiguousarray(cam[:, ::-1])}
    for name, img in images.items():
        save_image(img, tmp_path / name)
    rows = ["a.jpg,a_m.png,1", "c.jpg,c_m.png,1"] + [f"{x},{y},0" for x in ("a.jpg", "a_m.png")
                                                      for y in ("c.jpg", "c_m.png")] * 3
    (tmp_path / "pairs.csv").write_text("path_a,path_b,same\n" + "\n".join(rows) + "\n")
    (tmp_path / "q.csv").write_text("path,quality\na.jpg,0.9\na_m.png,0.8\nc.jpg,0.3\nc_m.png,0.2\n")
    monkeypatch.setenv("FACEPRINT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "r"
    assert main(["eval", "verification", "--pairs", str(tmp_path / "pairs.csv"), "--quality", str(tmp_path / "q.csv"),
                 "--model", "fast", "--out", str(out), "--bootstrap", "0", "--workers", "1", "--no-progress"]) == 0
    r = json.loads((out / "report.json").read_text())
    assert r["quality"]["evaluated"] is True and r["quality"]["fmr"] == 0.1
    assert r["inputs"]["quality"]["rows"] == 4
    assert len(r["quality"]["models"]["fast"]["fnmr"]) == 51 and (out / "edc.png").is_file()
