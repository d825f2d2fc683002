"""Turn user input (a path, encoded bytes or a numpy array) into an RGB uint8 image.

This is the only place faceprint decodes images, so every guard lives here: a pixel
limit checked from the header before any pixel is decoded (decompression bombs), a
format allow-list (Pillow's rarer parsers, and EPS which shells out to Ghostscript,
are never reached), a forced full decode (a truncated file is an error, not a
half-grey picture), EXIF orientation, and one typed one-line error for anything that
goes wrong: callers only ever see FaceprintError subclasses, never Pillow's.

Choices:
* Alpha (RGBA, LA, PA, palette transparency, HxWx4 arrays) is composited over white,
  so transparent areas of cut-outs become a plain background rather than whatever
  colour the hidden RGB values hold.
* 16-bit data is scaled (round(v / 257): 65535 -> 255, 32768 -> 128), never clipped.
  Pillow mode "I" (32-bit int) is taken as 16-bit data clipped to [0, 65535].
* Images with a side under MIN_SIDE pixels are refused (1x1 tracking pixels, lines):
  nothing that small holds a face, and downstream resizing must not see such shapes.
* HEIC/HEIF (phone photos) decode through the optional pillow-heif, registered with
  Pillow on first use when installed (`pip install 'faceprint[heic]'`), so every command
  reads them the same way; without it such a file is refused with that hint.
* The pixel limit is `max_pixels`, else env FACEPRINT_MAX_PIXELS, else
  DEFAULT_MAX_PIXELS. Pillow's global bomb limit (2 * Image.MAX_IMAGE_PIXELS) still
  applies on top; we leave that global alone and report it as ImageTooLargeError.
"""

from __future__ import annotations

import io
import re
import os
import stat
import warnings
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import (
    FaceprintError,
    ImageError,
    ImageNotFoundError,
    ImageTooLargeError,
    InputError,
    ShapeError,
)

DEFAULT_MAX_PIXELS = 50_000_000
ENV_MAX_PIXELS = "FACEPRINT_MAX_PIXELS"
MIN_SIDE = 8
# Formats Pillow may try when decoding; JPEG also covers MPO (phone cameras).
READ_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "PPM", "AVIF", "HEIF")
# ISO-BMFF brands of HEIC/HEIF files (bytes 8-12 after "ftyp"), for the missing-decoder hint.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_heif_registered: bool | None = None
WRITE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF")
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}

ImageSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, np.ndarray]


def describe_source(source: object) -> str:
    """Name an input in one line for messages: a quoted path, "<bytes, N bytes>", an array."""
    if isinstance(source, np.ndarray):
        return f"<array, shape {source.shape}, dtype {source.dtype}>"
    if isinstance(source, (str, os.PathLike)):
        try:
            path = os.fsdecode(source)
        except Exception:  # a PathLike whose __fspath__ misbehaves
            return f"<{type(source).__name__}>"
        return f"'{path}'" if path.isprintable() else repr(path)
    if isinstance(source, memoryview):
        return f"<memoryview, {source.nbytes} bytes>"
    if isinstance(source, (bytes, bytearray)):
        return f"<{type(source).__name__}, {len(source)} bytes>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageSource, *, max_pixels: int | None = None) -> np.ndarray:
    """Return `source` as a fresh, writable, C-contiguous RGB uint8 HxWx3 array.

    `source`: a path (str / os.PathLike), a file's encoded contents (bytes, bytearray,
    memoryview), or an array: HxW or HxWx1 grey, HxWx3 RGB, HxWx4 RGBA; uint8, uint16
    or float in [0, 1]. Raises ImageError (ImageNotFoundError, ImageTooLargeError) for
    unusable images, ShapeError for arrays of the wrong shape/dtype, InputError for
    other types or a bad limit.
    """
    limit = _pixel_limit(max_pixels)
    what = describe_source(source)
    if isinstance(source, np.ndarray):
        return _from_array(source, what, limit)
    if isinstance(source, (str, os.PathLike)):
        return _from_path(source, what, limit)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = source.tobytes() if isinstance(source, memoryview) else source
        if not data:
            raise ImageError(f"cannot load image {what}: no data")
        return _decode(io.BytesIO(data), what, limit)
    raise InputError(
        f"cannot load an image from {type(source).__name__}: "
        "expected a path, encoded bytes or a numpy array"
    )


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """Encode an RGB uint8 HxWx3 array as JPEG bytes."""
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise InputError(f"JPEG quality must be an integer from 1 to 100, got {quality!r}")
    buf = io.BytesIO()
    _rgb_to_pil(image).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def encode_png(image: np.ndarray) -> bytes:
    """Encode an RGB uint8 HxWx3 array as PNG bytes (lossless: for pictures with text and maps)."""
    buf = io.BytesIO()
    _rgb_to_pil(image).save(buf, format="PNG")
    return buf.getvalue()


def save_image(image: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write an RGB uint8 HxWx3 array to `path`; the format follows the extension."""
    pil = _rgb_to_pil(image)
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"cannot save an image to {type(path).__name__}: expected a path")
    what = describe_source(path)
    ext = os.path.splitext(os.fsdecode(path))[1].lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt not in WRITE_FORMATS:
        raise InputError(f"cannot save image to {what}: use a .jpg, .png, .webp, .bmp or .tif name")
    try:
        pil.save(path, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot save image to {what}: {_reason(exc)}") from exc


def _pixel_limit(max_pixels: int | None) -> int:
    """Explicit argument, else the environment variable, else the default (read per call)."""
    origin, value = "max_pixels", max_pixels
    if value is None:
        raw = os.environ.get(ENV_MAX_PIXELS, "").strip()
        if not raw:
            return DEFAULT_MAX_PIXELS
        origin = ENV_MAX_PIXELS
        try:
            value = int(raw)
        except ValueError:
            raise InputError(f"{ENV_MAX_PIXELS}={raw!r} is not a whole number of pixels") from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise InputError(f"{origin} must be a positive integer, got {value!r}")
    return int(value)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split())  # Pillow messages may span lines; ours must not


def _check_size(width: int, height: int, what: str, limit: int) -> None:
    if width * height > limit:
        raise ImageTooLargeError(
            f"cannot load image {what}: {width}x{height} is {width * height:,} pixels, "
            f"over the limit of {limit:,} (max_pixels / {ENV_MAX_PIXELS})"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"cannot load image {what}: {width}x{height} is too small "
            f"(each side must be at least {MIN_SIDE} pixels)"
        )


def _from_path(source: str | os.PathLike[str], what: str, limit: int) -> np.ndarray:
    path = os.fspath(source)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ImageNotFoundError(f"cannot load image {what}: no such file") from exc
    except (OSError, ValueError) as exc:  # permission denied, NUL in the path...
        raise ImageError(f"cannot load image {what}: {_reason(exc)}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ImageNotFoundError(f"cannot load image {what}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device could block or never end
        raise ImageNotFoundError(f"cannot load image {what}: not a regular file")
    if st.st_size == 0:
        raise ImageError(f"cannot load image {what}: empty file (0 bytes)")
    try:
        fp = open(path, "rb")
    except OSError as exc:
        raise ImageError(f"cannot load image {what}: {_reason(exc)}") from exc
    with fp:
        return _decode(fp, what, limit)


def heif_available() -> bool:
    """Register pillow-heif's HEIF opener with Pillow once, if installed; True when HEIC can be read."""
    global _heif_registered
    if _heif_registered is None:
        try:
            import pillow_heif
        except ImportError:
            _heif_registered = False
        else:
            pillow_heif.register_heif_opener(thumbnails=False)
            _heif_registered = True
    return _heif_registered


def _looks_like_heif(fp: BinaryIO) -> bool:
    try:
        fp.seek(0)
        head = fp.read(12)
    except (OSError, ValueError):
        return False
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _decode(fp: BinaryIO, what: str, limit: int) -> np.ndarray:
    Image.init()  # registers all plugins, so the allow-list below names only real ones
    heif_available()
    formats = [f for f in READ_FORMATS if f in Image.OPEN]
    try:
        with warnings.catch_warnings():
            # Pillow warns about big or odd files; we turn those into errors ourselves.
            warnings.simplefilter("ignore")
            with Image.open(fp, formats=formats) as im:
                _check_size(*im.size, what, limit)  # header only: nothing decoded yet
                im.load()  # full decode now, so truncated or corrupt data raises here
                try:
                    ImageOps.exif_transpose(im, in_place=True)
                except Exception:  # broken EXIF should not cost the pixels; keep as stored
                    pass
                return _pil_to_rgb(im, what)
    except FaceprintError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's global cap, met before our check
        cap = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        who = f"max_pixels / {ENV_MAX_PIXELS}" if limit <= cap else "2 * PIL.Image.MAX_IMAGE_PIXELS"
        found = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow names the header's pixel count
        size = f"{int(found.group(1)):,} pixels" if found else f"more than {cap:,} pixels"
        raise ImageTooLargeError(
            f"cannot load image {what}: {size}, "
            f"over the limit of {min(limit, cap):,} ({who})"
        ) from exc
    except UnidentifiedImageError as exc:
        if not heif_available() and _looks_like_heif(fp):
            raise ImageError(f"cannot load image {what}: a HEIC/HEIF photo needs the optional package "
                             f"pillow-heif (pip install 'faceprint[heic]')") from exc
        raise ImageError(
            f"cannot load image {what}: not a supported image file ({', '.join(READ_FORMATS)})"
        ) from exc
    except Exception as exc:  # OSError, SyntaxError, ValueError, struct.error, MemoryError...
        raise ImageError(f"cannot load image {what}: corrupt or unreadable ({_reason(exc)})") from exc


def _pil_to_rgb(im: Image.Image, what: str) -> np.ndarray:
    mode = im.mode
    palette_alpha = mode == "P" and ("transparency" in im.info or getattr(im.palette, "mode", "") == "RGBA")
    if mode in _ALPHA_MODES or palette_alpha:
        return _over_white(np.asarray(im.convert("RGBA")))
    if mode == "I" or mode.startswith("I;16"):  # Pillow's convert("RGB") would clip at 255
        grey = np.asarray(im)
        if mode == "I":
            grey = np.clip(grey, 0, 65535)
        return _grey_to_rgb(_scale16(grey.astype(np.uint16)))
    if mode == "F":
        try:
            return _array_to_rgb(np.asarray(im))
        except ShapeError as exc:
            raise ImageError(f"cannot load image {what}: float pixels outside [0, 1]") from exc
    rgb = im if mode == "RGB" else im.convert("RGB")  # L, 1, P, CMYK, YCbCr, HSV...
    return np.array(rgb)  # np.asarray would be read-only


def _from_array(source: np.ndarray, what: str, limit: int) -> np.ndarray:
    a = source[:, :, 0] if source.ndim == 3 and source.shape[2] == 1 else source
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ShapeError("image array", f"shape {source.shape}", "HxW grey, HxWx3 RGB or HxWx4 RGBA")
    _check_size(a.shape[1], a.shape[0], what, limit)
    out = _array_to_rgb(a)
    if np.may_share_memory(out, source):  # never hand back (a view of) the caller's array
        out = out.copy(order="C")
    return np.ascontiguousarray(out)


def _array_to_rgb(a: np.ndarray) -> np.ndarray:
    """2-D grey or HxWx3/4 of any accepted dtype -> HxWx3 uint8 (may alias `a`)."""
    if a.dtype.kind == "u" and a.dtype.itemsize == 1:
        a = a.astype(np.uint8, copy=False)
    elif a.dtype.kind == "u" and a.dtype.itemsize == 2:
        a = _scale16(a)
    elif a.dtype.kind == "f":
        lo, hi = float(a.min()), float(a.max())
        if not (0.0 <= lo and hi <= 1.0):  # also false for NaN
            raise ShapeError("float image array", f"values in [{lo:g}, {hi:g}]", "values in [0, 1]")
        a = np.rint(a * 255.0).astype(np.uint8)
    else:
        raise ShapeError("image array", f"dtype {a.dtype}", "uint8, uint16 or float in [0, 1]")
    if a.ndim == 2:
        return _grey_to_rgb(a)
    return _over_white(a) if a.shape[2] == 4 else a


def _scale16(a: np.ndarray) -> np.ndarray:
    """round(v / 257) in uint16 arithmetic (65535 -> 255); 257 is odd, so no ties."""
    q, r = np.divmod(a.astype(np.uint16, copy=False), np.uint16(257))
    return (q + (r > 128)).astype(np.uint8)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, None], 3, axis=2)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """Composite RGBA uint8 over a white background; uint16 suffices (max 65025 + 127)."""
    rgb = rgba[:, :, :3].astype(np.uint16)
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def _rgb_to_pil(image: np.ndarray) -> Image.Image:
    if not isinstance(image, np.ndarray):
        raise InputError(f"expected an RGB image array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise ShapeError("RGB image", f"shape {image.shape}, dtype {image.dtype}", "HxWx3 uint8")
    return Image.fromarray(np.ascontiguousarray(image))
