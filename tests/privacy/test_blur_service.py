"""POST /v1/blur through the ASGI test client, and the page's Blur action (always run)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from faceprint.image import encode_jpeg, encode_png, load_image

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")


@pytest.fixture
def client(fast, tmp_path):
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app

    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "g.db"),
                         keys=str(tmp_path / "keys.json"))
    with TestClient(create_app(config, analyzer=fast), raise_server_exceptions=False) as c:
        yield c


def test_blur_returns_the_covered_jpeg(client, astronaut):
    r = client.post("/v1/blur", files={"image": ("a.png", encode_png(astronaut), "image/png")})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg" and r.headers["x-faceprint-covered"] == "1"
    out = load_image(r.content)
    assert out.shape == astronaut.shape
    face = (slice(80, 170), slice(190, 260))  # inside the astronaut's face
    assert np.abs(out[face].astype(int) - astronaut[face]).mean() > 10


def test_blur_json_and_png(client, astronaut):
    r = client.post("/v1/blur", files={"image": ("a.jpg", encode_jpeg(astronaut), "image/jpeg")},
                    data={"format": "json", "method": "solid"})
    body = r.json()
    assert r.status_code == 200 and body["covered"] == 1 and body["method"] == "solid"
    x1, y1, x2, y2 = body["faces"][0]["cover_box"]
    assert x1 < body["faces"][0]["box"][0] and x2 > body["faces"][0]["box"][2]
    r = client.post("/v1/blur", files={"image": ("a.jpg", encode_jpeg(astronaut), "image/jpeg")},
                    data={"format": "png", "method": "solid"})
    out = load_image(r.content)
    assert r.headers["content-type"] == "image/png"
    assert np.all(out[int(y1) + 1:int(y2) - 1, int(x1) + 1:int(x2) - 1] == 0)


def test_blur_keep_leaves_an_enrolled_person(client, astronaut):
    r = client.post("/v1/identities", data={"name": "Eileen"},
                    files={"image": ("a.jpg", encode_jpeg(astronaut), "image/jpeg")})
    assert r.status_code == 201, r.text
    r = client.post("/v1/blur", files={"image": ("a.png", encode_png(astronaut), "image/png")},
                    data={"keep": "true", "format": "json"})
    faces = r.json()["faces"]
    assert [f["covered"] for f in faces] == [False] and faces[0]["identity"] == "Eileen"
    r = client.post("/v1/blur", files={"image": ("a.png", encode_png(astronaut), "image/png")}, data={"format": "json"})
    assert r.json()["covered"] == 1  # without keep, everyone is covered


@pytest.mark.parametrize("payload, code", [(b"", "bad_image"), (b"not an image at all", "bad_image")])
def test_bad_uploads_get_the_error_envelope(client, payload, code):
    r = client.post("/v1/blur", files={"image": ("x.jpg", payload, "image/jpeg")})
    assert r.status_code == 400 and r.json()["error"]["code"] == code
    r = client.post("/v1/blur", files={"image": ("x.jpg", b"x", "image/jpeg")}, data={"method": "swirl"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_request"


def test_a_cross_site_browser_write_is_refused(client, astronaut):
    r = client.post("/v1/blur", files={"image": ("a.png", encode_png(astronaut), "image/png")},
                    headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_page_has_the_blur_action_without_inline_script(client):
    page = client.get("/").text
    assert 'data-tab="blur"' in page and '<script src="/static/blur.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # every script is a file (CSP)
    js = client.get("/static/blur.js")
    assert js.status_code == 200 and "X-Faceprint-Request" in js.text and "/v1/blur" in js.text
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
