"""Issue 19's CLI items: every batch input answered under one exit rule, output paths that
cannot be written, a full stdout, non-finite thresholds, one-line usage errors, and embed's
provenance. The bad-input corpus is built here."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.image import encode_jpeg, save_image


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, astronaut, cameraman) -> dict[str, Path]:
    """Two good photos and one file of every bad kind."""
    import struct

    d = tmp_path_factory.mktemp("corpus")
    jpeg = encode_jpeg(astronaut)
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    files = {"astronaut": d / "astronaut.jpg", "camera": d / "camera.png"}
    save_image(astronaut, files["astronaut"])
    save_image(np.stack([cameraman] * 3, -1), files["camera"])
    bad = {"truncated": jpeg[: len(jpeg) // 2], "corrupt": jpeg[:600] + bytes(range(256)) * 40,
           "empty": b"", "text": b"not a picture\n",
           "bomb": b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")}
    for name, data in bad.items():
        files[name] = d / f"{name}.jpg"
        files[name].write_bytes(data)
    files["missing"] = d / "missing.jpg"
    files["folder"] = d / "a_folder.jpg"
    files["folder"].mkdir()
    return files


BAD = ("truncated", "corrupt", "empty", "text", "bomb", "missing", "folder")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def usage(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "usage:" not in err and "Traceback" not in err, err
    return err


# -- the batch rule: every input answered, exit 2 if any failed -----------------------------------
@pytest.mark.parametrize("command", ["detect", "analyze"])
def test_batch_commands_answer_every_input_and_exit_2(capsys, corpus, command):
    inputs = [corpus["astronaut"], *(corpus[k] for k in BAD), corpus["camera"]]
    code, out, err = run(capsys, command, *inputs, "--model", "fast", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and [r["file"] for r in records] == [str(p) for p in inputs]
    assert [("error" in r) for r in records] == [False] + [True] * len(BAD) + [False]
    assert "Traceback" not in err
    code, out, err = run(capsys, command, corpus["astronaut"], corpus["truncated"], "--model", "fast")
    assert code == 2 and str(corpus["astronaut"]) in out and len(err.strip().splitlines()) == 1
    assert run(capsys, command, corpus["astronaut"], "--model", "fast")[0] == 0


def test_embed_keeps_the_good_rows_and_says_which_file_each_is(capsys, corpus, tmp_path):
    from faceprint.embedding_file import load_embeddings

    out = tmp_path / "emb"
    code, stdout, err = run(capsys, "embed", corpus["astronaut"], corpus["truncated"], corpus["camera"],
                            "--out", out, "--model", "fast", "--json")
    summary = json.loads(stdout.splitlines()[-1])
    assert code == 2 and "truncated.jpg" in stdout
    assert summary["out"] == str(tmp_path / "emb.npz") and Path(summary["out"]).is_file()  # the path written
    e = load_embeddings(summary["out"], model=summary["model"])
    assert e.files == (str(corpus["astronaut"]), str(corpus["camera"])) and e.embeddings.shape == (2, 128)


def test_embed_file_carries_its_model_and_refuses_another(capsys, corpus, tmp_path):
    from faceprint.embedding_file import load_embeddings
    from faceprint.errors import InputError, ModelMismatchError

    out = tmp_path / "a.npz"
    assert run(capsys, "embed", corpus["astronaut"], "--out", out, "--model", "fast")[0] == 0
    assert load_embeddings(out).model.startswith("fast/")
    with pytest.raises(ModelMismatchError, match="cannot be compared"):
        load_embeddings(out, model="accurate/v1:yunet>sface+dlib-resnet+flip")
    np.save(tmp_path / "bare.npy", np.zeros((1, 128), np.float32))
    with pytest.raises(InputError, match="without a model id"):
        load_embeddings(tmp_path / "bare.npy")
    code, _, err = run(capsys, "embed", corpus["astronaut"], "--out", tmp_path / "x.npy", "--model", "fast")
    assert code == 2 and ".npz" in err and not (tmp_path / "x.npy").exists()


# -- verify --pairs ----------------------------------------------------------------------------
def test_pairs_rows_with_one_field_an_empty_cell_and_a_bom_header(capsys, corpus, tmp_path):
    root = corpus["astronaut"].parent
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("\ufeffpath_a,path_b,same\r\n"  # Excel: a BOM and CRLF
                     "astronaut.jpg,camera.png,0\r\n"
                     "astronaut.jpg\r\n"  # one field
                     "astronaut.jpg,,1\r\n"  # an empty cell
                     ",camera.png,0\r\n"
                     "astronaut.jpg,truncated.jpg,1\r\n"
                     "astronaut.jpg,astronaut.jpg,1\r\n", encoding="utf-8")
    code, out, err = run(capsys, "verify", "--pairs", pairs, "--root", root, "--model", "fast", "--json")
    recs = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(recs) == 6 and "Traceback" not in err
    assert [r.get("error", {}).get("code") for r in recs] == [None, "bad_input", "bad_input", "bad_input",
                                                              "bad_image", None]
    assert "line 3" in recs[1]["error"]["message"] and "too few fields" in recs[1]["error"]["message"]
    assert "path_b is empty" in recs[2]["error"]["message"] and "path_a is empty" in recs[3]["error"]["message"]
    assert recs[0]["same"] is False and recs[5]["same"] is True
    code, out, err = run(capsys, "verify", "--pairs", pairs, "--root", root, "--model", "fast")  # text
    errs = err.strip().splitlines()  # one line per bad row, then the progress summary (not a terminal)
    assert code == 2 and len(out.strip().splitlines()) == 2 and len(errs) == 5 and errs[-1].startswith("pairs: 6 pairs")


def test_pairs_exit_codes(capsys, corpus, tmp_path):
    root = corpus["astronaut"].parent
    good = tmp_path / "good.csv"
    good.write_text("path_a,path_b\nastronaut.jpg,astronaut.jpg\nastronaut.jpg,camera.png\n")
    args = ("verify", "--pairs", good, "--root", root, "--model", "fast", "--json")
    assert run(capsys, *args)[0] == 0
    assert run(capsys, *args, "--fail-if-different")[0] == 1


# -- output paths and stdout ----------------------------------------------------------------------
@pytest.mark.parametrize("argv, fragment", [
    (["embed", "{a}", "--out", "/nonexistent/dir/x.npz"], "/nonexistent/dir does not exist"),
    (["embed", "{a}", "--out", "{d}"], "is a folder"),
    (["embed", "{a}", "--out", "{d}/x.npy"], "name it .npz"),
    (["detect", "{a}", "--draw", "/etc/passwd"], "exists and is not a folder"),
    (["detect", "{a}", "--draw", "/proc/xx"], "cannot create the folder"),
    (["analyze", "{a}", "--draw", "/proc/xx"], "cannot create the folder"),
    (["cluster", "{d}", "--out", "/proc/xx"], "cannot create the folder"),
])
def test_unwritable_output_paths_are_one_line(capsys, corpus, tmp_path, argv, fragment):
    a, d = str(corpus["astronaut"]), str(tmp_path)
    code, out, err = run(capsys, *[x.format(a=a, d=d) for x in argv], "--model", "fast")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err and "Traceback" not in err, err


def test_a_full_stdout_is_one_line_and_exit_2(corpus, tmp_path):
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "faceprint", "models", "--json"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == "faceprint: error: cannot write to standard output: No space left on device"


def test_gallery_export_to_a_device_or_missing_folder_is_refused(capsys, tmp_path):
    from faceprint.gallery import open_gallery

    with open_gallery(tmp_path / "g.db", create=True) as g:
        g.enroll_many([("ada", np.eye(4, dtype=np.float32)[:1])], model="m/1")
    for target, fragment in (("/dev/full", "not a regular file"), ("/nonexistent/x.jsonl", "No such file")):
        code, _, err = run(capsys, "gallery", "-g", tmp_path / "g.db", "export", target)
        assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1
    assert Path("/dev/full").is_char_device()  # never replaced by a file


# -- numbers and usage --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_non_finite_thresholds_are_usage_errors(capsys, corpus, value, json_flag):
    a = corpus["astronaut"]
    err = usage(capsys, "verify", a, a, f"--threshold={value}", *json_flag)
    assert "finite" in err
    assert "finite" in usage(capsys, "identify", "-g", "x.db", a, f"--threshold={value}", *json_flag)
    assert "finite" in usage(capsys, "cluster", a.parent, "--out", "o", f"--threshold={value}", *json_flag)


@pytest.mark.parametrize("argv", [[], ["nosuch"], ["detect"], ["verify", "--fmr", "7"], ["embed", "a.jpg"],
                                  ["verify", "--face", "-1", "a", "b"], ["gallery", "-g", "x.db"],
                                  ["eval", "verification", "--out", "r"]])
def test_usage_errors_are_one_line(capsys, argv):
    err = usage(capsys, *argv)
    assert err.startswith("faceprint") and "--help" in err


def test_a_full_disk_behind_embed_out_is_one_line_and_leaves_no_file(corpus, tmp_path):
    import resource
    import signal

    def tiny_files() -> None:  # every file this process writes may hold 300 bytes: the .npz cannot
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    out = tmp_path / "e.npz"
    r = subprocess.run([sys.executable, "-m", "faceprint", "embed", str(corpus["astronaut"]), "--out", str(out),
                        "--model", "fast"], capture_output=True, text=True, timeout=120, preexec_fn=tiny_files)
    assert r.returncode == 2 and r.stderr.startswith("faceprint: error: --out") and "cannot write" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary
