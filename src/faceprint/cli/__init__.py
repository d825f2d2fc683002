"""The `faceprint` command line (console script `faceprint = "faceprint.cli:main"`).

Layout: `app` builds the parser from a table of subcommand modules and maps errors to exit
codes; `exits` defines the codes and the batch rule; `output` prints results and errors (one
line per failure, JSON Lines with `--json`) and guards stdout and output paths; `options`
declares the shared options (`--model`, `--json`, `--fmr`, `--threshold`, typed numbers) once.
Subcommands live in their packages' `commands.py` (cluster, gallery, eval, analyze, explain,
serve) or here (`detect`, `embed`, `verify`, `models`), each with `register(subparsers)`.

Exit codes: 0 done; 1 "not the same person", only with `verify --fail-if-different`;
2 bad input, usage or a file/gallery fault (one line on stderr, never a traceback). Batch
commands answer every input and exit 2 when any of them failed (see `faceprint.cli.exits`).

Importing this package imports nothing else: `main` loads the parser on call.
"""

from __future__ import annotations

from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `faceprint` with `argv` (default: sys.argv[1:]); returns the exit code."""
    from .app import main as run

    return run(argv)


__all__ = ["main"]
