"""Enroll, list, show, identify, remove over HTTP; API keys; who may serve where."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from serve_helpers import assert_error, jpeg


@pytest.fixture(scope="module")
def people(astronaut, cameraman):
    from PIL import Image

    grey = np.stack([cameraman] * 3, -1)
    return {"eileen": [jpeg(astronaut), jpeg(np.asarray(Image.fromarray(astronaut).resize((600, 600))))],
            "eileen_probe": jpeg(astronaut[:, ::-1].copy()), "cameraman": jpeg(grey)}


def test_enroll_list_show_identify_remove(make_client, people):
    c = make_client()
    assert_error(c.post("/v1/identify", files={"image": ("p.jpg", people["eileen_probe"])}), 409, "gallery")
    r = c.post("/v1/identities", data={"name": "Eileen Collins"},
               files=[("image", ("one.jpg", people["eileen"][0])), ("image", ("two.jpg", people["eileen"][1]))])
    assert r.status_code == 201, r.text
    enrolled = r.json()
    assert enrolled["identity"] == "Eileen Collins" and enrolled["templates"] == 2
    assert [p["file"] for p in enrolled["photos"]] == ["one.jpg", "two.jpg"]  # upload names, as labels

    listing = c.get("/v1/identities").json()
    assert listing["count"] == 1 and listing["identities"][0]["identity"] == "Eileen Collins"
    shown = c.get("/v1/identities/Eileen Collins").json()
    assert shown["templates"] == 2 and len(shown["template_list"]) == 2

    hit = c.post("/v1/identify", files={"image": ("p.jpg", people["eileen_probe"])}).json()
    face = hit["faces"][0]
    assert face["identity"] == "Eileen Collins" and face["similarity"] >= face["threshold"]
    assert face["fmr"] == 1e-3 and face["candidates"][0]["identity"] == "Eileen Collins"
    miss = c.post("/v1/identify", files={"image": ("q.jpg", people["cameraman"])}).json()["faces"][0]
    assert miss["identity"] is None and miss["similarity"] < miss["threshold"]  # open set: "unknown"

    err = assert_error(c.post("/v1/identities", data={"name": "Eileen Collins"},
                              files=[("image", ("x.jpg", people["eileen_probe"]))]), 409, "duplicate")
    assert "gallery.db" not in err["message"]  # the server's paths are not the client's business
    assert c.delete("/v1/identities/Eileen Collins").json()["removed"]["identity"] == "Eileen Collins"
    err = assert_error(c.get("/v1/identities/Eileen Collins"), 404, "unknown_identity")
    assert "gallery.db" not in err["message"]


def test_enroll_is_all_or_nothing(make_client, people):
    c = make_client()
    r = c.post("/v1/identities", data={"name": "Half"},
               files=[("image", ("ok.jpg", people["eileen"][0])), ("image", ("bad.jpg", b"not an image"))])
    assert "'bad.jpg'" in assert_error(r, 400, "bad_image")["message"]  # names the upload
    assert c.get("/v1/identities").json()["count"] == 0
    assert_error(c.post("/v1/identities", data={"name": ""}, files=[("image", ("ok.jpg", people["eileen"][0]))]),
                 422, "bad_request")
    assert_error(c.post("/v1/identities", data={"name": "No Photo"}), 422, "bad_request")


def test_gallery_of_another_model_is_refused(fast, tmp_path):
    from faceprint.errors import ModelMismatchError
    from faceprint.gallery import open_gallery
    from faceprint.serve.app import Service
    from faceprint.serve.config import ServeConfig

    path = str(tmp_path / "other.db")
    with open_gallery(path, create=True) as g:
        g.enroll_vectors("someone", np.eye(1, 128, dtype=np.float32), model="other-model/v9")
    with pytest.raises(ModelMismatchError, match="other-model/v9"):
        Service(ServeConfig(gallery=path, keys=str(tmp_path / "k.json")), analyzer=fast).open()


def test_api_keys(make_client, tmp_path, people):
    from faceprint.serve.keys import KeyStore

    c = make_client()
    probe = {"image": ("p.jpg", people["cameraman"])}
    assert c.post("/v1/detect", files=probe).status_code == 200  # no key exists yet: open (loopback only)
    store = KeyStore(tmp_path / "keys.json")
    key = store.create("ci")
    assert key.startswith("fp_") and key not in (tmp_path / "keys.json").read_text()  # only the hash is kept
    assert c.get("/healthz").json()["auth"] is True

    for headers in ({}, {"Authorization": "Bearer fp_wrong"}, {"Authorization": "Basic " + key},
                    {"Authorization": key}):
        r = c.post("/v1/detect", files=probe, headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.headers.get("www-authenticate") == "Bearer"
    assert_error(c.get("/v1/identities"), 401, "unauthorized")
    ok = {"Authorization": f"Bearer {key}"}
    assert c.post("/v1/detect", files=probe, headers=ok).status_code == 200
    assert c.get("/v1/identities", headers=ok).status_code == 200
    assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # the page asks for the key

    store.revoke("ci")  # revoking the last key locks the API; it does not open it again
    assert_error(c.post("/v1/detect", files=probe, headers=ok), 401, "unauthorized")
    assert_error(c.post("/v1/detect", files=probe), 401, "unauthorized")


def _cli(*args: str, env_home) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "FACEPRINT_HOME": str(env_home)}
    env.pop("FACEPRINT_KEYS", None)
    return subprocess.run([sys.executable, "-m", "faceprint", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_keys_cli(tmp_path):
    made = _cli("keys", "create", "alice", env_home=tmp_path)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("fp_") and "only time" in made.stderr
    stored = json.loads((tmp_path / "keys.json").read_text())
    assert key not in json.dumps(stored) and stored["keys"][0]["name"] == "alice"
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0  # readable by its owner only
    listed = _cli("keys", "list", "--json", env_home=tmp_path)
    assert json.loads(listed.stdout)["name"] == "alice" and key not in listed.stdout
    assert _cli("keys", "create", "alice", env_home=tmp_path).returncode == 2  # names are unique
    assert _cli("keys", "create", "bad name!", env_home=tmp_path).returncode == 2
    assert _cli("keys", "revoke", "alice", env_home=tmp_path).returncode == 0
    assert _cli("keys", "revoke", "alice", env_home=tmp_path).returncode == 2


def test_serve_refuses_an_open_api_off_loopback(tmp_path):
    r = _cli("serve", "--host", "0.0.0.0", "--no-auth", env_home=tmp_path)
    assert r.returncode == 2 and "loopback" in r.stderr and "Traceback" not in r.stderr
    r = _cli("serve", "--host", "0.0.0.0", env_home=tmp_path)
    assert r.returncode == 2 and "keys create" in r.stderr
    r = _cli("serve", "--model", "nonsense", env_home=tmp_path)
    assert r.returncode == 2 and "nonsense" in r.stderr and "Traceback" not in r.stderr
