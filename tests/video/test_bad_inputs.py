"""Bad video inputs get typed errors naming the input, and lose nothing already processed.

The clips are drawn here (moving shapes, no faces needed) with OpenCV's writer; the broken
ones are made from them: cut in half, the codec tag overwritten, an audio-only WAV, text.
"""

from __future__ import annotations

import subprocess
import sys
import wave

import numpy as np
import pytest

from faceprint.video import errors as E
from faceprint.video.source import open_video


def _draw_clip(path, n=40, fourcc="MJPG", size=(160, 120)):
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 20.0, size)
    assert w.isOpened()
    for i in range(n):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        cv2.circle(frame, (10 + 3 * i, 60), 12, (0, 200, 255), -1)
        cv2.putText(frame, str(i), (5, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
        w.write(frame)
    w.release()
    return path


@pytest.fixture()
def good_avi(tmp_path):
    return _draw_clip(tmp_path / "good.avi")


def _frames(source):
    with open_video(source) as v:
        return sum(1 for _ in v)


def test_a_drawn_clip_reads_every_frame_with_times(good_avi):
    with open_video(good_avi) as v:
        assert v.info.frame_count == 40 and v.info.fps == pytest.approx(20.0)
        times = [f.time for f in v]
    assert len(times) == 40 and times[0] == 0.0 and np.all(np.diff(times) > 0)


def test_missing_empty_and_not_a_video(tmp_path):
    with pytest.raises(E.VideoNotFoundError, match="no such file"):
        open_video(tmp_path / "absent.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(E.EmptyVideoError, match="empty"):
        open_video(tmp_path / "empty.mp4")
    (tmp_path / "notes.mp4").write_text("this is not a video\n" * 50)
    with pytest.raises(E.VideoError, match="notes.mp4"):
        open_video(tmp_path / "notes.mp4")


def test_truncated_mp4_without_its_index_is_refused(tmp_path):
    whole = _draw_clip(tmp_path / "whole.mp4", fourcc="mp4v").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) // 2])  # the moov index is at the end
    with pytest.raises(E.VideoError, match="cut.mp4"):
        open_video(tmp_path / "cut.mp4")


def test_truncated_avi_keeps_what_was_read(good_avi, tmp_path, fast):
    from faceprint.video.run import VideoRun

    data = good_avi.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    run = VideoRun(str(cut), fast)
    seen = []
    with pytest.raises(E.TruncatedVideoError, match=r"stopped at frame \d+ of the 40"):
        for r in run:
            seen.append(r.index)
    assert 5 < len(seen) < 40
    s = run.summary  # still there: nothing processed is lost
    assert not s.complete and s.frames_read == len(seen) and s.error["code"] == "truncated_video"


def test_no_video_stream(tmp_path):
    pytest.importorskip("av")
    path = tmp_path / "sound.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    with pytest.raises(E.NoVideoStreamError, match="no video stream"):
        open_video(path)


def test_unknown_codec(good_avi, tmp_path):
    pytest.importorskip("av")
    path = tmp_path / "odd.avi"
    path.write_bytes(good_avi.read_bytes().replace(b"MJPG", b"QQQQ"))
    with pytest.raises(E.UnsupportedCodecError, match="codec"):
        open_video(path)


def test_unreachable_stream_times_out_with_a_typed_error():
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    with pytest.raises(E.StreamUnreachableError, match="rtsp://127.0.0.1:9"):
        open_video("rtsp://127.0.0.1:9/live", timeout_s=2)
    with pytest.raises(E.StreamUnreachableError, match=r"rtsp://\*\*\*@127"):
        open_video("rtsp://user:secret@127.0.0.1:9/live", timeout_s=2)  # the password is not echoed


def test_cli_truncated_input_prints_tracks_keeps_the_annotated_copy_and_exits_2(good_avi, tmp_path):
    import cv2

    data = good_avi.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "annotated.avi"
    proc = subprocess.run([sys.executable, "-m", "faceprint", "video", str(cut), "--model", "fast", "--json",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("faceprint: error: ")
    assert "Traceback" not in proc.stderr
    cap = cv2.VideoCapture(str(out))
    written = 0
    while cap.read()[0]:
        written += 1
    assert written == _frames_before_error(cut)


def _frames_before_error(path):
    n = 0
    try:
        with open_video(path) as v:
            for _ in v:
                n += 1
    except E.TruncatedVideoError as e:
        assert e.frames_read == n
    return n


def test_cli_missing_file_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "faceprint", "video", str(tmp_path / "nope.mp4")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "nope.mp4" in proc.stderr
