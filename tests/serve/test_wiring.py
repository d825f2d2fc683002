"""Issue 20's service wiring: one construction path, routes reachable by dependency overrides,
and the CLI's defaults are the library's."""

from __future__ import annotations

from typing import Any

from serve_helpers import assert_error


def test_cli_serve_builds_one_service_and_hands_it_to_the_app(fast, tmp_path, monkeypatch):
    import faceprint.pipeline
    import faceprint.serve.app as app_module
    import faceprint.serve.server as server_module
    from faceprint.cli import main

    made: list[Any] = []
    served: dict[str, Any] = {}

    class CountedKeyStore(app_module.KeyStore):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(app_module, "KeyStore", CountedKeyStore)
    monkeypatch.setattr(faceprint.pipeline.Analyzer, "from_name", classmethod(lambda cls, name=None: fast))
    monkeypatch.setattr(server_module, "run", lambda app, config, port, log_level: served.update(app=app, config=config))
    code = main(["serve", "--model", "fast", "--gallery", str(tmp_path / "g.db"), "--keys", str(tmp_path / "k.json"),
                 "--port", "0", "--header-timeout", "3"])
    assert code == 0
    service = served["app"].state.service
    assert len(made) == 1 and service.keys is made[0]  # one key store, one service
    assert service.analyzer is fast and service.config is served["config"]
    assert served["config"].connections.header_timeout_s == 3
    assert service.gallery is not None  # opened before the server started, closed after it


def test_cli_defaults_are_the_library_defaults():
    import argparse

    from faceprint.serve.commands import register
    from faceprint.serve.config import ConnectionLimits, Limits

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["serve"])
    lim, conn = Limits(), ConnectionLimits()
    assert args.concurrency == lim.max_concurrent and args.timeout == lim.timeout_s
    assert args.max_body_mb * 2**20 == lim.max_body_bytes and args.max_faces == lim.max_faces
    assert args.max_pixels == lim.max_pixels
    assert (args.header_timeout, args.body_timeout, args.keep_alive, args.max_connections) == (
        conn.header_timeout_s, conn.body_timeout_s, conn.keep_alive_s, conn.max_connections)


def test_routes_take_the_service_the_key_check_and_limits_by_dependency(make_client, tmp_path, astronaut):
    from serve_helpers import jpeg

    from faceprint.serve.app import authorize, get_limits
    from faceprint.serve.config import Limits
    from faceprint.serve.keys import KeyStore

    c = make_client()
    KeyStore(str(tmp_path / "keys.json")).create("ops")
    assert_error(c.get("/v1/identities"), 401, "unauthorized")
    c.app.dependency_overrides[authorize] = lambda: None  # e.g. a test or an embedding app's own auth
    assert c.get("/v1/identities").status_code == 200
    c.app.dependency_overrides[get_limits] = lambda: Limits(max_faces=1)
    import numpy as np

    two = np.hstack([astronaut, astronaut])  # two faces
    r = c.post("/v1/detect", files={"image": ("a.jpg", jpeg(two))})
    assert r.status_code == 200 and r.json()["faces_found"] >= 2
    assert len(r.json()["faces"]) == 1 and r.json()["truncated"]
    c.app.dependency_overrides.clear()
    assert_error(c.get("/v1/identities"), 401, "unauthorized")
