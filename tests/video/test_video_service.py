"""POST /v1/videos and GET /v1/jobs/{id} over real HTTP (uvicorn on loopback), on the A-B-A clip."""

from __future__ import annotations

import time

import pytest

from .conftest import A

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")
pytestmark = pytest.mark.data


def test_job_round_trip(server, aba):
    import httpx

    url, _ = server
    path, gt, _ = aba
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/v1/videos", files={"video": ("aba.mp4", path.read_bytes(), "video/mp4")},
                      data={"every": "2"})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] in ("queued", "running") and job["video"]["frame_count"] == len(gt.frames)
        statuses = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            j = http.get(job["poll"]).json()
            statuses.append(j["status"])
            if j["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert j["status"] == "done", j
        result = j["result"]
        assert result["complete"] and result["video"]["name"] == "aba.mp4"
        assert [t["identity"] for t in result["timeline"]] == [A, None, A]
        assert http.get("/v1/jobs/no-such-job").json()["error"]["code"] == "not_found"


def test_bad_uploads_answer_at_once_with_the_upload_name_never_a_server_path(server, aba):
    import httpx

    from faceprint.serve.video_routes import VideoLimits

    url, app = server
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/v1/videos", files={"video": ("notes.mp4", b"not a video at all\n" * 100, "video/mp4")})
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["code"] == "bad_video" and "notes.mp4" in err["message"] and "/tmp" not in err["message"]
        r = http.post("/v1/videos", files={"video": ("empty.mp4", b"", "video/mp4")})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_video"
        r = http.post("/v1/videos", data={"every": "2"})
        assert r.status_code == 422  # no file
        app.state.video_jobs = None  # the limits are read when the store is made
        app.state.video_limits = VideoLimits(max_duration_s=0.5, max_bytes=10_000)
        big = http.post("/v1/videos", files={"video": ("big.mp4", b"\0" * 20_000, "video/mp4")})
        assert big.status_code == 413 and big.json()["error"]["code"] == "video_too_large"
        app.state.video_jobs = None
        app.state.video_limits = VideoLimits(max_duration_s=0.5)
        long = http.post("/v1/videos", files={"video": ("aba.mp4", aba[0].read_bytes(), "video/mp4")})
        assert long.status_code == 413 and long.json()["error"]["code"] == "video_too_long"
        assert "aba.mp4" in long.json()["error"]["message"]
