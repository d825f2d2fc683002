"""Progress bars only on a terminal; on a pipe one summary line (faceprint.progress)."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np

from faceprint.image import save_image
from faceprint.progress import Summary, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_a_pipe_one_line():
    tty = Terminal()
    with progress(total=50, desc="work", unit="img", file=tty, mininterval=0) as bar:
        for _ in range(50):
            bar.update(1)
    assert "\r" in tty.getvalue() and "50/50" in tty.getvalue()  # tqdm's redrawn bar

    pipe = io.StringIO()
    with progress(total=50, desc="work", unit="photo", file=pipe) as bar:
        assert isinstance(bar, Summary)
        for _ in range(50):
            bar.update(1)
        bar.set_postfix(faces=7)
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in pipe.getvalue()
    assert lines[0].startswith("work: 50 photos in ") and lines[0].endswith("faces 7")

    pipe = io.StringIO()
    assert list(progress(range(3), desc="rows", unit="pair", file=pipe)) == [0, 1, 2]
    assert pipe.getvalue().startswith("rows: 3 pairs in ")
    pipe = io.StringIO()
    list(progress(range(3), desc="rows", file=pipe, enabled=False))
    assert pipe.getvalue() == ""
    try:
        with progress(total=3, desc="work", file=pipe):
            raise ValueError("bad input")
    except ValueError:
        pass
    assert pipe.getvalue() == ""  # a failed run says its error, not a summary


def test_verify_pairs_on_a_pipe_prints_one_summary_line(tmp_path, astronaut):
    save_image(astronaut, tmp_path / "a.jpg")
    save_image(np.ascontiguousarray(astronaut[:, ::-1]), tmp_path / "b.jpg")
    (tmp_path / "pairs.csv").write_text("path_a,path_b\na.jpg,b.jpg\nb.jpg,a.jpg\na.jpg,a.jpg\n")
    r = subprocess.run([sys.executable, "-m", "faceprint", "verify", "--pairs", str(tmp_path / "pairs.csv"),
                        "--model", "fast"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr and r.stderr.count("pairs: 3 pairs in ") == 1, r.stderr
    assert len(r.stdout.splitlines()) == 3


def test_explain_reports_every_occlusion_and_chunking_changes_nothing(fast, astronaut):
    from faceprint.explainers.explanation import explain, steps

    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    told: list[int] = []
    with_bar = explain(fast, astronaut, mirrored, grid=3, on_step=told.append)
    assert sum(told) == steps(3) and len(told) > 2
    plain = explain(fast, astronaut, mirrored, grid=3)
    np.testing.assert_allclose(with_bar.a.contribution, plain.a.contribution, atol=1e-5)
    assert [r["region"] for r in with_bar.regions] == [r["region"] for r in plain.regions]
