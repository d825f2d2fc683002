"""Helpers shared by the service tests."""

from __future__ import annotations

from typing import Any

import numpy as np


def jpeg(image: np.ndarray) -> bytes:
    from faceprint.image import encode_jpeg

    return encode_jpeg(image)


def assert_error(response: Any, status: int, code: str) -> dict:
    """Every failure has the one error shape, and never a traceback."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body["error"]
