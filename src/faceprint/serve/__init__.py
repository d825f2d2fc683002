"""`faceprint serve`: the HTTP API and web page (FastAPI + uvicorn; `pip install 'faceprint[serve]'`).

`create_app(ServeConfig(...))` builds the ASGI app; models and the gallery are opened in its
lifespan, once. Importing this package imports no web framework.
"""

from __future__ import annotations

from typing import Any

from .config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig | None = None, **kwargs: Any) -> Any:
    """The FastAPI application for `config` (see `ServeConfig`)."""
    from .app import create_app as _create

    return _create(config, **kwargs)
