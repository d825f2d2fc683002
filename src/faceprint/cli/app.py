"""Build the `faceprint` parser from the subcommand table and run one command.

Errors: a FaceprintError from any command is one line on stderr and exit 2; a usage error
is one line too (argparse's multi-line usage block is replaced by a pointer to --help).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn, Sequence

from ..errors import FaceprintError
from . import exits
from .output import GuardedStdout, StdoutError, silence_stdout

# Every subcommand module has `register(subparsers)`; a new command is one line here.
# Order is the order of `faceprint --help`.
COMMANDS = (
    "faceprint.cli.detect",
    "faceprint.cli.embed",
    "faceprint.cli.verify",
    "faceprint.cli.models",
    "faceprint.cluster.commands",
    "faceprint.gallery.commands",
    "faceprint.evaluate.commands",
    "faceprint.assessors.commands",
    "faceprint.explainers.commands",
    "faceprint.serve.commands",
    "faceprint.liveness.commands",
    "faceprint.compat.commands",
    "faceprint.video.commands",
    "faceprint.index.commands",
    "faceprint.privacy.commands",
)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (subparsers inherit the class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(exits.BAD_INPUT, f"{self.prog}: error: {' '.join(message.split())} "
                                   f"(see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = Parser(prog="faceprint", description="Offline face detection and verification.")
    parser.add_argument("--version", action="version", version=f"faceprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def _quiet_opencv() -> None:
    """OpenCV 5 logs a harmless warning per model load on stderr; a CLI user needs only ours."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_opencv()
    stdout = sys.stdout
    sys.stdout = GuardedStdout(stdout)  # a full disk behind stdout is one line, not a traceback
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except StdoutError as e:
        silence_stdout()  # the interpreter's own last flush would fail again
        print(f"faceprint: error: {e}", file=sys.stderr)
        return exits.BAD_INPUT
    except FaceprintError as e:
        print(f"faceprint: error: {' '.join(str(e).split())}", file=sys.stderr)
        return exits.BAD_INPUT
    except KeyboardInterrupt:
        print("faceprint: interrupted", file=sys.stderr)
        return exits.INTERRUPTED
    except BrokenPipeError:  # `faceprint ... | head` is normal use
        silence_stdout()
        return exits.OK
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
