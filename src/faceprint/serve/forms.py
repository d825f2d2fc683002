"""What the routes' multipart forms share: the `fmr` field, and reading an uploaded file.

An upload is read whole (the body limit bounds it), refused when empty or over its own
limit with the one error shape, and named in messages by a printable label of its file name,
never by a server path: a decoder that needs a file gets a private temporary copy, and its
errors are renamed back to the upload.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Literal

from fastapi import UploadFile

from ..errors import FaceprintError
from ..thresholds import DEFAULT_FMR, rate_text
from .http_errors import ServiceError

# The calibrated rates, each as a decimal and as the docs write it. A fixed list, so the API's
# schema does not move silently; tests/serve/test_forms.py checks it against calibration.json.
FmrText = Literal["0.01", "0.001", "0.0001", "1e-2", "1e-3", "1e-4"]
DEFAULT_FMR_TEXT = rate_text(DEFAULT_FMR)  # "1e-3"


def clean_name(upload: UploadFile) -> str:
    """The upload's file name as a label for messages (base name, printable, at most 200 characters)."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]  # a label only: never opened
    return "".join(ch for ch in name if ch.isprintable())[:200] or "upload"


def renamed(e: FaceprintError, path: str, name: str) -> FaceprintError:
    """The same error with the upload's name where the temporary path was."""
    if e.args and isinstance(e.args[0], str):
        e.args = (e.args[0].replace(repr(path), repr(name)).replace(path, name), *e.args[1:])
    return e


async def read_image(upload: UploadFile, field: str) -> bytes:
    """The bytes of an uploaded image; an empty file is `bad_image` naming the form field."""
    data = await upload.read()
    if not data:
        raise ServiceError("bad_image", f"{field}: the uploaded file is empty")
    return data


async def read_video(upload: UploadFile, label: str, max_bytes: int) -> tuple[str, bytes]:
    """(name, bytes) of an uploaded video; empty is `bad_video`, over `max_bytes` `video_too_large` (413).
    Messages start with `label` and the name, e.g. "clip 'a.mp4': ..."."""
    data = await upload.read()
    name = clean_name(upload)
    if not data:
        raise ServiceError("bad_video", f"{label} {name!r}: the uploaded file is empty")
    if len(data) > max_bytes:
        raise ServiceError("video_too_large", f"{label} {name!r}: {len(data):,} bytes, over the limit of "
                           f"{max_bytes:,}", 413)
    return name, data


def spool(data: bytes, prefix: str, suffix: str = "") -> str:
    """`data` in a new private temporary file (for decoders that need a path); its path.
    The caller removes it with `discard`."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        discard(path)
        raise
    return path


def discard(path: str) -> None:
    """Remove a spooled file; one already gone is fine."""
    with contextlib.suppress(OSError):
        os.unlink(path)
