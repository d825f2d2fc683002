"""`require_live=true` and `quality_filter` in the service: refusals keep the one error shape."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")
pytest.importorskip("onnxruntime")


@pytest.fixture
def client(fast, tmp_path: Path):
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app

    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "gallery.db"), keys=str(tmp_path / "keys.json"))
    with TestClient(create_app(config, analyzer=fast), raise_server_exceptions=False) as c:
        yield c


def test_verify_and_enroll_refuse_a_spoof_when_asked(client, shared_data):
    samples = shared_data.parent / "models" / "minifasnet" / "samples"
    if not samples.is_dir():
        pytest.skip("MiniFASNet samples not found")
    t1, f1 = (samples / "image_T1.jpg").read_bytes(), (samples / "image_F1.jpg").read_bytes()
    r = client.post("/v1/verify", files={"image_a": ("a.jpg", t1), "image_b": ("b.jpg", t1)},
                    data={"require_live": "true"})
    assert r.status_code == 200 and r.json()["liveness_a"]["live"] is True
    r = client.post("/v1/verify", files={"image_a": ("a.jpg", t1), "image_b": ("b.jpg", f1)},
                    data={"require_live": "true"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_live"
    assert "image_b" in r.json()["error"]["message"] and "/" not in r.json()["error"]["message"]
    r = client.post("/v1/identities", files=[("image", ("f1.jpg", f1))], data={"name": "X", "require_live": "true"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_live"
    assert client.get("/v1/identities").json()["count"] == 0
    r = client.post("/v1/identities", files=[("image", ("t1.jpg", t1))], data={"name": "X", "quality_filter": "ultra"})
    assert r.status_code == 422
    r = client.post("/v1/identities", files=[("image", ("t1.jpg", t1))],
                    data={"name": "X", "require_live": "true", "quality_filter": "medium"})
    assert r.status_code == 201 and r.json()["warnings"] == []
