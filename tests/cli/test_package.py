"""The CLI package's shape: no import cycle through it, no private helper imported across modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement, at any depth."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
            out.append((target, [a.name for a in node.names]))
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in (SRC / "faceprint").rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, path in modules.items():
        for target, names in _imports(path):
            # `from pkg import sub` depends on pkg.sub; `from pkg import name` on pkg itself
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            for t in subs or [target]:
                if t in modules and t != m:
                    graph[m].add(t)
    return graph


def test_no_import_cycle_through_the_cli():
    graph = _graph()
    cli = {m for m in graph if m == "faceprint.cli" or m.startswith("faceprint.cli.") or m.endswith(".commands")}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            for n in graph[m]:
                if n == goal:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return False

    cycles = [(a, b) for a in cli for b in graph[a] if reaches(b, a)]
    assert not cycles, f"import cycles through the CLI: {cycles}"


def test_no_module_imports_private_cli_helpers():
    offenders = []
    for path in (SRC / "faceprint").rglob("*.py"):
        for target, names in _imports(path):
            if target.startswith("faceprint.cli") and any(n.startswith("_") for n in names):
                offenders.append(f"{_module(path)}: {target} {names}")
    assert not offenders


def test_importing_the_cli_package_loads_nothing_heavy():
    code = ("import sys, faceprint; before = set(sys.modules); import faceprint.cli; "
            "print(sorted(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["faceprint.cli"]


def test_main_stays_the_function_after_the_cli_modules_load():
    import faceprint.cli
    from faceprint.cli import app  # noqa: F401  (loading every submodule must not shadow `main`)

    assert callable(faceprint.cli.main) and faceprint.cli.main.__module__ == "faceprint.cli"
