"""One error shape for every failure: `{"error": {"code", "message"}}`, never a traceback.

faceprint's own errors keep their stable `code`; this table only picks the HTTP status.
"""

from __future__ import annotations

from typing import Any

from ..errors import FaceprintError

STATUS_BY_CODE = {
    "bad_image": 400, "bad_input": 400, "bad_argument": 400, "bad_shape": 400, "unknown_model": 400,
    "image_too_large": 413, "body_too_large": 413, "headers_too_large": 431,
    "no_face": 422, "bad_face_index": 422, "bad_request": 422,
    "unauthorized": 401, "unknown_identity": 404, "not_found": 404, "method_not_allowed": 405,
    "duplicate": 409, "model_mismatch": 409, "gallery": 409,
    "low_quality": 422, "not_live": 422, "extra_not_installed": 501, "model_file": 500,
    "busy": 503, "keys_unavailable": 503, "timeout": 504, "internal": 500,
}


class ServiceError(Exception):
    """A failure of the service itself (auth, limits, overload), not of faceprint's core."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or STATUS_BY_CODE.get(code, 400)


def body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def from_faceprint(e: FaceprintError) -> tuple[int, dict[str, Any]]:
    # Messages name inputs as "<bytes, N bytes>" and say what was wrong, never a server path:
    # the service only ever hands bytes to the core.
    return STATUS_BY_CODE.get(e.code, 400), body(e.code, str(e))
