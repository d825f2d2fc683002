"""Install hints name a command that works from where the user is, and eval checks its extras first."""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path

import pytest

from faceprint import extras
from faceprint.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_command_from_the_checkout_is_an_editable_install_of_it(monkeypatch):
    monkeypatch.chdir(REPO)
    cmd = shlex.split(extras.install_command("eval"))
    assert cmd[1:5] == ["-m", "pip", "install", "-e"] and cmd[5] == ".[eval]"
    assert os.path.samefile(cmd[0], sys.executable)


def test_command_from_elsewhere_names_the_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    target = shlex.split(extras.install_command("serve"))[-1]
    assert target.endswith("[serve]") and Path(target[: -len("[serve]")]).resolve() == REPO


def test_eval_fails_before_any_work_without_matplotlib(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("path_a,path_b,same\nmissing_a.jpg,missing_b.jpg,1\n")
    code = main(["eval", "verification", "--pairs", str(pairs), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "matplotlib" in err[0] and "-m pip install -e" in err[0]
    assert not (tmp_path / "r").exists()  # nothing was written or embedded
