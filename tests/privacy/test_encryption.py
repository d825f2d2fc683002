"""Gallery encryption at rest: nothing readable in the files, a clear error without the key or with
another, tampering detected, and the CLI's --key-file / $FACEPRINT_GALLERY_KEY."""

from __future__ import annotations

import base64
import json
import os
import sqlite3

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.errors import GalleryDamagedError, GalleryKeyError, InputError
from faceprint.gallery import open_gallery

MODEL = "test/random-128"
NAME = "Zoë Ångström-Test"


def _unit(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def sealed(tmp_path, key):
    path = tmp_path / "data" / "g.db"
    path.parent.mkdir()
    v = _unit(3, 0)
    with open_gallery(path, create=True, key=key) as g:
        g.enroll_vectors(NAME, v[:2], model=MODEL, sources=["zoe-at-home.jpg", "zoe-2.jpg"], metadata={"team": "Røde"})
        g.enroll_vectors("Bob Builder-Test", v[2:], model=MODEL)
    return path, v


def _raw(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def test_works_like_a_plain_gallery(sealed, key):
    path, v = sealed
    with open_gallery(path, key=key) as g:
        assert [i.name for i in g.identities()] == [NAME, "Bob Builder-Test"]
        info = g.show(NAME)
        assert info.metadata == {"team": "Røde"} and [t.source for t in info.templates] == ["zoe-at-home.jpg", "zoe-2.jpg"]
        assert g.identify_vectors(v[1:2], model=MODEL, threshold=0.9)[0].identity == NAME
        g.remove("Bob Builder-Test")
        assert len(g) == 1


def test_files_hold_no_vector_name_or_photo_name(sealed):
    path, v = sealed
    raw = _raw(path.parent)
    for row in v:
        assert row.tobytes()[:32] not in raw
    for text in (NAME, "Bob Builder-Test", "zoe-at-home", "Røde"):
        assert text.encode("utf-8") not in raw, text


def test_control_a_plain_gallery_holds_them(tmp_path):
    v = _unit(1, 0)
    with open_gallery(tmp_path / "g.db", create=True) as g:
        g.enroll_vectors(NAME, v, model=MODEL)
    raw = _raw(tmp_path)
    assert v[0].tobytes() in raw and NAME.encode("utf-8") in raw


def test_without_the_key_or_with_another_a_clear_error(sealed, capsys, monkeypatch, tmp_path):
    path, _ = sealed
    monkeypatch.delenv("FACEPRINT_GALLERY_KEY", raising=False)
    with pytest.raises(GalleryKeyError, match="is encrypted"):
        open_gallery(path)
    with pytest.raises(GalleryKeyError, match="another key"):
        open_gallery(path, key=os.urandom(32))
    assert main(["gallery", "-g", str(path), "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "encrypted" in err and "Traceback" not in err


def test_cli_key_from_env_or_key_file(sealed, key, capsys, monkeypatch, tmp_path):
    path, _ = sealed
    monkeypatch.setenv("FACEPRINT_GALLERY_KEY", base64.b64encode(key).decode())
    assert main(["gallery", "-g", str(path), "list", "--json"]) == 0
    assert [json.loads(x)["identity"] for x in capsys.readouterr().out.splitlines()] == [NAME, "Bob Builder-Test"]
    monkeypatch.delenv("FACEPRINT_GALLERY_KEY")
    keyfile = tmp_path / "secret.key"
    keyfile.write_text(base64.b64encode(key).decode() + "\n")
    assert main(["gallery", "-g", str(path), "--key-file", str(keyfile), "show", NAME, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"] == {"team": "Røde"}
    beside = path.parent / "g.key"  # a key stored beside the gallery protects nothing
    beside.write_text(base64.b64encode(key).decode())
    with pytest.raises(InputError, match="gallery's folder"):
        open_gallery(path, key_file=beside)
    monkeypatch.setenv("FACEPRINT_GALLERY_KEY", "too-short")
    with pytest.raises(InputError, match="32 bytes"):
        open_gallery(path)


def test_moved_or_altered_ciphertext_is_detected(sealed, key):
    path, v = sealed
    db = sqlite3.connect(path)
    a, b = db.execute("SELECT id, vector FROM templates ORDER BY id LIMIT 2").fetchall()
    db.execute("UPDATE templates SET vector=? WHERE id=?", (b[1], a[0]))  # template 2's ciphertext in row 1
    db.commit()
    db.close()
    with open_gallery(path, key=key) as g, pytest.raises(GalleryDamagedError, match="does not open"):
        g.identify_vectors(v[:1], model=MODEL, threshold=0.5)


def test_a_key_for_a_plain_gallery_is_refused(tmp_path, key):
    path = tmp_path / "plain.db"
    with open_gallery(path, create=True) as g:
        g.enroll_vectors("Ann", _unit(1, 1), model=MODEL)
    with pytest.raises(GalleryKeyError, match="not encrypted"):
        open_gallery(path, key=key)


def test_older_faceprint_refuses_an_encrypted_file(sealed):
    path, _ = sealed
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2  # schema 1 readers refuse it
    db.close()


def test_serve_key_file(key, fast, astronaut, tmp_path, monkeypatch, capsys):
    """`faceprint serve --key-file`: the service opens an encrypted gallery with the key from a file,
    under the gallery commands' rules (never beside the gallery, a clear error when missing or wrong)."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app

    path = tmp_path / "data" / "g.db"
    path.parent.mkdir()
    with open_gallery(path, fast, create=True, key=key) as g:
        g.enroll(NAME, [astronaut])
    monkeypatch.delenv("FACEPRINT_GALLERY_KEY", raising=False)
    keyfile = tmp_path / "secret.key"
    keyfile.write_text(base64.b64encode(key).decode() + "\n")

    def config(key_file):
        return ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(path),
                           keys=str(tmp_path / "keys.json"), key_file=str(key_file))

    with TestClient(create_app(config(keyfile), analyzer=fast)) as client:
        r = client.get("/v1/identities")
        assert r.status_code == 200, r.text
        assert [i["identity"] for i in r.json()["identities"]] == [NAME]
    other = tmp_path / "other.key"
    other.write_text(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(GalleryKeyError, match="another key"), TestClient(create_app(config(other), analyzer=fast)):
        pass
    beside = path.parent / "g.key"
    beside.write_text(base64.b64encode(key).decode())
    # The command line: one clear line and exit 2, before any model is loaded.
    for bad, says in ((tmp_path / "missing.key", "cannot read it"), (beside, "gallery's folder")):
        assert main(["serve", "--gallery", str(path), "--keys", str(tmp_path / "keys.json"),
                     "--key-file", str(bad)]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_cluster_enroll_key_file(key, astronaut, cameraman, tmp_path, monkeypatch, capsys):
    """`cluster --enroll GALLERY --key-file PATH` makes (and then opens) an encrypted gallery."""
    import cv2

    from faceprint.image import save_image

    monkeypatch.delenv("FACEPRINT_GALLERY_KEY", raising=False)
    monkeypatch.setenv("FACEPRINT_CACHE", str(tmp_path / "cache"))
    photos, out, gal = tmp_path / "photos", tmp_path / "out", tmp_path / "data" / "g.db"
    photos.mkdir()
    gal.parent.mkdir()
    save_image(astronaut, photos / "a1.jpg")
    save_image(cv2.flip(astronaut, 1), photos / "a2.png")
    save_image(np.repeat(cameraman[:, :, None], 3, axis=2), photos / "cam.png")
    keyfile = tmp_path / "secret.key"
    keyfile.write_text(base64.b64encode(key).decode())
    assert main(["cluster", str(photos), "--out", str(out), "--model", "fast"]) == 0
    argv = ["cluster", str(photos), "--out", str(out), "--model", "fast", "--name", f"0={NAME}", "--enroll", str(gal)]
    assert main([*argv, "--key-file", str(keyfile)]) == 0
    assert NAME.encode() not in gal.read_bytes()
    with open_gallery(gal, key=key) as g:
        assert [i.name for i in g.identities()] == [NAME]
    assert main(argv) == 2  # without the key: one clear line
    err = capsys.readouterr().err
    assert "encrypted" in err and "Traceback" not in err
