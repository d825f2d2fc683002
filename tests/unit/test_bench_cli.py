"""Every benchmark is reachable: `python -m faceprint.bench NAME --help` parses (no work done)."""

from __future__ import annotations

import pytest

from faceprint.bench.__main__ import main

NAMES = ("verification", "quality", "cluster", "classical", "serve", "explain", "gallery")


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_help(name, capsys):
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    assert "usage: python -m faceprint.bench " + name in capsys.readouterr().out
