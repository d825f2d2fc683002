"""`/docs` without a network: Swagger UI's script and CSS served by this service.

FastAPI's own `/docs` page loads Swagger UI from a CDN (blank offline) and bootstraps it
with an inline script (which the page CSP forbids). Here the page is a file of ours, its
start-up is `web/docs.js`, and the Swagger UI files come from the `fastapi-offline` package
(Swagger UI is Apache-2.0; that package ships the built files).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from .http_errors import body

WEB = Path(__file__).with_name("web")


def swagger_files() -> Path | None:
    """The folder holding swagger-ui-bundle.js and swagger-ui.css, or None if not installed."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).with_name("static")
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def install_docs(app: FastAPI) -> None:
    """`/docs` (our page), `/docs/assets/*` (Swagger UI), `/favicon.ico`. Call with
    `FastAPI(docs_url=None, redoc_url=None)` so FastAPI's CDN pages are not served."""
    folder = swagger_files()

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        if folder is None:
            return JSONResponse(body("not_found", "the API docs page needs fastapi-offline: "
                                                  "pip install 'faceprint[serve]'"), 404)
        return FileResponse(WEB / "docs.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:  # browsers ask for it even when the page names another icon
        return FileResponse(WEB / "favicon.svg", media_type="image/svg+xml")

    if folder is not None:
        app.mount("/docs/assets", StaticFiles(directory=folder), name="docs-assets")
