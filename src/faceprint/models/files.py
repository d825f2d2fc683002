"""Find model files inside installed carrier packages and check their SHA-256.

Carrier packages are never imported (some break on import with current setuptools);
only their directory is located.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

from ..errors import ModelFileError
from .card import ModelFile

_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate(file: ModelFile, *, verify: bool = True) -> Path:
    """Path of a carrier file, hash-checked once per (path, size, mtime) in this process."""
    root = package_dir(file.package)
    if root is None:
        raise ModelFileError(f"model file {file.path} needs the package {file.distribution!r}: "
                             f"pip install {file.distribution}")
    path = root / file.path
    if not path.is_file():
        raise ModelFileError(f"{path} is missing from the installed {file.distribution!r}; reinstall it: "
                             f"pip install --force-reinstall {file.distribution}")
    if verify:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with _lock:
            known = _verified.get(key)
        if known is None:
            known = sha256_of(path)
            with _lock:
                _verified[key] = known
        if known != file.sha256:
            raise ModelFileError(f"{path} has SHA-256 {known}, expected {file.sha256}: the file is not the one "
                                 f"this model card describes (reinstall {file.distribution})")
    return path


def status(file: ModelFile) -> dict[str, object]:
    """For `faceprint models`: is the file there, and does its hash match?"""
    try:
        path = locate(file)
        return {"path": str(path), "installed": True, "sha256_ok": True}
    except ModelFileError as e:
        root = package_dir(file.package)
        present = root is not None and (root / file.path).is_file()
        return {"path": str(root / file.path) if root else None, "installed": present, "sha256_ok": False,
                "error": str(e)}

