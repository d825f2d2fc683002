"""The HTTP API through the ASGI test client: answers, the CLI's field names, bad input, limits."""

from __future__ import annotations

import numpy as np
import pytest
from serve_helpers import assert_error, jpeg

import faceprint


@pytest.fixture(scope="module")
def photos(astronaut, cameraman):
    from PIL import Image

    big = np.asarray(Image.fromarray(astronaut).resize((700, 700)))  # the same person, rescaled
    pair = np.concatenate([astronaut, np.stack([cameraman] * 3, -1)], axis=1)  # two people, one photo
    return {"astronaut": jpeg(astronaut), "astronaut_big": jpeg(big), "cameraman": jpeg(np.stack([cameraman] * 3, -1)),
            "two_people": jpeg(pair), "blank": jpeg(np.full((200, 200, 3), 128, np.uint8))}


def test_health_docs_and_page(make_client):
    c = make_client()
    h = c.get("/healthz").json()
    assert h["status"] == "ok" and h["pipeline"] == "fast" and h["auth"] is False and h["identities"] == 0
    paths = c.get("/openapi.json").json()["paths"]
    for p in ("/v1/detect", "/v1/verify", "/v1/identify", "/v1/embed", "/v1/identities", "/v1/identities/{name}"):
        assert p in paths, sorted(paths)
    assert "swagger" in c.get("/docs").text.lower()
    page = c.get("/")
    assert page.status_code == 200 and 'id="verify-btn"' in page.text
    assert c.get("/static/app.js").status_code == 200


def test_detect_matches_the_library(make_client, photos, fast):
    c = make_client()
    r = c.post("/v1/detect", files={"image": ("a.jpg", photos["astronaut"], "image/jpeg")})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = fast.detect(photos["astronaut"]).to_records()
    assert body["faces_found"] == 1 and body["truncated"] is False
    assert body["faces"] == expected  # the CLI's `detect --json` field names and values


def test_verify_same_and_different(make_client, photos):
    c = make_client()
    same = c.post("/v1/verify", files={"image_a": ("a.jpg", photos["astronaut"]),
                                       "image_b": ("b.jpg", photos["astronaut_big"])}).json()
    diff = c.post("/v1/verify", files={"image_a": ("a.jpg", photos["astronaut"]),
                                       "image_b": ("b.jpg", photos["cameraman"])}).json()
    assert same["same"] is True and diff["same"] is False
    assert same["similarity"] > same["threshold"] > diff["similarity"]
    lib = faceprint.verify(photos["astronaut"], photos["cameraman"], model="fast")
    assert diff["similarity"] == pytest.approx(lib.similarity, abs=1e-5) and diff["threshold"] == pytest.approx(lib.threshold, abs=1e-6)
    # The CLI's field names, plus the threshold in words.
    assert {"same", "similarity", "threshold", "fmr", "model", "face_a", "face_b"} <= set(same)
    assert same["fmr"] == 1e-3 and same["meaning"] == "1 in 1,000 different people score this high"
    strict = c.post("/v1/verify", data={"fmr": "1e-4"}, files={"image_a": ("a.jpg", photos["astronaut"]),
                                                               "image_b": ("b.jpg", photos["cameraman"])}).json()
    assert strict["fmr"] == 1e-4 and strict["threshold"] > diff["threshold"]


def test_verify_reports_which_face(make_client, photos):
    c = make_client()
    r = c.post("/v1/verify", files={"image_a": ("a.jpg", photos["two_people"]), "image_b": ("b.jpg", photos["cameraman"])})
    body = r.json()
    assert body["face_a"]["faces_found"] == 2 and body["face_a"]["face_rule"] == "largest"
    assert len(body["face_a"]["boxes"]) == 2
    picked = c.post("/v1/verify", data={"face_a": "1"},
                    files={"image_a": ("a.jpg", photos["two_people"]), "image_b": ("b.jpg", photos["cameraman"])}).json()
    assert picked["face_a"]["face_rule"] == "requested" and picked["same"] != body["same"]
    assert_error(c.post("/v1/verify", data={"face_a": "5"}, files={"image_a": ("a.jpg", photos["two_people"]),
                                                                  "image_b": ("b.jpg", photos["cameraman"])}),
                 422, "bad_face_index")


def test_embed_matches_the_library(make_client, photos):
    c = make_client()
    body = c.post("/v1/embed", files={"image": ("a.jpg", photos["astronaut"])}).json()
    lib = faceprint.embed(photos["astronaut"], model="fast")
    assert body["dim"] == 128 and body["model"].startswith("fast/")
    np.testing.assert_allclose(body["embedding"], lib, atol=1e-6)


def test_analyze_matches_the_cli_fields(make_client, photos, fast):
    from faceprint.assessors import analysis_for

    c = make_client()
    body = c.post("/v1/analyze", files={"image": ("a.jpg", photos["astronaut"])}).json()
    expected = analysis_for(fast)(photos["astronaut"]).to_records()
    assert body["faces_found"] == 1 and body["extras"] == []
    assert set(body["faces"][0]) == set(expected[0]) and {"quality", "quality_reasons", "yaw"} <= set(expected[0])
    assert body["faces"][0]["quality"] == pytest.approx(expected[0]["quality"], abs=1e-4)
    assert_error(c.post("/v1/analyze", data={"extras": "horoscope"}, files={"image": ("a.jpg", photos["astronaut"])}),
                 400, "unknown_model")


def test_explain_answers_json_and_a_picture(make_client, photos):
    c = make_client()
    files = {"image_a": ("a.jpg", photos["astronaut"]), "image_b": ("b.jpg", photos["astronaut_big"])}
    body = c.post("/v1/explain", data={"grid": "3"}, files=files).json()
    assert body["same"] is True and body["sentence"] and body["meaning"].startswith("1 in 1,000")
    assert {r["name"] for r in body["regions"]} >= {"eye region", "nose", "mouth", "brows", "forehead"}
    png = c.post("/v1/explain", data={"grid": "3", "format": "png"}, files=files)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    import base64

    both = c.post("/v1/explain", data={"grid": "3", "picture": "true"}, files=files).json()
    assert base64.b64decode(both["picture_png"])[:4] == b"\x89PNG" and both["sentence"]
    assert_error(c.post("/v1/explain", files={"image_a": ("a.jpg", photos["blank"]),
                                              "image_b": ("b.jpg", photos["astronaut"])}), 422, "no_face")


def test_max_faces_limits_the_answer(make_client, photos):
    c = make_client(max_faces=1)
    body = c.post("/v1/detect", files={"image": ("a.jpg", photos["two_people"])}).json()
    assert body["faces_found"] == 2 and body["truncated"] is True and len(body["faces"]) == 1


# -- bad input: a clear, typed answer every time ----------------------------------------------
def test_bad_images(make_client, photos):
    c = make_client()
    cases = {
        "not an image": b"%PDF-1.4 this is not a picture",
        "truncated": photos["astronaut"][: len(photos["astronaut"]) // 3],
        "zero bytes": b"",
    }
    for what, data in cases.items():
        err = assert_error(c.post("/v1/detect", files={"image": ("x.jpg", data)}), 400, "bad_image")
        assert err["message"], what
    err = assert_error(c.post("/v1/verify", files={"image_a": ("a.jpg", photos["astronaut"]),
                                                   "image_b": ("b.jpg", photos["blank"])}), 422, "no_face")
    assert err["message"].startswith("image_b: ") and "no face" in err["message"]  # which upload failed
    err = assert_error(c.post("/v1/verify", files={"image_a": ("a.jpg", b"junk"),
                                                   "image_b": ("b.jpg", photos["astronaut"])}), 400, "bad_image")
    assert err["message"].startswith("image_a: ")


def test_missing_and_wrong_fields(make_client, photos):
    c = make_client()
    err = assert_error(c.post("/v1/verify", files={"image_a": ("a.jpg", photos["astronaut"])}), 422, "bad_request")
    assert "image_b" in err["message"]
    assert_error(c.post("/v1/verify", data={"fmr": "0.5"}, files={"image_a": ("a.jpg", photos["astronaut"]),
                                                                 "image_b": ("b.jpg", photos["astronaut"])}),
                 422, "bad_request")
    assert_error(c.post("/v1/detect"), 422, "bad_request")
    assert_error(c.post("/v1/detect", content=b"raw bytes", headers={"content-type": "image/jpeg"}), 422, "bad_request")


def test_a_path_is_never_opened(make_client, tmp_path, astronaut):
    """A client naming a server file gets a refusal, not the file's contents or faces."""
    from faceprint.image import save_image

    path = tmp_path / "server_side.jpg"
    save_image(astronaut, path)
    c = make_client()
    for field in (str(path), "file://" + str(path), "http://127.0.0.1:1/x.jpg"):
        assert_error(c.post("/v1/detect", data={"image": field}), 422, "bad_request")


def test_body_and_pixel_limits(make_client, photos):
    c = make_client(max_body_bytes=50_000, max_pixels=100_000)
    big = jpeg(np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8))  # > 50 kB
    assert len(big) > 50_000
    err = assert_error(c.post("/v1/detect", files={"image": ("big.jpg", big)}), 413, "body_too_large")
    assert "50,000" in err["message"]

    def chunks():  # no Content-Length: the limit applies while the body streams in
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]
    assert_error(c.post("/v1/detect", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}),
                 413, "body_too_large")
    # 512 x 512 = 262,144 pixels, under 50 kB as a flat JPEG: the pixel limit refuses it before decoding.
    flat = jpeg(np.full((512, 512, 3), 90, np.uint8))
    assert len(flat) < 50_000
    assert_error(c.post("/v1/detect", files={"image": ("wide.jpg", flat)}), 413, "image_too_large")


def test_timeout(make_client, photos):
    c = make_client(timeout_s=0.001)
    assert_error(c.post("/v1/verify", files={"image_a": ("a.jpg", photos["astronaut"]),
                                             "image_b": ("b.jpg", photos["astronaut_big"])}), 504, "timeout")


def test_unexpected_failure_is_500_without_traceback(make_client, photos, fast):
    class Broken:
        name = "broken"

        def detect(self, image):
            raise RuntimeError("secret internal detail /etc/shadow")

    from faceprint.pipeline import Analyzer

    c = make_client(analyzer=Analyzer(Broken(), fast.embedder, model_id="broken"))
    err = assert_error(c.post("/v1/detect", files={"image": ("a.jpg", photos["astronaut"])}), 500, "internal")
    assert "secret" not in err["message"]


def test_unknown_routes_and_methods(make_client):
    c = make_client()
    assert_error(c.get("/v1/nothing"), 404, "not_found")
    assert_error(c.put("/v1/verify"), 405, "method_not_allowed")


def test_metrics_count_requests_by_route(make_client, photos):
    c = make_client()
    c.post("/v1/detect", files={"image": ("a.jpg", photos["astronaut"])})
    c.post("/v1/detect", files={"image": ("a.jpg", b"nope")})
    c.get("/v1/identities/someone")
    text = c.get("/metrics").text
    assert 'faceprint_requests_total{method="POST",route="/v1/detect",status="200"} 1' in text
    assert 'faceprint_requests_total{method="POST",route="/v1/detect",status="400"} 1' in text
    assert 'route="/v1/identities/{name}",status="404"' in text  # the template, not the name
    assert 'faceprint_request_seconds_count{method="POST",route="/v1/detect"} 2' in text
    assert "faceprint_inferences_in_flight 0" in text  # nothing running between requests
