"""Service fixtures: the app on the `fast` pipeline with a fresh gallery and key file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("fastapi", reason="the service extras are not installed: pip install 'faceprint[serve]'")


@pytest.fixture
def make_client(fast, tmp_path: Path) -> Callable[..., Any]:
    """make_client(**limits) -> a started TestClient; the key store is at tmp_path/keys.json."""
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.config import Limits

    clients = []

    def make(analyzer: Any = None, **limits: Any) -> Any:
        config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(tmp_path / "gallery.db"), keys=str(tmp_path / "keys.json"),
                             limits=Limits(**limits))
        client = TestClient(create_app(config, analyzer=analyzer or fast), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)
