"""Optional extras: is one installed, and the one pip command that installs it from here.

A hint such as `pip install 'faceprint[eval]'` fails from a source checkout (faceprint is not
on PyPI there) and `pip` may not be the interpreter running faceprint. So the command names
this interpreter and, for an editable or source install, the checkout's folder.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path


def _checkout() -> Path | None:
    """The source checkout faceprint runs from (src layout), or None for a wheel install."""
    root = Path(__file__).resolve().parents[2]
    project = root / "pyproject.toml"
    if project.is_file() and 'name = "faceprint"' in project.read_text(encoding="utf-8", errors="replace"):
        return root
    return None


def python_command() -> str:
    """The running interpreter as a user would type it from here (relative inside the folder)."""
    python = sys.executable or "python3"
    try:
        python = os.path.relpath(python) if not os.path.relpath(python).startswith("..") else python
    except ValueError:  # another drive (Windows)
        pass
    return python


def install_command(extra: str) -> str:
    """A command that installs `faceprint[extra]` into the running interpreter, from where the user is."""
    python = python_command()
    root = _checkout()
    if root is None:
        return f"{shlex.quote(python)} -m pip install {shlex.quote(f'faceprint[{extra}]')}"
    here = Path.cwd().resolve()
    target = "." if here == root else os.path.relpath(root, here) if root in here.parents or here in root.parents \
        else str(root)
    return f"{shlex.quote(python)} -m pip install -e {shlex.quote(f'{target}[{extra}]')}"


def missing(modules: tuple[str, ...]) -> list[str]:
    """The modules of `modules` that cannot be imported (checked without importing them)."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def require(extra: str, modules: tuple[str, ...], what: str) -> None:
    """Raise a one-line `InputError` naming the install command when `what` lacks its modules.

    Called before long work starts, so a missing plotting library is reported at once and not
    after an hour of embedding.
    """
    absent = missing(modules)
    if absent:
        from .errors import InputError

        raise InputError(f"{what} needs {', '.join(absent)}: {install_command(extra)}")
