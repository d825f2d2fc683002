"""`faceprint serve` as a user starts it: a real process on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from browser_helpers import free_port
from serve_helpers import jpeg


def test_serve_process_answers_and_stops(tmp_path, astronaut):
    port = free_port()
    env = {**os.environ, "FACEPRINT_HOME": str(tmp_path)}
    env.pop("FACEPRINT_KEYS", None)
    proc = subprocess.Popen([sys.executable, "-m", "faceprint", "serve", "--port", str(port), "--model", "fast",
                             "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not start in 120 s"
            time.sleep(0.2)
        img = jpeg(astronaut)
        r = httpx.post(url + "/v1/verify", files={"image_a": ("a.jpg", img), "image_b": ("b.jpg", img)}, timeout=60)
        assert r.status_code == 200 and r.json()["same"] is True
        # The embedded default gallery lives under FACEPRINT_HOME.
        r = httpx.post(url + "/v1/identities", data={"name": "Eileen"}, files={"image": ("a.jpg", img)}, timeout=60)
        assert r.status_code == 201, r.text
        assert (tmp_path / "gallery.db").exists()
        assert "server" not in {k.lower() for k in r.headers}  # no version banner
    finally:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode in (0, -15), err  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert f"serving http://localhost:{port}/" in err and "Traceback" not in err


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
