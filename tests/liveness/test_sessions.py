"""The active check as a service: sessions issue challenges, answer once, and judge real footage.

d3.mp4 (a real selfie clip) shows one clear turn to the woman's own left, complete at about
8.4 s (seen by looking, and by `faceprint liveness d3.mp4 --challenge turn_left`); the test
sends its last 5.4 s (from 6.4 s, where she faces the camera) so the check stays cheap.
A still photo turned into a clip, or sent as frames, must fail with a reason.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")

from faceprint.assessors.base import is_installed  # noqa: E402

if not is_installed("landmarks"):
    pytest.skip("the active check needs the landmarks extra: pip install 'faceprint[landmarks]'", allow_module_level=True)

HEADERS = {"X-Faceprint-Request": "test"}


def make_client(fast, tmp_path: Path, **options):
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.liveness_routes import LivenessOptions

    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "gallery.db"),
                         keys=str(tmp_path / "keys.json"))
    app = create_app(config, analyzer=fast)
    app.state.liveness_options = LivenessOptions(**options)
    return TestClient(app, raise_server_exceptions=False)


def still_clip(image: np.ndarray, path: Path, seconds: float = 3.0, fps: float = 15.0) -> Path:
    """A photo held perfectly still: the same picture in every frame of an mp4."""
    h, w = image.shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for _ in range(int(seconds * fps)):
        out.write(np.ascontiguousarray(image[:, :, ::-1]))
    out.release()
    return path


def clip_part(src: Path, dst: Path, start_s: float) -> tuple[Path, np.ndarray]:
    """The clip from `start_s` on (re-encoded), and the frame before that (never in the part)."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    out, before, i = None, None, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i / fps < start_s:
            before = frame
        else:
            if out is None:
                out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, frame.shape[1::-1])
            out.write(frame)
        i += 1
    cap.release()
    out.release()
    return dst, np.ascontiguousarray(before[:, :, ::-1])


def test_a_still_photo_fails_and_a_session_answers_once(fast, astronaut, tmp_path):
    with make_client(fast, tmp_path, max_sessions=2) as client:
        s = client.post("/v1/liveness/sessions", headers=HEADERS)
        assert s.status_code == 201, s.text
        session = s.json()
        assert len(session["challenges"]) == 3 and any(c.startswith("turn") for c in session["challenges"])
        assert len(session["nonce"]) >= 32 and session["deadline_s"] > 0 and session["answer"].endswith(session["id"])
        clip = still_clip(astronaut, tmp_path / "still.mp4").read_bytes()
        r = client.post(session["answer"], headers=HEADERS, data={"nonce": session["nonce"]},
                        files={"clip": ("still.mp4", clip)})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["live"] is False and ("does not move" in body["reason"] or "not seen" in body["reason"])
        assert [c["name"] for c in body["challenges"]] == session["challenges"]
        assert not any(c["passed"] for c in body["challenges"])
        assert "/" not in body["reason"]
        # the same answer again (a replayed nonce) is refused; so are unknown sessions and wrong nonces
        again = client.post(session["answer"], headers=HEADERS, data={"nonce": session["nonce"]},
                            files={"clip": ("still.mp4", clip)})
        assert again.status_code == 409 and again.json()["error"]["code"] == "session_used"
        unknown = client.post("/v1/liveness/sessions/abc", headers=HEADERS, data={"nonce": "x"},
                              files={"clip": ("still.mp4", clip)})
        assert unknown.status_code == 404 and set(unknown.json()) == {"error"}
        other = client.post("/v1/liveness/sessions", headers=HEADERS).json()
        wrong = client.post(other["answer"], headers=HEADERS, data={"nonce": "0" * 32},
                            files={"clip": ("still.mp4", clip)})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "bad_nonce"
        # the same still as a sequence of JPEG frames fails too
        third = client.post("/v1/liveness/sessions", headers=HEADERS).json()
        jpeg = cv2.imencode(".jpg", astronaut[:, :, ::-1])[1].tobytes()
        r = client.post(third["answer"], headers=HEADERS, data={"nonce": third["nonce"], "fps": "10"},
                        files=[("frame", (f"{i}.jpg", jpeg)) for i in range(8)])
        assert r.status_code == 200 and r.json()["live"] is False and r.json()["reason"]
        fourth = client.post("/v1/liveness/sessions", headers=HEADERS).json()
        bad = client.post(fourth["answer"], headers=HEADERS, data={"nonce": fourth["nonce"]},
                          files={"clip": ("broken.mp4", b"not a video at all")})
        assert bad.status_code == 400 and set(bad.json()) == {"error"}
        assert "broken.mp4" in bad.json()["error"]["message"] and "/tmp" not in bad.json()["error"]["message"]


def test_sessions_are_bounded_and_expire(fast, tmp_path):
    import time

    with make_client(fast, tmp_path, max_sessions=2, ttl_s=0.2) as client:
        first = client.post("/v1/liveness/sessions", headers=HEADERS).json()
        client.post("/v1/liveness/sessions", headers=HEADERS)
        busy = client.post("/v1/liveness/sessions", headers=HEADERS)
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
        time.sleep(0.3)
        late = client.post(first["answer"], headers=HEADERS, data={"nonce": first["nonce"]},
                           files=[("frame", ("a.jpg", b"x"))])
        assert late.status_code == 410 and late.json()["error"]["code"] == "session_expired"
        assert client.post("/v1/liveness/sessions", headers=HEADERS).status_code == 201  # expired ones freed
        assert client.post("/v1/liveness/sessions", headers=HEADERS, data={"identity": "Nobody"}).status_code == 404


def test_a_real_head_turn_passes_and_the_claimed_identity_is_checked(fast, astronaut, shared_data, tmp_path):
    src = shared_data / "videos" / "d3.mp4"
    if not src.is_file():
        pytest.skip("d3.mp4 not in the shared data")
    part, before = clip_part(src, tmp_path / "d3-part.mp4", 6.4)
    clip = part.read_bytes()
    with make_client(fast, tmp_path, fixed_challenges=("turn_left",)) as client:
        for name, photo in (("D3", before), ("Astronaut", astronaut)):
            jpeg = cv2.imencode(".jpg", photo[:, :, ::-1])[1].tobytes()
            assert client.post("/v1/identities", headers=HEADERS, data={"name": name},
                               files=[("image", ("p.jpg", jpeg))]).status_code == 201
        s = client.post("/v1/liveness/sessions", headers=HEADERS, data={"identity": "D3"}).json()
        assert s["challenges"] == ["turn_left"]
        r = client.post(s["answer"], headers=HEADERS, data={"nonce": s["nonce"]},
                        files={"clip": ("d3.mp4", clip)})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["live"] is True and body["reason"] is None, body
        assert body["challenges"][0]["passed"] and 0 < body["challenges"][0]["at"] <= s["deadline_s"]
        assert body["identity"]["matched"] is True
        # the same real head turn, claimed to be somebody else who is enrolled: refused, with the reason
        s = client.post("/v1/liveness/sessions", headers=HEADERS, data={"identity": "Astronaut"}).json()
        r = client.post(s["answer"], headers=HEADERS, data={"nonce": s["nonce"]},
                        files={"clip": ("d3.mp4", clip)}).json()
        assert r["live"] is False and r["challenges"][0]["passed"] and "does not match 'Astronaut'" in r["reason"]
