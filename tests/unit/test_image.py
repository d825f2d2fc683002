"""Tests for faceprint.image: every way user input becomes (or fails to become) an image."""

from __future__ import annotations

import io
import pathlib
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image
from skimage import data

from faceprint.errors import (
    FaceprintError,
    ImageError,
    ImageNotFoundError,
    ImageTooLargeError,
    InputError,
    ShapeError,
)
from faceprint.image import (
    DEFAULT_MAX_PIXELS,
    ENV_MAX_PIXELS,
    MIN_SIDE,
    describe_source,
    encode_jpeg,
    load_image,
    save_image,
)


@pytest.fixture(autouse=True)
def _no_env_limit(monkeypatch):
    monkeypatch.delenv(ENV_MAX_PIXELS, raising=False)


@pytest.fixture(scope="module")
def astro() -> np.ndarray:
    return data.astronaut()  # RGB uint8 512x512


def encode(img: np.ndarray | Image.Image, fmt: str, **kw) -> bytes:
    pil = img if isinstance(img, Image.Image) else Image.fromarray(img)
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    return buf.getvalue()


def pil_decode(blob: bytes) -> np.ndarray:
    """Plain Pillow decode, no EXIF handling: the reference for lossy formats."""
    return np.array(Image.open(io.BytesIO(blob)).convert("RGB"))


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A PNG whose IHDR says width x height (8-bit RGB); the pixel data is tiny unless given."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16) if idat is None else idat
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def check_rgb(out: np.ndarray, shape: tuple[int, int]) -> None:
    assert out.dtype == np.uint8
    assert out.shape == (*shape, 3)
    assert out.flags.c_contiguous and out.flags.writeable


# --- decoding files and bytes -------------------------------------------------------


def test_png_bytes_round_trip_exact(astro):
    out = load_image(encode(astro, "PNG"))
    check_rgb(out, (512, 512))
    np.testing.assert_array_equal(out, astro)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_like_inputs(astro, wrap):
    blob = encode(astro, "PNG")
    np.testing.assert_array_equal(load_image(wrap(blob)), astro)


def test_non_contiguous_memoryview(astro):
    blob = encode(astro[:32, :32], "PNG")
    padded = bytes(x for b in blob for x in (b, 0))
    view = memoryview(padded)[::2]
    assert not view.contiguous and view.tobytes() == blob
    np.testing.assert_array_equal(load_image(view), astro[:32, :32])


def test_jpeg_bytes_match_pillow_and_original(astro):
    blob = encode(astro, "JPEG", quality=95)
    out = load_image(blob)
    check_rgb(out, (512, 512))
    np.testing.assert_array_equal(out, pil_decode(blob))
    assert np.abs(out.astype(int) - astro).mean() < 3


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
def test_paths_png_and_jpeg(tmp_path, astro, as_path):
    (tmp_path / "a.png").write_bytes(encode(astro, "PNG"))
    (tmp_path / "a.jpg").write_bytes(encode(astro, "JPEG", quality=95))
    np.testing.assert_array_equal(load_image(as_path(tmp_path / "a.png")), astro)
    jpg = load_image(as_path(tmp_path / "a.jpg"))
    check_rgb(jpg, (512, 512))
    assert np.abs(jpg.astype(int) - astro).mean() < 3


def test_grey_png_becomes_three_equal_channels(astro):
    grey = astro[:, :, 1]
    out = load_image(encode(grey, "PNG"))
    check_rgb(out, (512, 512))
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], grey)


def test_rgba_png_composited_on_white():
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., :3] = (10, 20, 30)
    rgba[:8, :, 3] = 255  # top half opaque
    rgba[8:, :, 3] = 0  # bottom half fully transparent: hidden colour must not show
    rgba[8:, :8, 3] = 128  # half transparent block
    out = load_image(encode(rgba, "PNG"))
    assert out[0, 0].tolist() == [10, 20, 30]
    assert out[15, 15].tolist() == [255, 255, 255]
    assert out[12, 4].tolist() == [(10 * 128 + 255 * 127 + 127) // 255,
                                   (20 * 128 + 255 * 127 + 127) // 255,
                                   (30 * 128 + 255 * 127 + 127) // 255]


def test_la_png_composited_on_white():
    la = np.zeros((16, 16, 2), np.uint8)
    la[..., 0] = 40
    la[:, 8:, 1] = 255
    pil = Image.merge("LA", [Image.fromarray(la[..., 0]), Image.fromarray(la[..., 1])])
    out = load_image(encode(pil, "PNG"))
    assert out[0, 0].tolist() == [255, 255, 255]
    assert out[0, 15].tolist() == [40, 40, 40]


def test_palette_png_with_transparency():
    pal = Image.new("P", (16, 16), 0)
    pal.putpalette([200, 0, 0, 0, 0, 200] + [0] * 762)
    pal.paste(1, (0, 0, 8, 16))  # left half index 1 (blue), right half index 0 (red)
    blob = encode(pal, "PNG", transparency=0)  # index 0 transparent
    out = load_image(blob)
    assert out[0, 0].tolist() == [0, 0, 200]
    assert out[0, 15].tolist() == [255, 255, 255]
    # the same palette image without transparency keeps its red
    assert load_image(encode(pal, "PNG"))[0, 15].tolist() == [200, 0, 0]


def test_palette_gif(astro):
    blob = encode(Image.fromarray(astro).quantize(64), "GIF")
    out = load_image(blob)
    check_rgb(out, (512, 512))
    np.testing.assert_array_equal(out, pil_decode(blob))
    assert np.abs(out.astype(int) - astro).mean() < 12


def test_one_bit_png():
    bits = np.zeros((16, 16), bool)
    bits[:, 8:] = True
    out = load_image(encode(Image.fromarray(bits), "PNG"))
    assert out[0, 0].tolist() == [0, 0, 0]
    assert out[0, 15].tolist() == [255, 255, 255]


def test_16bit_png_is_scaled_not_clipped():
    values = np.array([0, 128, 129, 257, 32768, 65535, 1000, 40000], np.uint16)
    grey = np.tile(values, (8, 1))
    blob = encode(Image.fromarray(grey), "PNG")
    assert Image.open(io.BytesIO(blob)).mode.startswith("I")  # really a 16-bit file
    out = load_image(blob)
    check_rgb(out, (8, 8))
    assert out[0, :, 0].tolist() == [0, 0, 1, 1, 128, 255, 4, 156]
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_32bit_int_tiff_taken_as_16bit():
    grey = np.tile(np.array([-5, 0, 257, 32768, 65535, 70000, 514, 1], np.int32), (8, 1))
    blob = encode(Image.fromarray(grey), "TIFF")
    assert Image.open(io.BytesIO(blob)).mode == "I"
    assert load_image(blob)[0, :, 1].tolist() == [0, 0, 1, 128, 255, 255, 2, 0]


def test_cmyk_jpeg(astro):
    blob = encode(Image.fromarray(astro).convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(blob)).mode == "CMYK"
    out = load_image(blob)
    check_rgb(out, (512, 512))
    assert np.abs(out.astype(int) - astro).mean() < 4


def test_ycbcr_tiff(astro):
    blob = encode(Image.fromarray(astro).convert("YCbCr"), "TIFF")
    assert Image.open(io.BytesIO(blob)).mode == "YCbCr"
    out = load_image(blob)
    assert np.abs(out.astype(int) - astro).mean() < 3


@pytest.mark.parametrize("orientation, k", [(6, -1), (8, 1), (3, 2)])
def test_exif_orientation_applied(astro, orientation, k):
    img = astro[:, :384]  # not square, so a rotation swaps the shape
    exif = Image.Exif()
    exif[0x0112] = orientation
    blob = encode(img, "JPEG", quality=95, exif=exif.tobytes())
    stored = pil_decode(blob)  # pixels as stored, unrotated
    out = load_image(blob)
    expected = np.rot90(stored, k)  # k=-1: clockwise
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    assert np.abs(out.astype(int) - np.rot90(img, k)).mean() < 3
    if k != 2:
        assert out.shape == (384, 512, 3)
        assert not np.array_equal(out, np.rot90(stored, -k))  # the direction matters


# --- errors from files and bytes -------------------------------------------------------


def one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_truncated_jpeg_bytes_is_error(astro):
    blob = encode(astro, "JPEG", quality=95)
    half = blob[: len(blob) // 2]
    with pytest.raises(ImageError) as exc:
        load_image(half)
    assert type(exc.value) is ImageError
    msg = one_line(exc)
    assert f"<bytes, {len(half)} bytes>" in msg and "truncated" in msg


def test_truncated_jpeg_file_is_error(tmp_path, astro):
    path = tmp_path / "cut.jpg"
    path.write_bytes(encode(astro, "JPEG")[:3000])
    with pytest.raises(ImageError) as exc:
        load_image(path)
    assert str(path) in one_line(exc)


def test_corrupt_png_crc_is_error(astro):
    blob = bytearray(encode(astro, "PNG"))
    blob[200] ^= 0xFF  # inside the first IDAT: CRC no longer matches
    with pytest.raises(ImageError) as exc:
        load_image(bytes(blob))
    assert "corrupt" in one_line(exc)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 10)
    with pytest.raises(ImageError) as exc:
        load_image(path)
    msg = one_line(exc)
    assert str(path) in msg and "not a supported image" in msg


def test_format_outside_allow_list_refused(astro):
    blob = encode(astro[:64, :64], "PCX")
    assert Image.open(io.BytesIO(blob)).format == "PCX"  # Pillow itself would read it
    with pytest.raises(ImageError) as exc:
        load_image(blob)
    assert "not a supported image" in one_line(exc)


def test_empty_file_and_empty_bytes(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError) as exc:
        load_image(path)
    assert "empty file (0 bytes)" in one_line(exc) and str(path) in str(exc.value)
    with pytest.raises(ImageError) as exc:
        load_image(b"")
    assert "<bytes, 0 bytes>" in one_line(exc)


def test_tiny_images_refused():
    with pytest.raises(ImageError) as exc:
        load_image(encode(np.zeros((1, 1, 3), np.uint8), "PNG"))
    assert type(exc.value) is ImageError and "1x1 is too small" in one_line(exc)
    with pytest.raises(ImageError, match="too small"):
        load_image(encode(np.zeros((MIN_SIDE, MIN_SIDE - 1, 3), np.uint8), "PNG"))
    ok = load_image(encode(np.full((MIN_SIDE, MIN_SIDE, 3), 7, np.uint8), "PNG"))
    assert ok.shape == (MIN_SIDE, MIN_SIDE, 3) and ok[0, 0, 0] == 7


def test_handmade_png_builder_is_valid():
    rows = b"".join(b"\x00" + bytes([50, 60, 70]) * 8 for _ in range(8))
    out = load_image(png_claiming(8, 8, zlib.compress(rows)))
    assert out.shape == (8, 8, 3) and out[7, 7].tolist() == [50, 60, 70]


@pytest.mark.parametrize("max_pixels", [None, 10**11])  # ours, and Pillow's own bomb error
def test_png_header_claiming_huge_size_refused_quickly(max_pixels):
    before = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError) as exc:
            load_image(png_claiming(100_000, 100_000), max_pixels=max_pixels)
    assert time.perf_counter() - start < 1.0
    assert caught == []
    assert Image.MAX_IMAGE_PIXELS == before  # Pillow's global left alone
    msg = one_line(exc)
    if max_pixels is None:
        assert f"over the limit of {DEFAULT_MAX_PIXELS:,} (max_pixels" in msg
    else:  # our limit allows it, Pillow's global one does not: still our typed error
        assert "PIL.Image.MAX_IMAGE_PIXELS" in msg


def test_size_between_our_limit_and_pillow_warning_no_warning_leaks():
    # 10000x10000 = 1e8 pixels: Pillow warns (DecompressionBombWarning); we must only raise.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError, match="10000x10000"):
            load_image(png_claiming(10_000, 10_000))
    assert caught == []
    with pytest.raises(ImageTooLargeError, match="8000x8000"):  # under Pillow's limits
        load_image(png_claiming(8000, 8000))


def test_max_pixels_argument(astro):
    blob = encode(astro, "PNG")
    assert load_image(blob, max_pixels=512 * 512).shape == (512, 512, 3)
    with pytest.raises(ImageTooLargeError, match="262,144 pixels, over the limit of 262,143"):
        load_image(blob, max_pixels=512 * 512 - 1)
    with pytest.raises(ImageTooLargeError):
        load_image(astro, max_pixels=1000)  # arrays are limited too


def test_max_pixels_env_var(monkeypatch, astro):
    blob = encode(astro, "PNG")
    monkeypatch.setenv(ENV_MAX_PIXELS, "1000")
    with pytest.raises(ImageTooLargeError, match="over the limit of 1,000"):
        load_image(blob)
    assert load_image(blob, max_pixels=10**6).shape == (512, 512, 3)  # argument wins
    monkeypatch.setenv(ENV_MAX_PIXELS, "1_000_000")
    assert load_image(blob).shape == (512, 512, 3)
    monkeypatch.setenv(ENV_MAX_PIXELS, "lots")
    with pytest.raises(InputError, match=ENV_MAX_PIXELS):
        load_image(blob)


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "100"])
def test_bad_max_pixels(astro, bad):
    with pytest.raises(InputError, match="max_pixels"):
        load_image(astro, max_pixels=bad)


def test_missing_path(tmp_path):
    path = tmp_path / "nope.jpg"
    with pytest.raises(ImageNotFoundError) as exc:
        load_image(str(path))
    assert isinstance(exc.value, FileNotFoundError)
    assert str(path) in one_line(exc) and "no such file" in str(exc.value)
    with pytest.raises(ImageNotFoundError):
        load_image(tmp_path / "nope.jpg" / "child.jpg")


def test_directory(tmp_path):
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path)
    assert exc.value.code == "image_not_found"
    assert "is a directory" in one_line(exc) and str(tmp_path) in str(exc.value)


def test_nul_in_path_is_typed_error():
    with pytest.raises(ImageError):
        load_image("bad\0name.jpg")


@pytest.mark.parametrize("bad, name", [(1, "int"), (None, "NoneType"), ([1, 2], "list"),
                                       ({"a": 1}, "dict"), (2.5, "float"), (np.uint8(3), "uint8")])
def test_wrong_types(bad, name):
    with pytest.raises(InputError) as exc:
        load_image(bad)
    assert f"from {name}:" in one_line(exc)


# --- arrays -----------------------------------------------------------------------------


def test_rgb_array_is_copied(astro):
    src = astro.copy()
    out = load_image(src)
    np.testing.assert_array_equal(out, astro)
    assert not np.shares_memory(out, src)
    src[0, 0] = 0
    assert out[0, 0].tolist() == astro[0, 0].tolist()


def test_non_contiguous_array(astro):
    view = astro[::2, ::-2]
    out = load_image(view)
    check_rgb(out, (256, 256))
    np.testing.assert_array_equal(out, view)


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 1)])
def test_grey_array(shape):
    grey = np.arange(600, dtype=np.uint8).reshape(shape)
    out = load_image(grey)
    check_rgb(out, (20, 30))
    assert out[1, 2].tolist() == [32, 32, 32]


def test_rgba_array_over_white():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = 100
    rgba[0, 0, 3] = 255
    rgba[0, 1, 3] = 0
    rgba[0, 2, 3] = 51  # 20 %
    out = load_image(rgba)
    assert out[0, 0].tolist() == [100] * 3
    assert out[0, 1].tolist() == [255] * 3
    assert out[0, 2].tolist() == [224] * 3  # 0.2*100 + 0.8*255 = 224


def test_float_array():
    f = np.zeros((8, 8, 3), np.float32)
    f[0, 0] = (0.0, 0.5, 1.0)
    f[0, 1] = (0.25, 0.1, 0.999)
    out = load_image(f)
    assert out[0, 0].tolist() == [0, 128, 255]
    assert out[0, 1].tolist() == [64, 26, 255]
    assert load_image(f.astype(np.float64))[0, 0].tolist() == [0, 128, 255]


def test_uint16_array_scaled():
    a = np.zeros((8, 8), np.uint16)
    a[0, :6] = [65535, 32768, 257, 128, 129, 0]
    assert load_image(a)[0, :6, 0].tolist() == [255, 128, 1, 0, 1, 0]
    assert load_image(a.astype(">u2"))[0, :6, 0].tolist() == [255, 128, 1, 0, 1, 0]


@pytest.mark.parametrize("arr, needle", [
    (np.zeros(64, np.uint8), "shape (64,)"),
    (np.zeros((8, 8, 2), np.uint8), "shape (8, 8, 2)"),
    (np.zeros((8, 8, 5), np.uint8), "shape (8, 8, 5)"),
    (np.zeros((2, 8, 8, 3), np.uint8), "shape (2, 8, 8, 3)"),
    (np.zeros((8, 8, 3), np.int64), "dtype int64"),
    (np.zeros((8, 8, 3), bool), "dtype bool"),
    (np.zeros((8, 8, 3), np.complex64), "dtype complex64"),
    (np.full((8, 8, 3), 1.5, np.float32), "values in [1.5, 1.5]"),
    (np.full((8, 8, 3), -0.1), "values in [-0.1"),
    (np.full((8, 8, 3), np.nan), "expected values in [0, 1]"),
])
def test_bad_arrays(arr, needle):
    with pytest.raises(ShapeError) as exc:
        load_image(arr)
    assert needle in one_line(exc)


def test_small_array_is_image_error():
    with pytest.raises(ImageError, match="4x4 is too small"):
        load_image(np.zeros((4, 4, 3), np.uint8))


# --- describe_source, encode_jpeg, save_image --------------------------------------------


def test_describe_source(tmp_path):
    assert describe_source(str(tmp_path / "a.jpg")) == f"'{tmp_path / 'a.jpg'}'"
    assert describe_source(tmp_path / "a.jpg") == f"'{tmp_path / 'a.jpg'}'"
    assert describe_source("a\nb.jpg") == "'a\\nb.jpg'"  # stays on one line
    assert describe_source(b"abcde") == "<bytes, 5 bytes>"
    assert describe_source(bytearray(3)) == "<bytearray, 3 bytes>"
    assert describe_source(memoryview(b"xy")) == "<memoryview, 2 bytes>"
    assert describe_source(np.zeros((2, 3), np.uint8)) == "<array, shape (2, 3), dtype uint8>"
    assert describe_source(42) == "<int>"


def test_encode_jpeg(astro):
    blob = encode_jpeg(astro)
    assert blob[:2] == b"\xff\xd8"
    back = load_image(blob)
    assert np.abs(back.astype(int) - astro).mean() < 4
    assert len(encode_jpeg(astro, quality=20)) < len(encode_jpeg(astro, quality=95))


@pytest.mark.parametrize("quality", [0, 101, 2.5, True, "90"])
def test_encode_jpeg_bad_quality(astro, quality):
    with pytest.raises(InputError, match="quality"):
        encode_jpeg(astro, quality=quality)


@pytest.mark.parametrize("bad, err", [([[1]], InputError),
                                      (np.zeros((8, 8), np.uint8), ShapeError),
                                      (np.zeros((8, 8, 3), np.float32), ShapeError)])
def test_encode_jpeg_bad_image(bad, err):
    with pytest.raises(err):
        encode_jpeg(bad)


def test_save_image(tmp_path, astro):
    save_image(astro, tmp_path / "out.png")
    np.testing.assert_array_equal(load_image(tmp_path / "out.png"), astro)
    save_image(astro, str(tmp_path / "out.JPG"))
    assert (tmp_path / "out.JPG").read_bytes()[:2] == b"\xff\xd8"
    assert np.abs(load_image(tmp_path / "out.JPG").astype(int) - astro).mean() < 4


def test_save_image_errors(tmp_path, astro):
    with pytest.raises(InputError, match="out.eps"):
        save_image(astro, tmp_path / "out.eps")
    with pytest.raises(InputError, match="out"):
        save_image(astro, tmp_path / "out")
    with pytest.raises(InputError, match="missing"):
        save_image(astro, tmp_path / "missing" / "out.png")
    with pytest.raises(ShapeError):
        save_image(astro[..., 0], tmp_path / "grey.png")
    assert not (tmp_path / "grey.png").exists()


def test_every_error_is_a_faceprint_error():
    for exc_type in (ImageError, ImageNotFoundError, ImageTooLargeError, InputError, ShapeError):
        assert issubclass(exc_type, FaceprintError)
