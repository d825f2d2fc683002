"""The page's Liveness tab in headless Chromium, filmed by Chromium's fake camera.

The fake camera plays a .y4m file the test writes: a still photo (skimage's astronaut) held
perfectly still must fail with the reason on the page; the real head turn of d3.mp4 (from
6.4 s, where the woman faces the camera, to the end; her turn to her left completes about
2.2 s in) must pass a `turn_left` challenge. The challenge is forced for that clip through
the test-only `LivenessOptions.fixed_challenges`; the check itself is the same.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")

from faceprint.assessors.base import is_installed  # noqa: E402

if not is_installed("landmarks"):
    pytest.skip("the active check needs the landmarks extra: pip install 'faceprint[landmarks]'",
                allow_module_level=True)

from browser_helpers import CHROMIUM, FLAGS, LiveServer, sync_api_or_skip, wait_js  # noqa: E402

CAMERA_FLAGS = FLAGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def write_y4m(frames: list[np.ndarray], path: Path, fps: int) -> Path:
    """RGB frames as an uncompressed YUV4MPEG2 (4:2:0) file, the format Chromium's fake camera plays."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(np.ascontiguousarray(rgb[:, :, ::-1]), cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def serve(fast, tmp_path: Path, options) -> LiveServer:
    """The service with these liveness options, to run on a free loopback port (`with serve(...) as live`)."""
    from faceprint.serve import ServeConfig, create_app

    app = create_app(ServeConfig(model="fast", gallery=str(tmp_path / "g.db"), keys=str(tmp_path / "keys.json")),
                     analyzer=fast)
    app.state.liveness_options = options
    return LiveServer(app)


def run_page(url: str, camera: Path, done_after_s: float) -> tuple[str, str, list[str]]:
    """Start the check, press "Done" through the challenges after `done_after_s` of filming; the verdict."""
    with sync_api_or_skip().sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=CAMERA_FLAGS + [f"--use-file-for-fake-video-capture={camera}"])
        try:
            page = browser.new_page()
            page.goto(url + "/")
            page.click(".tab[data-tab=liveness]")
            assert page.is_visible("#tab-liveness") and page.is_hidden("#tab-verify")
            page.click("#live-start")
            wait_js(page, "!document.getElementById('live-next').hidden || "
                          "!document.getElementById('error').hidden", timeout_s=20)
            assert page.is_hidden("#error"), page.inner_text("#error")
            assert "of" in page.inner_text("#live-prompt")
            page.wait_for_timeout(int(done_after_s * 1000))
            while page.is_visible("#live-next"):
                page.click("#live-next")
                page.wait_for_timeout(150)
            wait_js(page, "!document.getElementById('live-result').hidden || "
                          "!document.getElementById('error').hidden", timeout_s=60)
            assert page.is_hidden("#error"), page.inner_text("#error")
            items = page.eval_on_selector_all("#live-challenges li", "items => items.map(i => i.textContent)")
            return page.inner_text("#live-verdict"), page.inner_text("#live-reason"), items
        finally:
            browser.close()


def test_a_still_photo_on_the_camera_fails_with_the_reason_shown(fast, astronaut, tmp_path):
    from faceprint.serve.liveness_routes import LivenessOptions

    camera = write_y4m([astronaut] * 10, tmp_path / "still.y4m", fps=10)
    with serve(fast, tmp_path, LivenessOptions()) as live:
        verdict, reason, items = run_page(live.url, camera, done_after_s=1.5)
    assert verdict == "Not live"
    assert "does not move" in reason or "not seen" in reason, reason
    assert len(items) == 3 and all(i.endswith("not seen") for i in items)


def test_a_real_head_turn_on_the_camera_passes_turn_left(fast, shared_data, tmp_path):
    from faceprint.serve.liveness_routes import LivenessOptions

    src = shared_data / "videos" / "d3.mp4"
    if not src.is_file():
        pytest.skip("d3.mp4 not in the shared data")
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i / fps >= 6.4 and i % 2 == 0:  # 15 frames a second from 6.4 s on
            frames.append(frame[:, :, ::-1])
        i += 1
    cap.release()
    camera = write_y4m(frames, tmp_path / "d3.y4m", fps=round(fps / 2))
    with serve(fast, tmp_path, LivenessOptions(fixed_challenges=("turn_left",))) as live:
        # the fake camera loops the clip: stop filming before it jumps back to its start (5.4 s)
        verdict, reason, items = run_page(live.url, camera, done_after_s=4.0)
    assert verdict == "Live", reason
    assert len(items) == 1 and "done at" in items[0]
