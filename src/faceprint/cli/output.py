"""How the CLI writes: results on stdout (text or JSON Lines), one line per error on stderr,
and output paths checked so a bad one is one clear line, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, TextIO

from ..errors import FaceprintError, InputError
from . import exits


class OutputError(InputError):
    """Standard output or an output file cannot be written (disk full, no such folder...)."""

    code = "output"


def emit(obj: Any) -> None:
    """One JSON line on stdout (no NaN: JSON has none)."""
    print(json.dumps(obj, ensure_ascii=False, allow_nan=False), flush=True)


def report_error(args: argparse.Namespace, base: dict[str, Any], error: FaceprintError,
                 text: str | None = None) -> None:
    """One input failed: an `"error"` record with --json, else one line on stderr: `text`, or
    the record's values and the error."""
    if getattr(args, "json", False):
        emit({**base, "error": {"code": error.code, "message": str(error)}})
    else:
        where = " ".join(str(v) for v in base.values())
        print(text if text is not None else f"{where}: error: {error}", file=sys.stderr)


class Batch:
    """The batch exit-code rule in one place: every input answered, exit 2 if any failed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.failed = 0

    def fail(self, base: dict[str, Any], error: FaceprintError, text: str | None = None) -> None:
        self.failed += 1
        report_error(self.args, base, error, text)

    @property
    def code(self) -> int:
        return exits.BAD_INPUT if self.failed else exits.OK


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def output_dir(path: str | os.PathLike[str], flag: str) -> Path:
    """The folder `path` (created if absent), or OutputError naming `flag` and why not."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{flag} {p}: exists and is not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{flag} {p}: cannot create the folder: {reason(e)}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} {p}: the folder is not writable")
    return p


def write_atomic(path: str | os.PathLike[str], write: Callable[[Any], None], flag: str = "--out") -> Path:
    """Write a file through `write(binary_file)` into a temporary beside it, then rename.

    A reader never sees half a file, and a failure (no such folder, disk full) leaves no
    file behind and raises OutputError.
    """
    target = Path(path)
    if target.exists() and not target.is_file():  # a folder or a device (/dev/full): never replaced
        raise OutputError(f"{flag} {target}: is not a regular file; name a file")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise OutputError(f"{flag} {target}: cannot write: {reason(e)}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return target


class StdoutError(OutputError):
    """Standard output itself cannot be written (`> /dev/full`, a closed or failing device)."""


class GuardedStdout:
    """sys.stdout whose write errors (disk full, I/O error) become one OutputError.

    A broken pipe stays a BrokenPipeError: `faceprint ... | head` is normal use.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _guard(self, fn: Callable[..., Any], *a: Any) -> Any:
        try:
            return fn(*a)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise StdoutError(f"cannot write to standard output: {reason(e)}") from None

    def write(self, text: str) -> int:
        return self._guard(self._stream.write, text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """After stdout failed: point fd 1 at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def each_image(args: argparse.Namespace, compute: Callable[[Any], tuple[dict[str, Any], Any]],
               show: Callable[[str, dict[str, Any], Any], None], *, draw_dir: Path | None = None,
               draw: Callable[[Any, Any], Any] | None = None) -> int:
    """The per-file loop of `detect` and `analyze`: each of `args.images` is loaded and
    `compute(image) -> (record, faces)`; with `draw_dir`, `draw(image, faces)` is saved there as
    STEM.jpg; then the record is emitted (--json) or `show(path, record, faces)` prints it. A file
    that fails is one failure of the batch (the exit-code rule), and the loop goes on."""
    from ..image import load_image, save_image

    batch = Batch(args)
    for path in args.images:
        try:
            image = load_image(path)
            fields, faces = compute(image)
            record = {"file": path, **fields}
            if draw_dir is not None and draw is not None:
                out = draw_dir / (Path(path).stem + ".jpg")
                save_image(draw(image, faces), out)
                record["drawn"] = str(out)
        except FaceprintError as e:
            batch.fail({"file": path}, e)
            continue
        if args.json:
            emit(record)
        else:
            show(path, record, faces)
    return batch.code
