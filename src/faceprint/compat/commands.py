"""`faceprint compat face_recognition ...` and `faceprint compat face_detection ...`.

The arguments after the tool's name go to face_recognition's own command-line tools
(faceprint.compat.face_recognition.*_cli), unchanged: same options, same output.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import InputError

TOOLS = {
    "face_recognition": ("face_recognition_cli", "who is in each photo (face_recognition's tool)"),
    "face_detection": ("face_detection_cli", "where the faces are (face_recognition's face_detection tool)"),
}


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `compat` command to the `faceprint` parser's subparsers."""
    help_ = "face_recognition's command-line tools, drop-in (see docs/migration-face_recognition.md)"
    tools = "; ".join(f"{name}: {what}" for name, (_, what) in TOOLS.items())
    p = subparsers.add_parser("compat", help=help_, description=f"{help_}. {tools}. "
                              "`faceprint compat TOOL --help` shows the tool's options.")
    p.add_argument("tool", choices=list(TOOLS), metavar="TOOL", help=" or ".join(TOOLS))
    # A positional REMAINDER after the tool's name takes every later token, options included.
    p.add_argument("tool_args", nargs=argparse.REMAINDER, metavar="ARGS", help="the tool's own arguments")
    p.set_defaults(func=cmd_compat)
    return p


def cmd_compat(args: argparse.Namespace) -> int:
    import importlib

    try:
        import click
    except ImportError:
        raise InputError("faceprint compat needs click: pip install 'faceprint[compat]'") from None
    module = importlib.import_module(f"faceprint.compat.face_recognition.{TOOLS[args.tool][0]}")
    try:
        module.main.main(args=list(args.tool_args), prog_name=f"faceprint compat {args.tool}", standalone_mode=False)
    except click.ClickException as e:  # usage errors: click's own message, exit 2 as everywhere in faceprint
        e.show()
        return 2
    except click.exceptions.Exit as e:  # --help
        return e.exit_code
    except SystemExit as e:  # the tool's "some photo could not be read"
        return int(e.code or 0)
    return 0
