"""`faceprint blur` and the privacy blur library on real photos and drawn canvases (always run)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from faceprint.cli import main
from faceprint.image import load_image, save_image
from faceprint.privacy.cover import cover, cover_mask
from faceprint.privacy.detect import RecallDetector, enlarge
from faceprint.privacy.photo import Blurrer
from faceprint.types import Faces


@pytest.fixture(scope="module")
def blurrer():
    return Blurrer()


def _share_covered(mask: np.ndarray, box) -> float:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    return float(mask[y1:y2, x1:x2].mean())


def test_astronaut_face_is_covered_and_nothing_else_changes(astronaut, blurrer, fast):
    result = blurrer.photo(astronaut)
    assert result.to_dict()["covered"] == 1
    truth = fast.detect(astronaut).boxes[0]  # the identification detector's box
    mask = cover_mask(astronaut.shape[:2], result.covered_boxes)
    assert _share_covered(mask, truth) == 1.0
    assert np.array_equal(result.image[~mask], astronaut[~mask])
    assert not np.array_equal(result.image[mask], astronaut[mask])


@pytest.mark.parametrize("method", ["gaussian", "pixelate", "solid"])
def test_covered_face_is_no_longer_the_same_person(astronaut, fast, method):
    covered = Blurrer(method, detector=RecallDetector()).photo(astronaut).image
    original = fast.embed_faces(astronaut).embeddings[0]
    after = fast.embed_faces(covered)
    # Either no face is found any more, or what is found does not match at the FMR 1e-3 threshold.
    if len(after):
        assert float(after.embeddings @ original).max() < fast.threshold(1e-3)


def test_mask_method_is_white_exactly_on_the_covers(astronaut):
    r = Blurrer("mask").photo(astronaut)
    m = cover_mask(astronaut.shape[:2], r.covered_boxes)
    assert m.any() and np.all(r.image[m] == 255) and np.all(r.image[~m] == 0)


def test_small_face_found_by_the_upscaled_pass(astronaut, fast):
    """A 16 px face on a larger canvas: the recall detector covers it."""
    truth = fast.detect(astronaut).boxes[0]
    side = float(truth[2] - truth[0])
    s = 16.0 / side
    small = cv2.resize(astronaut, (round(512 * s), round(512 * s)), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 128, np.uint8)
    y, x = 200, 300
    canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
    face = truth * s + np.array([x, y, x, y])
    boxes = Blurrer().photo(canvas).covered_boxes
    assert _share_covered(cover_mask(canvas.shape[:2], boxes), face) >= 0.9


def test_enlarge_grows_every_side_and_clips():
    b = enlarge(np.array([[10, 10, 30, 50]]), (60, 40), 0.25)[0]
    assert list(b) == [0, 0, 40, 60]  # 10 px each side (of the 40 px side), clipped to 40 x 60


def test_overlapping_covers_and_empty_boxes(astronaut):
    out = cover(astronaut, np.array([[100, 100, 200, 200], [150, 150, 260, 260], [5, 5, 5, 5]]), "solid")
    assert np.all(out[100:200, 100:200] == 0) and np.all(out[150:260, 150:260] == 0)
    assert np.array_equal(out[300:], astronaut[300:])


def test_cli_blurs_good_inputs_and_reports_bad_ones(tmp_path, astronaut, capsys):
    good = tmp_path / "astro.jpg"
    save_image(astronaut, good)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    code = main(["blur", str(good), str(bad), str(tmp_path / "missing.png"), "--out", str(tmp_path / "o"), "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 2
    assert [("error" in x) for x in lines] == [False, True, True]
    assert lines[0]["covered"] == 1 and (tmp_path / "o" / "astro.jpg").is_file()
    assert lines[1]["error"]["code"] == "bad_image"
    assert load_image(tmp_path / "o" / "astro.jpg").shape == astronaut.shape


def test_cli_refuses_to_overwrite_its_input(tmp_path, astronaut, capsys):
    p = tmp_path / "a.png"
    save_image(astronaut, p)
    assert main(["blur", str(p), "--out", str(tmp_path)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert np.array_equal(load_image(p), astronaut)


def test_keep_leaves_enrolled_people_uncovered(tmp_path, astronaut, cameraman, fast, capsys):
    from faceprint.gallery import open_gallery

    with open_gallery(tmp_path / "g.db", fast, create=True) as g:
        g.enroll("Eileen Collins", [astronaut])
    cam = np.repeat(cameraman[:, :, None], 3, axis=2) if cameraman.ndim == 2 else cameraman
    canvas = np.full((560, 1100, 3), 200, np.uint8)
    canvas[20:532, 20:532] = cv2.flip(astronaut, 1)  # another view: a mirrored photo
    canvas[20:532, 570:1082] = cam
    src = tmp_path / "two.png"
    save_image(canvas, src)
    assert main(["blur", str(src), "--out", str(tmp_path / "o"), "--keep", str(tmp_path / "g.db"), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    kept = [f for f in rec["faces"] if not f["covered"]]
    assert len(kept) == 1 and kept[0]["identity"] == "Eileen Collins" and kept[0]["box"][0] < 532
    assert any(f["covered"] and f["box"][0] > 570 for f in rec["faces"])  # the cameraman is covered
    out = load_image(tmp_path / "o" / "two.png")
    x1, y1, x2, y2 = (int(v) for v in kept[0]["box"])
    assert np.array_equal(out[y1:y2, x1:x2], canvas[y1:y2, x1:x2])


# -- video ------------------------------------------------------------------------------------
class ScriptedDetector:
    """A deterministic detector for the temporal logic: the drawn face's box, except on `misses`."""

    name = "scripted"

    def __init__(self, boxes: dict[int, list[float]], misses: set[int]) -> None:
        self.boxes, self.misses, self.calls = boxes, misses, 0

    def detect(self, image: np.ndarray) -> Faces:
        k = self.calls
        self.calls += 1
        if k in self.misses or k not in self.boxes:
            return Faces.empty(image.shape[:2], self.name)
        b = np.array([self.boxes[k]], np.float32)
        return Faces(b, np.zeros((1, 5, 2)), np.ones(1), image.shape[:2], self.name)


def _clip(path, astronaut, frames=30, start=0):
    """The astronaut's head moving right on a drawn background; returns each frame's face box."""
    face = cv2.resize(astronaut[40:220, 150:300], (75, 90))
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (480, 270))
    boxes = {}
    for k in range(frames):
        f = np.zeros((270, 480, 3), np.uint8)
        f[:] = np.linspace(30, 220, 480).astype(np.uint8)[None, :, None]
        if k >= start:
            x = 20 + 8 * k
            f[90:180, x:x + 75] = face
            boxes[k] = [x + 10.0, 100.0, x + 65.0, 170.0]
        w.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    w.release()
    return boxes


def test_video_fill_covers_missed_frames_forward_and_back(tmp_path, astronaut):
    from faceprint.privacy.video import blur_video

    boxes = _clip(tmp_path / "c.mp4", astronaut, start=0)
    det = ScriptedDetector(boxes, misses={0, 1, 2, 3, 14, 15, 16})  # first seen at frame 4; lost 14-16
    result = blur_video(tmp_path / "c.mp4", Blurrer("solid", detector=det), out=tmp_path / "o.mp4")
    covers = result.covers_at()
    assert result.frames == 30 and sorted(covers) == list(range(30))
    for k in (0, 3, 15):  # backward fill before the first detection, forward fill across the gap
        m = cover_mask((270, 480), np.array(covers[k]))
        assert _share_covered(m, boxes[k]) >= 0.9, k
    # The written file has the face blacked out on a missed frame.
    cap = cv2.VideoCapture(str(tmp_path / "o.mp4"))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    x1, y1, x2, y2 = (int(v) for v in boxes[15])
    assert len(frames) == 30 and frames[15][y1 + 5:y2 - 5, x1 + 5:x2 - 5].mean() < 20


def test_video_with_the_real_detector_every_frame_covered(tmp_path, astronaut, capsys):
    boxes = _clip(tmp_path / "c.mp4", astronaut)
    assert main(["blur", str(tmp_path / "c.mp4"), "--out", str(tmp_path / "o"), "--every", "3", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["kind"] == "video" and rec["frames"] == 30
    per_frame: dict[int, list] = {}
    for t in rec["tracks"]:
        for k, *b in t["boxes"]:
            per_frame.setdefault(k, []).append(b)
    for k, truth in boxes.items():
        assert _share_covered(cover_mask((270, 480), np.array(per_frame.get(k, []))), truth) >= 0.9, k
    assert (tmp_path / "o" / "c.mp4").stat().st_size > 0


def test_truncated_video_is_an_error_after_the_frames_read(tmp_path, astronaut, capsys):
    _clip(tmp_path / "c.mp4", astronaut)
    data = (tmp_path / "c.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    code = main(["blur", str(tmp_path / "cut.mp4"), "--out", str(tmp_path / "o"), "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert code == 2 and "error" in rec
