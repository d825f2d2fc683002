"""Runs the app under uvicorn with faceprint's connection protocol and limits."""

from __future__ import annotations

import functools
from typing import Any

from .config import ServeConfig


def uvicorn_config(app: Any, config: ServeConfig, port: int, log_level: str = "info") -> Any:
    """The uvicorn settings: our h11 protocol (read timeouts, connection cap, error envelope)."""
    import uvicorn

    from .protocol import GuardedProtocol

    conn = config.connections
    return uvicorn.Config(app, host=config.host, port=port, log_level=log_level, server_header=False,
                          http=functools.partial(GuardedProtocol, limits=conn),  # type: ignore[arg-type]
                          timeout_keep_alive=conn.keep_alive_s,  # type: ignore[arg-type]
                          ws="none", lifespan="on")


def run(app: Any, config: ServeConfig, port: int, log_level: str = "info") -> None:
    import uvicorn

    uvicorn.Server(uvicorn_config(app, config, port, log_level)).run()
