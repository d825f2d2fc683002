"""The audit log: one JSON line per enroll / search / remove, from the CLI and the service; 0600,
append-only, with the actor (API key name or "cli"), the route and the outcome, and no images or templates."""

from __future__ import annotations

import json
import stat

import pytest

from faceprint.cli import main
from faceprint.image import encode_jpeg, save_image
from faceprint.privacy.audit import AuditLog

FIELDS = {"time", "actor", "via", "route", "action", "identity", "outcome"}


def _lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _no_template(path, vectors):
    raw = path.read_bytes()
    return all(v.tobytes() not in raw for v in vectors) and b"vector" not in raw


def test_cli_records_enroll_search_remove_and_failures(tmp_path, astronaut, capsys):
    photo = tmp_path / "a.jpg"
    save_image(astronaut, photo)
    log, g = tmp_path / "audit.jsonl", str(tmp_path / "g.db")
    log.write_text('{"earlier": "line"}\n')  # appended to, never rewritten
    assert main(["enroll", "-g", g, "--model", "fast", "--audit-log", str(log), "Eileen", str(photo)]) == 0
    assert main(["identify", "-g", g, "--audit-log", str(log), str(photo), str(tmp_path / "none.jpg")]) == 2
    assert main(["gallery", "-g", g, "--audit-log", str(log), "remove", "Eileen"]) == 0
    assert main(["gallery", "-g", g, "--audit-log", str(log), "remove", "Eileen"]) == 2
    capsys.readouterr()
    lines = _lines(log)
    assert lines[0] == {"earlier": "line"}
    got = [(r["action"], r["identity"], r["outcome"]) for r in lines[1:]]
    assert got == [("enroll", "Eileen", "ok"), ("search", None, "ok"), ("search", None, "image_not_found"),
                   ("remove", "Eileen", "ok"), ("remove", "Eileen", "unknown_identity")]
    assert lines[2]["identities"] == ["Eileen"]
    for r in lines[1:]:
        assert FIELDS <= set(r) and r["actor"] == "cli" and r["via"] == "cli" and r["time"].endswith("Z")
    assert lines[1]["route"] == "faceprint enroll" and lines[4]["route"] == "faceprint gallery remove"
    new = tmp_path / "new.jsonl"
    AuditLog(new).close()
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


def test_two_writers_never_interleave(tmp_path):
    path = tmp_path / "a.jsonl"
    a, b = AuditLog(path), AuditLog(path)
    for i in range(200):
        (a if i % 2 else b).record(actor="x" * 300, via="cli", route="r", action="search", identity=f"n{i}")
    a.close()
    b.close()
    assert [r["identity"] for r in _lines(path)] == [f"n{i}" for i in range(200)]


def test_service_records_the_key_name(tmp_path, astronaut, fast):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.audit_trail import install_audit
    from faceprint.serve.keys import KeyStore

    keys = tmp_path / "keys.json"
    key = KeyStore(str(keys)).create("alice-laptop")
    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "g.db"), keys=str(keys))
    app = create_app(config, analyzer=fast)
    log = install_audit(app, str(tmp_path / "audit.jsonl"))
    auth = {"Authorization": f"Bearer {key}"}
    jpeg = encode_jpeg(astronaut)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.post("/v1/identities", data={"name": "Eileen"}, files={"image": ("a.jpg", jpeg, "image/jpeg")},
                      headers=auth).status_code == 201
        assert c.post("/v1/identify", files={"image": ("a.jpg", jpeg, "image/jpeg")}, headers=auth).status_code == 200
        assert c.post("/v1/identify", files={"image": ("a.jpg", jpeg, "image/jpeg")},
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
        vec = c.app.state.service.gallery.store.load()[2]
        assert len(vec) == 1
        assert c.delete("/v1/identities/Eileen", headers=auth).status_code == 200
        assert c.get("/v1/identities", headers=auth).status_code == 200  # not a logged action
    log.close()
    lines = _lines(tmp_path / "audit.jsonl")
    assert [(r["actor"], r["action"], r["identity"], r["outcome"]) for r in lines] == [
        ("alice-laptop", "enroll", "Eileen", "ok"), ("alice-laptop", "search", None, "ok"),
        ("invalid key", "search", None, "unauthorized"), ("alice-laptop", "remove", "Eileen", "ok")]
    assert lines[1]["identities"] == ["Eileen"] and lines[3]["route"] == "DELETE /v1/identities/{name}"
    assert key not in (tmp_path / "audit.jsonl").read_text() and _no_template(tmp_path / "audit.jsonl", vec)


def _clip(path, astronaut, frames: int = 10):
    """A short video of one face (MJPEG in AVI: OpenCV writes it everywhere)."""
    import cv2

    frame = cv2.cvtColor(cv2.resize(astronaut, (256, 256)), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (256, 256))
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    return path


def test_cli_blur_keep_and_video_are_audited_searches_with_a_key_file(tmp_path, astronaut, monkeypatch, capsys):
    """`blur --keep G` and `video --gallery G` search a gallery: each takes --key-file and --audit-log."""
    import base64
    import os

    monkeypatch.delenv("FACEPRINT_GALLERY_KEY", raising=False)
    photo, clip = tmp_path / "a.jpg", _clip(tmp_path / "clip.avi", astronaut)
    save_image(astronaut, photo)
    key = tmp_path / "secret.key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    (tmp_path / "data").mkdir()
    log, g = tmp_path / "audit.jsonl", str(tmp_path / "data" / "g.db")
    assert main(["enroll", "-g", g, "--model", "fast", "--key-file", str(key), "Eileen", str(photo)]) == 0
    assert main(["blur", str(photo), "--out", str(tmp_path / "out"), "--keep", g, "--key-file", str(key),
                 "--audit-log", str(log)]) == 0
    assert main(["video", str(clip), "--gallery", g, "--key-file", str(key), "--audit-log", str(log)]) == 0
    assert main(["video", str(clip), "--gallery", g]) == 2  # encrypted: without the key, one clear line
    assert "encrypted" in capsys.readouterr().err
    lines = _lines(log)
    assert [(r["route"], r["action"], r["identities"], r["outcome"]) for r in lines] == [
        ("faceprint blur --keep", "search", ["Eileen"], "ok"), ("faceprint video", "search", ["Eileen"], "ok")]
    assert lines[0]["kept"] == 1 and all(r["gallery"] == g and r["actor"] == "cli" for r in lines)


def test_service_records_video_and_blur_searches(tmp_path, astronaut, fast):
    """A video is searched against the gallery in a job: the upload is recorded, and so is the read of
    the finished job's answer, with the names it hands out; polls of a running job are not. A blur
    that kept someone is a search too (named in a JSON answer, counted in a picture's)."""
    pytest.importorskip("fastapi")
    import time

    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.audit_trail import install_audit

    clip = _clip(tmp_path / "clip.avi", astronaut)
    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "g.db"),
                         keys=str(tmp_path / "keys.json"))
    app = create_app(config, analyzer=fast)
    log = install_audit(app, str(tmp_path / "audit.jsonl"))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.post("/v1/identities", data={"name": "Eileen"},
                      files={"image": ("a.jpg", encode_jpeg(astronaut), "image/jpeg")}).status_code == 201
        r = c.post("/v1/videos", files={"video": ("clip.avi", clip.read_bytes(), "video/x-msvideo")})
        assert r.status_code == 202, r.text
        job = r.json()["job"]
        deadline = time.monotonic() + 60
        while (j := c.get(f"/v1/jobs/{job}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, j
            time.sleep(0.1)
        assert j["status"] == "done" and j["result"]["identities"] == ["Eileen"], j
        assert c.get("/v1/jobs/no-such-job").status_code == 404
        photo = {"image": ("a.jpg", encode_jpeg(astronaut), "image/jpeg")}
        for fields in ({"keep": "true", "format": "json"}, {"keep": "true"}, {"format": "json"}):
            assert c.post("/v1/blur", data=fields, files=photo).status_code == 200
    log.close()
    lines = _lines(tmp_path / "audit.jsonl")
    assert [(r["action"], r["route"], r.get("job"), r.get("identities")) for r in lines[1:]] == [
        ("search", "POST /v1/videos", job, None), ("search", "GET /v1/jobs/{id}", job, ["Eileen"]),
        ("search", "POST /v1/blur", None, ["Eileen"]), ("search", "POST /v1/blur", None, None)]
    assert [r["kept"] for r in lines[3:]] == [1, 1]
    assert all(r["actor"] == "local" and r["outcome"] == "ok" for r in lines)
