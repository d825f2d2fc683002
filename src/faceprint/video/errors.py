"""Typed errors for video input: each names the input and says what is wrong with it.

All are `ImageError` subclasses (code family of bad input), so the CLI exits 2 with one
line and the service answers 400 with the stable `code` below, like a bad photo.
"""

from __future__ import annotations

from ..errors import ImageError, ImageNotFoundError


class VideoError(ImageError):
    """A video could not be read (not a video, corrupt, unsupported)."""

    code = "bad_video"


class VideoNotFoundError(VideoError, ImageNotFoundError):
    """A path given as a video does not exist or is not a file."""

    code = "video_not_found"


class NoVideoStreamError(VideoError):
    """The file is a media container with no video stream in it (an audio file, say)."""

    code = "no_video_stream"


class EmptyVideoError(VideoError):
    """The video opened but holds no frame at all."""

    code = "empty_video"


class UnsupportedCodecError(VideoError):
    """The video stream uses a codec this build of FFmpeg cannot decode."""

    code = "unsupported_codec"


class TruncatedVideoError(VideoError):
    """Decoding stopped before the end the file announces: truncated or corrupt after some frames.

    Whatever was processed before the failure is kept (`frames_read` says how far it got).
    """

    code = "truncated_video"

    def __init__(self, message: str, frames_read: int = 0) -> None:
        super().__init__(message)
        self.frames_read = frames_read


class StreamUnreachableError(VideoError):
    """A camera or network stream did not open, or sent nothing, within the timeout."""

    code = "stream_unreachable"


class VideoTooLongError(VideoError):
    """The video is longer (or larger) than the configured limit."""

    code = "video_too_long"
