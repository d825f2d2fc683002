"""Roboflow's ByteTrack (`trackers` package) behind `FaceTracker`'s interface, for comparison.

`python -m faceprint.bench video --tracker bytetrack` runs it in place of our tracker. Not a
dependency: `trackers` declares the GUI `opencv-python`, which must not be installed beside
`opencv-python-headless`, so it is only usable installed with `--no-deps` (plus
`supervision`, `pydeprecate`). ByteTrack associates by box overlap alone (Kalman + IoU, a
second pass for low-score boxes); `features` are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass
class _Seen:
    id: int
    box: np.ndarray
    first_frame: int
    last_frame: int


class ByteTrackAdapter:
    def __init__(self, fps: float = 25.0, *, max_lost_s: float = 1.0) -> None:
        try:
            import supervision  # noqa: F401
            from trackers import ByteTrackTracker
        except ImportError as e:
            raise InputError(f"the ByteTrack comparison needs `pip install --no-deps trackers==2.6.1 "
                             f"supervision pydeprecate` ({e})") from None
        self.fps = float(fps)
        self.max_lost = max(1, int(round(max_lost_s * fps)))
        # YuNet keeps boxes scoring >= 0.6: all are "high confidence"; ids from the first match.
        self._bt = ByteTrackTracker(lost_track_buffer=int(round(max_lost_s * 30)), frame_rate=self.fps,
                                    track_activation_threshold=0.6, minimum_consecutive_frames=1,
                                    high_conf_det_threshold=0.6)
        self.frame = -1
        self._epoch_base = 0  # `reset()` restarts the library's ids: ours keep counting
        self._max_id = 0
        self._seen: dict[int, _Seen] = {}
        self._ended: list[_Seen] = []

    @property
    def tracks(self) -> list[_Seen]:
        return list(self._seen.values())

    def predict(self) -> list[_Seen]:
        self.frame += 1
        for tid, t in list(self._seen.items()):
            if self.frame - t.last_frame > self.max_lost:
                self._ended.append(self._seen.pop(tid))
        return self.tracks

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None, features: np.ndarray | None = None
               ) -> np.ndarray:
        import supervision as sv

        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        n = len(boxes)
        conf = np.ones(n, np.float32) if scores is None else np.asarray(scores, np.float32)
        det = sv.Detections(xyxy=boxes.astype(np.float64), confidence=conf, data={"index": np.arange(n)})
        out = self._bt.update(det, timestamp=self.frame / self.fps)
        ids = np.zeros(n, np.int64)
        for k, tid in zip(out.data["index"].tolist(), out.tracker_id.tolist()):
            if tid < 0:
                continue
            gid = self._epoch_base + int(tid) + 1  # the library may count from 0
            self._max_id = max(self._max_id, gid)
            ids[k] = gid
            t = self._seen.get(gid)
            if t is None:
                self._seen[gid] = _Seen(gid, boxes[k], self.frame, self.frame)
            else:
                t.box, t.last_frame = boxes[k], self.frame
        return ids

    def end_all(self) -> list[_Seen]:
        ended = list(self._seen.values())
        self._ended.extend(ended)
        self._seen = {}
        self._bt.reset()
        self._epoch_base = self._max_id
        return ended

    def pop_ended(self) -> list[_Seen]:
        out, self._ended = self._ended, []
        return out
