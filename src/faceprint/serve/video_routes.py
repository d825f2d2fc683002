"""`POST /v1/videos` (an uploaded clip becomes a job) and `GET /v1/jobs/{id}` (its status, then the timeline).

The clip arrives only as an uploaded file, like every image: no route takes a path or a
URL. It is spooled to a private temporary file (the decoder needs a file), probed at once
(a bad, empty or over-long video is answered 400/413 in the POST itself), then processed
by the job store's own worker thread (`jobs.py`): the POST answers 202 with the job id at
once, and `GET /v1/jobs/{id}` reports `queued`, `running` (frames done of total), then
`done` with the result (the video's info and the timeline, one entry per track, the
fields of `faceprint video --json`) or `failed` with the error shape. The temporary file
is deleted when the job ends; messages name the upload, never the server's path.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from ..errors import FaceprintError
from .forms import DEFAULT_FMR_TEXT, FmrText, discard, read_video, renamed, spool
from .http_errors import ServiceError
from .jobs import JobStore

router = APIRouter()
_setup_lock = threading.Lock()


@dataclass(frozen=True)
class VideoLimits:
    max_bytes: int = 20 * 1024 * 1024  # also bounded by the service's body limit
    max_duration_s: float = 120.0
    max_pending: int = 4  # jobs waiting or running; more are refused (503 busy)


def _state(request: Request) -> tuple[Any, JobStore, VideoLimits]:
    app = request.app
    with _setup_lock:
        if getattr(app.state, "video_jobs", None) is None:
            limits = getattr(app.state, "video_limits", None) or VideoLimits()
            app.state.video_limits = limits
            app.state.video_jobs = JobStore(max_pending=limits.max_pending)
    return app.state.service, app.state.video_jobs, app.state.video_limits


@router.post("/videos", status_code=202, summary="Track the faces of an uploaded video (a job: poll /v1/jobs/{id})")
async def submit_video(
        request: Request,
        video: Annotated[UploadFile, File(description="a video file (mp4, avi, mkv, webm, mov, animated gif...)")],
        every: Annotated[int | None, Form(ge=1, le=100, description="detector on every N-th frame "
                                          "(default: about 8 per second)")] = None,
        fmr: Annotated[FmrText, Form(description="false-match rate of the gallery threshold")] = DEFAULT_FMR_TEXT,
        ) -> dict[str, Any]:
    from ..video.errors import VideoTooLongError
    from ..video.source import open_video

    service, jobs, limits = _state(request)
    rate = float(fmr)
    service.analyzer.threshold(rate)
    name, data = await read_video(video, "video", limits.max_bytes)
    path = spool(data, "faceprint-video-", os.path.splitext(name)[1][:8])

    def remove() -> None:
        discard(path)

    def probe() -> dict[str, Any]:
        with open_video(path) as v:
            info = v.info
        if info.duration is not None and info.duration > limits.max_duration_s:
            raise VideoTooLongError(f"video {name!r}: {info.duration:.1f} s long, over the limit of "
                                    f"{limits.max_duration_s:g} s")
        return info.to_dict()

    try:
        info = await service.runner.run(probe)
    except VideoTooLongError as e:
        remove()
        raise ServiceError("video_too_long", str(renamed(e, path, name)), 413) from None
    except FaceprintError as e:
        remove()
        raise renamed(e, path, name) from None
    except BaseException:
        remove()
        raise

    def work(job) -> dict[str, Any]:
        from ..video.run import VideoRun

        total = info.get("frame_count")
        job.progress = {"frames": 0, "total": total}

        def on_frame(frame, result) -> None:
            job.progress = {"frames": frame.index + 1, "total": total}

        try:
            run = VideoRun(path, service.analyzer, gallery=service.gallery, every=every, fmr=rate, thumbs=False,
                           max_duration_s=limits.max_duration_s, on_frame=on_frame)
            try:
                run.run()
            except FaceprintError:
                pass  # a truncated file: the summary says how far it got (complete: false, error)
            summary = run.summary.to_dict()
        except FaceprintError as e:
            raise renamed(e, path, name) from None
        if summary.get("error"):
            summary["error"]["message"] = summary["error"]["message"].replace(repr(path), repr(name))
        summary["video"]["name"] = name
        return summary

    try:
        job = jobs.submit("video", work, cleanup=remove)
    except BaseException:
        remove()
        raise
    return {"job": job.id, "status": job.status, "video": {**info, "name": name}, "poll": f"/v1/jobs/{job.id}"}


@router.get("/jobs/{job_id}", summary="A job's status and progress; its result once done")
async def get_job(request: Request, job_id: str) -> dict[str, Any]:
    _, jobs, _ = _state(request)
    return jobs.get(job_id).to_dict()
