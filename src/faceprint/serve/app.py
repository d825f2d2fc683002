"""The FastAPI application: module-level routers, their dependencies (service, key check, limits), errors, metrics.

Images arrive only as multipart uploads and are decoded from their bytes; no route takes a
path or URL, so the service never opens a file or fetches an address a client names.
JSON answers use the CLI's field names.
"""

from __future__ import annotations

import base64
import logging
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, Security, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import thresholds
from ..errors import FaceprintError, InputError
from ..gallery.store import MAX_NAME
from ..types import BOX_FORMAT
from .config import Limits, ServeConfig
from .forms import DEFAULT_FMR_TEXT, FmrText, read_image
from .guard import BrowserGuard, allowed_hosts
from .http_errors import ServiceError, body, from_faceprint
from .keys import KeyStore
from .limits import BodyLimit, Timing
from .metrics import Metrics
from .runner import InferenceRunner

log = logging.getLogger("faceprint.serve")
WEB = Path(__file__).with_name("web")


def threshold_meaning(fmr: float | None) -> str:
    """What a calibrated threshold means, in words a person reads."""
    if fmr is None:
        return "threshold given by hand: no measured false-match rate"
    return f"1 in {round(1 / fmr):,} different people score this high"


class Service:
    """What the routes share, built once: the config, the key store, the metrics, the inference
    runner, and the models and gallery (opened by `open()`, or handed in by the caller)."""

    def __init__(self, config: ServeConfig, analyzer: Any = None, gallery: Any = None) -> None:
        self.config = config
        self.limits = config.limits
        self.analyzer = analyzer
        self.gallery = gallery
        self._owns_gallery = gallery is None
        self.keys = KeyStore(config.keys_path())
        self.metrics = Metrics()
        self.runner = InferenceRunner(config.limits)

    def open(self) -> "Service":
        """Load the models and open the gallery (once; again is a no-op)."""
        key = None
        if self.gallery is None:
            from ..privacy.encryption import gallery_key

            # Read first: a missing or bad key file is one clear line before any model loads.
            key = gallery_key(self.config.key_file, gallery=self.config.gallery_uri())
        if self.analyzer is None:
            from ..pipeline import Analyzer

            self.analyzer = Analyzer.from_name(self.config.model)
        if self.gallery is None:
            from ..gallery import open_gallery

            uri = self.config.gallery_uri()
            if self.config.gallery is None:  # only faceprint's own data folder is made here
                from ..gallery.sqlite_store import private_folder

                private_folder(Path(uri).parent)  # 0700: it holds biometric templates
            self.gallery = open_gallery(uri, self.analyzer, create=True, index=self.config.index, key=key)
        return self

    def close(self) -> None:
        """Close the gallery if this service opened it (once; again is a no-op)."""
        if self._owns_gallery and self.gallery is not None:
            self.gallery.close()
            self._owns_gallery = False

    def decode(self, data: bytes, field: str = "image") -> np.ndarray:
        from ..image import load_image

        with named(field):
            return load_image(data, max_pixels=self.limits.max_pixels)


@contextmanager
def named(field: str):
    """Prefix a faceprint error's message with the form field it is about ("image_b: no face found")."""
    try:
        yield
    except FaceprintError as e:
        if e.args and isinstance(e.args[0], str) and not e.args[0].startswith(field + ":"):
            e.args = (f"{field}: {e.args[0]}", *e.args[1:])
        raise


def create_app(config: ServeConfig | None = None, *, analyzer: Any = None, gallery: Any = None,
               service: Service | None = None) -> FastAPI:
    """The app. Pass `service` (what `faceprint serve` does, after opening it) or a config, with
    `analyzer`/`gallery` to reuse loaded ones (tests, embedding in another app). The routes get
    the service, its limits and the key check by dependency (`get_service`, `get_limits`,
    `authorize`), which `app.dependency_overrides` can replace."""
    if service is None:
        service = Service(config or ServeConfig(), analyzer, gallery)
    config = service.config

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.open()
        yield
        service.close()

    app = FastAPI(title="faceprint", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Offline face detection, verification and 1:N identification. "
                              "Every failure answers `{\"error\": {\"code\", \"message\"}}`.")
    app.state.service = service
    _install_errors(app)
    app.include_router(router, prefix="/v1")
    app.mount("/static", StaticFiles(directory=WEB), name="static")
    app.include_router(pages)
    from .docs import install_docs; install_docs(app)  # noqa: E702  /docs offline, favicon
    # Outermost first: Timing sees every answer, BodyLimit stops oversized uploads early.
    app.add_middleware(BodyLimit, max_bytes=config.limits.max_body_bytes)
    app.add_middleware(Timing, metrics=service.metrics)
    app.add_middleware(BrowserGuard, hosts=allowed_hosts(config.host, config.allowed_hosts))  # outermost
    return app


def _version() -> str:
    from .. import __version__

    return __version__


# -- errors ----------------------------------------------------------------------------------
def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(FaceprintError)
    async def _faceprint(request: Request, e: FaceprintError) -> JSONResponse:
        status, payload = from_faceprint(e)
        gallery = request.app.state.service.gallery
        if gallery is not None:  # the gallery's location is the operator's business, not the client's
            payload["error"]["message"] = payload["error"]["message"].replace(gallery.uri, "the gallery")
        return JSONResponse(payload, status)

    @app.exception_handler(ServiceError)
    async def _service(_: Request, e: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
        return JSONResponse(body(e.code, e.message), e.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        parts = []
        for err in e.errors():
            where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(body("bad_request", "; ".join(parts) or "invalid request"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(e.status_code, "bad_request")
        return JSONResponse(body(code, str(e.detail)), e.status_code, headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, e: Exception) -> JSONResponse:
        log.exception("unexpected error")  # the operator's log gets the traceback; the client never does
        return JSONResponse(body("internal", "internal error; the server log has the details"), 500)


# -- the API ---------------------------------------------------------------------------------
_bearer = HTTPBearer(auto_error=False, description="an API key from `faceprint keys create NAME`")

Image = Annotated[UploadFile, File(description="an image file (JPEG, PNG, WebP, BMP, TIFF...)")]
Fmr = Annotated[FmrText, Form(description="false-match rate the threshold is calibrated for")]
FaceRule = Annotated[Literal["largest", "central"], Form(description="which face when there are several")]
FaceIndex = Annotated[int | None, Form(ge=0, le=10_000, description="face index, largest first")]


# -- dependencies: what a route needs, so tests can override it (app.dependency_overrides) ----
def get_service(request: Request) -> Service:
    """The app's one `Service` (built by `create_app`, opened in the lifespan)."""
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_limits(service: ServiceDep) -> Limits:
    return service.limits


LimitsDep = Annotated[Limits, Depends(get_limits)]


def authorize(service: ServiceDep,
              creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]) -> None:
    """The API key check of every /v1 route (a no-op with --no-auth or when no key exists)."""
    if not service.config.auth or not service.keys.required():
        return
    if creds is None:
        raise ServiceError("unauthorized", "this service needs an API key: Authorization: Bearer KEY")
    if service.keys.check(creds.credentials) is None:
        raise ServiceError("unauthorized", "the API key is not valid")


router = APIRouter(dependencies=[Depends(authorize)])


@router.post("/detect", summary="Faces in an image: boxes, 5 landmarks, scores (largest first)",
             description=BOX_FORMAT + ".")
async def detect(service: ServiceDep, limits: LimitsDep, image: Image) -> dict[str, Any]:
    data = await read_image(image, "image")

    def work() -> dict[str, Any]:
        faces = service.analyzer.detector.detect(service.decode(data))
        return {"detector": faces.detector, "faces_found": len(faces),
                "truncated": len(faces) > limits.max_faces, "faces": faces[:limits.max_faces].to_records()}
    return await service.runner.run(work)


@router.post("/embed", summary="The embedding of one face (the largest, or `face`)")
async def embed(service: ServiceDep, image: Image, face: FaceIndex = None, face_rule: FaceRule = "largest"
                ) -> dict[str, Any]:
    data = await read_image(image, "image")

    def work() -> dict[str, Any]:
        choice = service.analyzer.choose_face(service.decode(data), face, face_rule)
        return {"model": service.analyzer.model_id, "dim": int(choice.embedding.shape[0]),
                "embedding": [round(float(v), 7) for v in choice.embedding], **choice.to_dict()}
    return await service.runner.run(work)


@router.post("/verify", summary="Are the faces of two images the same person?")
async def verify(service: ServiceDep, limits: LimitsDep, image_a: Image, image_b: Image, fmr: Fmr = DEFAULT_FMR_TEXT,
                 face_rule: FaceRule = "largest",
                 face_a: FaceIndex = None, face_b: FaceIndex = None,
                 require_live: Annotated[bool, Form(description="refuse (422 not_live) a face the passive "
                                                    "liveness model judges a photo or screen")] = False
                 ) -> dict[str, Any]:
    rate = float(fmr)
    service.analyzer.threshold(rate)  # an uncalibrated rate fails before any model work
    a, b = await read_image(image_a, "image_a"), await read_image(image_b, "image_b")

    def work() -> dict[str, Any]:
        analyzer = service.analyzer
        with named("image_a"):
            pa = service.decode(a, "image_a")
            ca = analyzer.choose_face(pa, face_a, face_rule)
        with named("image_b"):
            pb = service.decode(b, "image_b")
            cb = analyzer.choose_face(pb, face_b, face_rule)
        live = {}
        if require_live:
            from ..liveness.hooks import require_live as check_live

            live = {f"liveness_{k}": check_live(p, c, f"image_{k}") for k, p, c in (("a", pa, ca), ("b", pb, cb))}
        verdict = analyzer.compare(ca.embedding, cb.embedding, fmr=rate)
        rec = {**verdict.to_dict(), **live}
        rec["meaning"] = threshold_meaning(verdict.fmr)
        rec["face_a"], rec["face_b"] = _choice(ca, limits.max_faces), _choice(cb, limits.max_faces)
        return rec
    return await service.runner.run(work)


@router.post("/explain", summary="Why two faces match or not: region drops, a sentence, optionally the picture",
             responses={200: {"content": {"image/png": {}}, "description": "JSON, or the picture with format=png"}})
async def explain(service: ServiceDep, image_a: Image, image_b: Image, fmr: Fmr = DEFAULT_FMR_TEXT,
                  face_rule: FaceRule = "largest", face_a: FaceIndex = None, face_b: FaceIndex = None,
                  grid: Annotated[int, Form(ge=2, le=9, description="occlusion patches per side")] = 7,
                  format: Annotated[Literal["json", "png"], Form(description="json, or png for the picture")] = "json",
                  picture: Annotated[bool, Form(description="with format=json: add the PNG picture, base64, "
                                                "as picture_png")] = False,
                  ) -> Any:
    from ..explainers.explanation import explain as explain_pair
    from ..explainers.render import render
    from ..image import encode_png

    rate = float(fmr)
    service.analyzer.threshold(rate)
    a, b = await read_image(image_a, "image_a"), await read_image(image_b, "image_b")

    def work() -> Any:
        e = explain_pair(service.analyzer, service.decode(a, "image_a"), service.decode(b, "image_b"), fmr=rate,
                         face_rule=face_rule, face_a=face_a, face_b=face_b, grid=grid)
        if format == "png":
            return Response(encode_png(render(e)), media_type="image/png")
        out = {**e.to_dict(), "meaning": threshold_meaning(e.fmr)}
        if picture:
            out["picture_png"] = base64.b64encode(encode_png(render(e, sentence=False))).decode("ascii")
        return out
    return await service.runner.run(work)


@router.post("/identify", summary="Who is in the image? Every face (largest first): a name or null")
async def identify(service: ServiceDep, limits: LimitsDep, image: Image, top: Annotated[int, Form(ge=1, le=100)] = 5,
                   fmr: Fmr = DEFAULT_FMR_TEXT
                   ) -> dict[str, Any]:
    rate = float(fmr)
    data = await read_image(image, "image")

    def work() -> dict[str, Any]:
        answers = service.gallery.identify(service.decode(data), top=top, fmr=rate)
        return {"faces_found": len(answers), "truncated": len(answers) > limits.max_faces,
                "meaning": threshold_meaning(rate),
                "faces": [a.to_dict() for a in answers[:limits.max_faces]]}
    return await service.runner.run(work)


@router.post("/analyze", summary="Quality with reasons and head pose per face; optional extras",
             description=BOX_FORMAT + ".")
async def analyze(service: ServiceDep, limits: LimitsDep, image: Image, extras: Annotated[str, Form(
        max_length=100, description="comma-separated optional analyses: landmarks, age_gender, emotion "
        "(each must be installed on the server; age, gender and emotion are unreliable guesses)")] = ""
        ) -> dict[str, Any]:
    from ..assessors import analysis_for

    analysis = analysis_for(service.analyzer, extras)  # an unknown or missing extra fails before any work
    data = await read_image(image, "image")

    def work() -> dict[str, Any]:
        pixels = service.decode(data)
        faces = analysis.assess(pixels, service.analyzer.detector.detect(pixels))
        return {"model": service.analyzer.model_id, "extras": list(analysis.extras), "faces_found": len(faces),
                "truncated": len(faces) > limits.max_faces, "faces": faces[:limits.max_faces].to_records()}
    return await service.runner.run(work)


@router.post("/identities", status_code=201, summary="Enroll a person from one or more photos")
async def enroll(service: ServiceDep, limits: LimitsDep, name: Annotated[str, Form(min_length=1, max_length=MAX_NAME)],
                 image: Annotated[list[UploadFile], File(description="one or more photos of the person")],
                 append: Annotated[bool, Form(description="add to an existing identity")] = False,
                 require_live: Annotated[bool, Form(description="refuse photos judged a photo or screen")] = False,
                 quality_filter: Annotated[Literal["none", "low", "medium", "high"],
                                           Form(description="refuse faces below this quality bar")] = "none",
                 ) -> dict[str, Any]:
    if len(image) > limits.max_images:
        raise InputError(f"at most {limits.max_images} photos per enrollment, got {len(image)}")
    blobs = [await read_image(f, "image") for f in image]
    names = [_upload_name(f, i) for i, f in enumerate(image)]

    def work() -> dict[str, Any]:
        pixels = [service.decode(d, f"image {n!r}") for d, n in zip(blobs, names)]
        from ..gallery.gate import EnrolmentGate

        gate = EnrolmentGate(quality_filter, require_live)
        out = service.gallery.enroll(name, pixels, append=append, sources=names, gate=gate).to_dict()
        return {**out, "warnings": gate.warnings}
    return await service.runner.run(work)


@router.get("/identities", summary="Everyone enrolled")
async def identities(service: ServiceDep) -> dict[str, Any]:
    people = [i.to_dict() for i in service.gallery.identities()]
    meta = service.gallery.meta
    return {"count": len(people), "model": meta.model_id if meta else service.analyzer.model_id,
            "identities": people}


@router.get("/identities/{name:path}", summary="One enrolled person and their templates")
async def show(service: ServiceDep, name: str) -> dict[str, Any]:
    return service.gallery.show(name).to_dict()


@router.delete("/identities/{name:path}", summary="Remove a person and all their templates")
async def remove(service: ServiceDep, name: str) -> dict[str, Any]:
    # Off the event loop: forgetting waits for the WAL checkpoint (up to 2 s), scrubs caches and
    # index shards, and on Milvus Lite rewrites the collections (seconds on a large gallery).
    return await service.runner.run(lambda: {"removed": service.gallery.remove(name).to_dict()})


# Route modules of their own join the API with one line each (their routes get the key check too).
from .video_routes import router as video_router; router.include_router(video_router)  # noqa: E402,E702
from .liveness_routes import router as liveness_router; router.include_router(liveness_router)  # noqa: E402,E702
from .blur_routes import router as blur_router; router.include_router(blur_router)  # noqa: E402,E702


def _choice(choice: Any, max_faces: int) -> dict[str, Any]:
    d = choice.to_dict()
    d["boxes"] = [[round(float(v), 2) for v in b] for b in choice.faces.boxes[:max_faces]]
    return d


def _upload_name(upload: UploadFile, i: int) -> str:
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]  # a label only: never opened
    return "".join(ch for ch in name if ch.isprintable())[:200] or f"upload-{i + 1}"


# -- pages, health, metrics ------------------------------------------------------------------
pages = APIRouter()  # the page, health and metrics: no key needed


@pages.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(WEB / "index.html")


@pages.get("/healthz", summary="Liveness, the loaded model, and whether API keys are required")
async def healthz(service: ServiceDep) -> Any:
    a = service.analyzer
    try:
        auth, problem = bool(service.config.auth and service.keys.required()), None
    except FaceprintError as e:  # a broken key file: the API is locked, and health says so
        auth, problem = True, str(e)
    out = {"status": "degraded" if problem else "ok", "model": a.model_id, "pipeline": a.calibration_name,
           "identities": len(service.gallery), "auth": auth, "fmrs": list(thresholds.calibrated_rates()),
           "version": _version()}
    if problem:
        out["problem"] = problem
        return JSONResponse(out, 503)
    return out


@pages.get("/metrics", response_class=PlainTextResponse, summary="Request counts and latencies (Prometheus)")
async def metrics(service: ServiceDep) -> PlainTextResponse:
    return PlainTextResponse(service.metrics.render(in_flight=service.runner.waiting),
                             media_type="text/plain; version=0.0.4")
