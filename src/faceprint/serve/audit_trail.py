"""`faceprint serve --audit-log PATH`: an ASGI middleware that writes the audit log of the gallery routes.

It watches only the routes that touch people: enroll (`POST /v1/identities`), remove
(`DELETE /v1/identities/{name}`) and search: `POST /v1/identify`, `POST /v1/videos` (a video
is searched against the gallery in a job) and the read of a finished video job
(`GET /v1/jobs/{id}`, where the names the video search found are handed out; polls before
it ends are not recorded). `POST /v1/blur` with `keep` names faces to leave them uncovered:
it is recorded as a search when it kept someone (the JSON answer names them; a picture
answer only counts them, in `X-Faceprint-Kept`). The actor is the name of the
API key the request carried (looked up in the service's key store, never written itself).
The identity comes from the answer (enroll, search) or the path (remove); the outcome is
"ok" or the answer's error code. See `privacy/audit.py` for the record.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ..privacy.audit import AuditLog

ROUTES = {("POST", "/v1/identities"): ("enroll", "POST /v1/identities"),
          ("POST", "/v1/identify"): ("search", "POST /v1/identify"),
          ("POST", "/v1/videos"): ("search", "POST /v1/videos"),
          ("POST", "/v1/blur"): ("search", "POST /v1/blur")}
JOB_ROUTE = "GET /v1/jobs/{id}"
MAX_BODY = 1 << 20  # answers larger than this are not parsed for names


def install_audit(app: Any, path: str) -> AuditLog:
    """Add the audit middleware to `app` (before it starts); returns the open log."""
    log = AuditLog(path)
    app.add_middleware(AuditTrail, log=log)
    return log


class AuditTrail:
    def __init__(self, app: Any, log: AuditLog) -> None:
        self.app = app
        self.log = log

    def _which(self, scope: dict) -> tuple[str, str, str | None] | None:
        method, path = scope.get("method", ""), scope.get("path", "")
        if (method, path.rstrip("/")) in ROUTES:
            action, route = ROUTES[(method, path.rstrip("/"))]
            return action, route, None
        if method == "DELETE" and path.startswith("/v1/identities/"):
            return "remove", "DELETE /v1/identities/{name}", unquote(path[len("/v1/identities/"):])
        if method == "GET" and path.startswith("/v1/jobs/"):
            return "search", JOB_ROUTE, None
        return None

    def _actor(self, scope: dict) -> str:
        service = getattr(scope["app"].state, "service", None) if "app" in scope else None
        auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            if service is None or not service.keys.required():
                return "local"
            return (service.keys.check(token) if token else None) or ("invalid key" if token else "no key")
        except Exception:  # noqa: BLE001 - a broken key file: the route itself answers 503
            return "unknown"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        which = self._which(scope) if scope.get("type") == "http" else None
        if which is None:
            await self.app(scope, receive, send)
            return
        action, route, identity = which
        status = {"code": 500, "kept": 0}
        body = bytearray()

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                kept = dict(message.get("headers") or []).get(b"x-faceprint-kept", b"0")
                status["kept"] = int(kept) if kept.isdigit() else 0
            elif message["type"] == "http.response.body" and len(body) < MAX_BODY:
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._write(scope, action, route, identity, status["code"], bytes(body), status["kept"])

    def _write(self, scope: dict, action: str, route: str, identity: str | None, status: int, body: bytes,
               kept: int = 0) -> None:
        try:
            answer = json.loads(body) if body and body[:1] in (b"{", b"[") else {}
        except ValueError:
            answer = {}
        outcome = "ok" if status < 400 else str((answer.get("error") or {}).get("code") or status)
        extra: dict[str, Any] = {"status": status}
        if route == JOB_ROUTE:
            if not answer and len(body) >= MAX_BODY:  # a long video's answer: names unread, the read recorded
                extra["identities"] = None
            elif answer.get("kind") == "video" and isinstance(answer.get("result"), dict):
                extra["identities"] = sorted(answer["result"].get("identities") or [])
            else:
                return  # a poll of a running job, another kind of job, or an unknown id: no one was named
            extra["job"] = scope.get("path", "")[len("/v1/jobs/"):]
        elif route == "POST /v1/blur":
            named = sorted({f["identity"] for f in answer.get("faces", []) if f.get("identity")})
            if status >= 400 or not (named or kept or answer.get("kept")):
                return  # no face was kept: the gallery named no one (or was not asked)
            extra["identities"] = named if answer else None  # a picture answer counts, never names
            extra["kept"] = int(answer.get("kept", kept))
        elif route == "POST /v1/videos":
            if status < 400:
                extra["job"] = answer.get("job")  # the names come with the job's result (JOB_ROUTE)
        elif action == "enroll" and status < 400:
            identity = answer.get("identity")
        elif action == "search" and status < 400:
            extra["identities"] = sorted({f["identity"] for f in answer.get("faces", []) if f.get("identity")})
            extra["faces"] = len(answer.get("faces", []))
        self.log.record(actor=self._actor(scope), via="api", route=route, action=action, outcome=outcome,
                        identity=identity, **extra)
