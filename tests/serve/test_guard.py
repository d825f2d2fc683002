"""Issue 19's access holes: DNS rebinding, cross-site writes, keys that fail closed, page headers.

Through the ASGI test client (Host `testserver` is allowed by the fixture) and, for the Host
check, through a real `faceprint serve` process on loopback.
"""

from __future__ import annotations

import json
import time

import pytest
from serve_helpers import ServeProcess

from faceprint.image import encode_jpeg


def _enroll(client, image, headers):
    return client.post("/v1/identities", data={"name": "Eileen"},
                       files=[("image", ("a.jpg", encode_jpeg(image), "image/jpeg"))], headers=headers)


def test_host_allow_list_refuses_rebound_names(make_client):
    c = make_client()
    r = c.get("/v1/identities", headers={"Host": "evil.example"})
    assert r.status_code == 421 and r.json()["error"]["code"] == "misdirected_request"
    assert c.get("/v1/identities", headers={"Host": "evil.example:8000"}).status_code == 421
    assert c.get("/v1/identities", headers={"Host": "localhost:8000"}).status_code == 200
    assert c.get("/v1/identities", headers={"Host": "127.0.0.1"}).status_code == 200
    assert c.get("/v1/identities").status_code == 200  # testserver, allowed by the fixture


def test_cross_site_writes_are_refused(make_client, astronaut):
    c = make_client()
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page.html"}, {"Sec-Fetch-Site": "cross-site"},
                    # same origin but without the page's header: a form cannot add it
                    {"Origin": "http://testserver"}):
        r = _enroll(c, astronaut, headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "cross_site", headers
        assert c.get("/v1/identities").json() == {"identities": []} or "Eileen" not in r.text
    assert c.delete("/v1/identities/x", headers={"Origin": "http://evil.example"}).status_code == 403
    listed = c.get("/v1/identities").json()
    assert not any(i.get("name") == "Eileen" for i in listed.get("identities", []))
    # The page (same origin + header) and a non-browser client (no browser signs) may write.
    ok = _enroll(c, astronaut, {"Origin": "http://testserver", "X-Faceprint-Request": "page"})
    assert ok.status_code == 201, ok.text
    assert c.delete("/v1/identities/Eileen").status_code in (200, 204)


def test_keys_fail_closed_when_the_file_goes_or_breaks(make_client, tmp_path):
    from faceprint.serve.keys import KeyStore

    c = make_client()
    key = KeyStore(tmp_path / "keys.json").create("alice")
    auth = {"Authorization": f"Bearer {key}"}
    assert c.get("/v1/identities").status_code == 401
    assert c.get("/v1/identities", headers=auth).status_code == 200
    (tmp_path / "keys.json").unlink()  # deleted while the server runs: stays locked
    r = c.get("/v1/identities")
    assert r.status_code in (401, 503) and str(tmp_path) not in r.text
    assert c.get("/v1/identities", headers=auth).status_code in (401, 503)
    (tmp_path / "keys.json").write_text("{not json")  # malformed: locked, no path, health degraded
    time.sleep(0.01)
    r = c.get("/v1/identities", headers=auth)
    assert r.status_code == 503 and r.json()["error"]["code"] == "keys_unavailable"
    assert str(tmp_path) not in r.text and "keys.json" not in r.text
    h = c.get("/healthz")
    assert h.status_code == 503 and h.json()["status"] == "degraded" and str(tmp_path) not in h.text


def test_page_security_headers(make_client):
    c = make_client()
    r = c.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in r.text  # only <script src=...>


def test_real_server_refuses_other_hosts_and_takes_allowed_ones(tmp_path):
    with ServeProcess(tmp_path, "--allowed-host", "faces.example.org") as server:
        evil = server.exchange(b"GET /v1/identities HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert evil.startswith(b"HTTP/1.1 421")
        assert json.loads(evil.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "misdirected_request"
        ok = server.exchange(b"GET /v1/identities HTTP/1.1\r\nHost: faces.example.org:80\r\nConnection: close\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200")
        forged = server.exchange(b"POST /v1/identities HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n"
                                 b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
        assert forged.startswith(b"HTTP/1.1 403")
