"""`POST /v1/blur`: an uploaded photo with every face covered (JPEG or PNG), or the boxes as JSON.

The photo arrives as uploaded bytes only, like every image here. Faces are found by the
recall-tuned detector of `faceprint blur` (`privacy/`), which is loaded once per app on first
use. `keep=true` leaves uncovered the people enrolled in the service's gallery, named at its
calibrated threshold for `fmr`; everyone else is covered. The picture answer carries the
counts in `X-Faceprint-Covered` and `X-Faceprint-Kept`; nothing is stored.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from .forms import DEFAULT_FMR_TEXT, FmrText, read_image

router = APIRouter()
_lock = threading.Lock()


def _detector(request: Request) -> Any:
    app = request.app
    with _lock:
        if getattr(app.state, "blur_detector", None) is None:
            from ..privacy.detect import RecallDetector

            app.state.blur_detector = RecallDetector()
    return app.state.blur_detector


@router.post("/blur", summary="Cover every face of a photo (blur, pixelate, fill); the picture or the boxes",
             responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/json": {}}}})
async def blur(
        request: Request,
        image: Annotated[UploadFile, File(description="an image file (JPEG, PNG, WebP, BMP, TIFF...)")],
        method: Annotated[Literal["gaussian", "pixelate", "solid", "mask"],
                          Form(description="how faces are covered")] = "gaussian",
        format: Annotated[Literal["jpeg", "png", "json"],  # noqa: A002 - the form field's name
                          Form(description="the covered picture (jpeg, png) or what was covered (json)")] = "jpeg",
        keep: Annotated[bool, Form(description="leave uncovered the people enrolled in the gallery")] = False,
        fmr: Annotated[FmrText, Form(description="with keep: the false-match rate of the naming "
                                     "threshold")] = DEFAULT_FMR_TEXT,
        ) -> Any:
    from ..image import encode_jpeg, encode_png
    from ..privacy.keep import KeepRule
    from ..privacy.photo import Blurrer

    service = request.app.state.service
    data = await read_image(image, "image")
    detector = _detector(request)

    def work() -> tuple[Any, bytes | None]:
        rule = KeepRule(service.gallery, float(fmr)) if keep and len(service.gallery) else None
        result = Blurrer(method, detector=detector, keep=rule).photo(service.decode(data))
        if format == "json":
            return result.to_dict(), None
        return result.to_dict(), encode_png(result.image) if format == "png" else encode_jpeg(result.image)

    summary, picture = await service.runner.run(work)
    if picture is None:
        return {**summary, "method": method}
    return Response(picture, media_type=f"image/{format}",
                    headers={"X-Faceprint-Covered": str(summary["covered"]), "X-Faceprint-Kept": str(summary["kept"]),
                             "Cache-Control": "no-store"})
