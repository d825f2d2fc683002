"""`faceprint cluster` end to end on a small folder, and the contact sheet parsed as HTML."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from faceprint.cli import main

PIPELINE = "fast"  # the command's code path is the same for every pipeline; this one is quickest


@pytest.fixture(autouse=True)
def _threshold(threshold_args):
    THRESHOLD[:] = threshold_args


THRESHOLD: list[str] = []
# The photo folder holds two unreadable files: they are skipped and reported, and by the CLI's batch
# rule (faceprint.cli.exits) the run exits 2 with every output written.
SKIPPED = 2


def run(photos: Path, out: Path, *extra: str) -> int:
    # a later --threshold on the command line wins over the default one
    return main(["cluster", str(photos), "--out", str(out), "--model", PIPELINE, "--workers", "2",
                 *THRESHOLD, *extra])


def clusters_of(out: Path) -> dict[str, object]:
    return {f["file"]: f["cluster"] for f in json.loads((out / "clusters.json").read_text())["faces"]}


@pytest.fixture()
def clustered(photo_folder, tmp_path, isolated_cache, capsys):
    out = tmp_path / "out"
    assert run(photo_folder, out) == SKIPPED
    return out, capsys.readouterr()


def test_two_people_and_bad_files_skipped_with_reasons(clustered):
    out, captured = clustered
    doc = json.loads((out / "clusters.json").read_text())
    by_file = clusters_of(out)
    assert set(by_file) == {"astronaut.jpg", "trip/astronaut mirrored.png", "trip/day 2/small.webp",
                            "camera.JPEG", "trip/camera_mirrored.bmp", "camera_big.tif"}
    astro = {by_file[f] for f in ("astronaut.jpg", "trip/astronaut mirrored.png", "trip/day 2/small.webp")}
    camera = {by_file[f] for f in ("camera.JPEG", "trip/camera_mirrored.bmp", "camera_big.tif")}
    assert len(astro) == 1 and len(camera) == 1 and astro != camera
    assert sorted(c["size"] for c in doc["clusters"]) == [3, 3]
    skipped = {s["file"]: s["reason"] for s in doc["skipped"]}
    assert set(skipped) == {"notes.jpg", "trip/truncated.jpg"}
    assert "not a supported image" in skipped["notes.jpg"]
    assert "truncated" in skipped["trip/truncated.jpg"] or "corrupt" in skipped["trip/truncated.jpg"]
    assert "skipped notes.jpg:" in captured.err and "skipped trip/truncated.jpg:" in captured.err
    for f in doc["faces"]:
        assert len(f["box"]) == 4 and 0.5 < f["confidence"] <= 1.0
    csv_lines = (out / "clusters.csv").read_text().splitlines()
    assert csv_lines[0] == "file,face,x1,y1,x2,y2,cluster,confidence" and len(csv_lines) == 7


class SheetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.faces: list[tuple[str, str, str, str]] = []  # (data-face, data-cluster, img src, link href)
        self.sections: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self._href = a.get("href")
        elif tag == "img":
            self.faces.append((a["data-face"], a["data-cluster"], a["src"], self._href))
        elif tag == "section":
            self.sections.append(a["id"])


def test_contact_sheet_every_face_once_and_every_link_resolves(clustered, photo_folder):
    out, _ = clustered
    doc = json.loads((out / "clusters.json").read_text())
    page = SheetParser()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    shown = [f[0] for f in page.faces]
    expected = [f"{f['file']}#{f['face']}" for f in doc["faces"]]
    assert sorted(shown) == sorted(expected) and len(set(shown)) == len(shown)
    for face, cluster, src, href in page.faces:
        assert (out / unquote(src)).is_file(), src
        assert href is not None and (out / unquote(href)).resolve() == (photo_folder / face.split("#")[0]).resolve()
        assert str(clusters_of(out)[face.split("#")[0]]) == cluster
    assert len(page.sections) == 2


def test_singletons_come_last(photo_folder, tmp_path, isolated_cache):
    out = tmp_path / "strict"
    assert main(["cluster", str(photo_folder), "--out", str(out), "--model", PIPELINE, "--workers", "1",
                 "--threshold", "0.999"]) == SKIPPED
    page = SheetParser()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    assert page.sections[-1] == "singles"


def test_group_photo_faces_never_share_a_cluster(photo_folder, tmp_path, isolated_cache):
    from skimage import data

    from faceprint.image import save_image

    photos = tmp_path / "photos"
    shutil.copytree(photo_folder, photos)
    astro = data.astronaut()
    save_image(np.hstack([astro, np.ascontiguousarray(astro[:, ::-1])]), photos / "twice.png")  # one person twice
    out = tmp_path / "out"
    assert run(photos, out) == SKIPPED
    faces = json.loads((out / "clusters.json").read_text())["faces"]
    twice = [f["cluster"] for f in faces if f["file"] == "twice.png"]
    assert len(twice) == 2 and twice[0] != twice[1]


def test_corrections_are_kept_by_later_runs(photo_folder, tmp_path, isolated_cache):
    out = tmp_path / "out"
    assert run(photo_folder, out) == SKIPPED
    astro_id = clusters_of(out)["astronaut.jpg"]
    camera_id = clusters_of(out)["camera.JPEG"]
    assert run(photo_folder, out, "--name", f"{astro_id}=Eileen Collins") == SKIPPED
    by_file = clusters_of(out)
    assert by_file["astronaut.jpg"] == by_file["trip/day 2/small.webp"] == "Eileen Collins"
    named = np.load(out / "named.npz", allow_pickle=False)
    assert set(named["names"].tolist()) == {"Eileen Collins"} and named["embeddings"].shape[0] == 3
    gallery_path = tmp_path / "people.db"
    for _ in range(2):  # enrolling twice replaces, never duplicates
        assert run(photo_folder, out, "--enroll", str(gallery_path)) == SKIPPED
    from faceprint.gallery import open_gallery

    with open_gallery(gallery_path) as g:
        assert [(i.name, i.n_templates) for i in g.identities()] == [("Eileen Collins", 3)]
    # a later run at a threshold that would split everything still keeps the named person together
    assert run(photo_folder, out, "--threshold", "0.9999") == SKIPPED
    assert clusters_of(out)["trip/astronaut mirrored.png"] == "Eileen Collins"
    assert len({v for k, v in clusters_of(out).items() if "camera" in k}) == 3
    # merge the cameraman back by hand, then split him off the named cluster
    camera = {v for k, v in clusters_of(out).items() if "camera" in k}
    a, b, c = sorted(camera)
    assert run(photo_folder, out, "--threshold", "0.9999", "--merge", str(a), str(b)) == SKIPPED
    ids = clusters_of(out)
    assert ids["camera.JPEG"] == ids["camera_big.tif"] or len({ids[k] for k in ids if "camera" in k}) == 2
    assert run(photo_folder, out, "--merge", "Eileen Collins", str(ids["camera.JPEG"])) == SKIPPED
    assert clusters_of(out)["camera.JPEG"] == "Eileen Collins"
    assert run(photo_folder, out, "--split", "Eileen Collins") == SKIPPED
    ids = clusters_of(out)
    assert ids["astronaut.jpg"] == "Eileen Collins" and ids["camera.JPEG"] != "Eileen Collins"
    corrections = json.loads((out / "corrections.json").read_text())
    assert corrections["names"] and corrections["apart"]
    del camera_id


def test_unknown_cluster_and_bad_name_are_usage_errors(clustered, photo_folder, capsys):
    out, _ = clustered
    assert run(photo_folder, out, "--name", "99=Nobody") == 2
    assert "no cluster '99'" in capsys.readouterr().err
    assert run(photo_folder, out, "--name", "0=42") == 2
    assert main(["cluster", str(photo_folder / "missing"), "--out", str(out)]) == 2


def test_resumable_only_new_photos_are_processed(photo_folder, tmp_path, isolated_cache):
    from faceprint.cluster import batch

    photos = tmp_path / "photos"
    shutil.copytree(photo_folder, photos)
    cache = batch.results_cache()
    first = batch.process(photos, batch.walk(photos), PIPELINE, workers=2, cache=cache, progress=False)
    assert not any(r.cached for r in first)
    shutil.copy(photos / "camera.JPEG", photos / "copy of camera.jpg")  # same content, new name
    from skimage import data

    from faceprint.image import save_image

    save_image(data.astronaut()[::2, ::2].copy(), photos / "new.png")
    again = batch.process(photos, batch.walk(photos), PIPELINE, workers=2, cache=cache, progress=False)
    fresh = {r.file for r in again if not r.cached}
    assert fresh == {"new.png"}
    by_file = {r.file: r for r in again}
    assert np.array_equal(by_file["copy of camera.jpg"].faces.embeddings, by_file["camera.JPEG"].faces.embeddings)
    cache.close()


def test_output_folder_inside_the_photo_folder_is_not_walked(photo_folder, tmp_path, isolated_cache):
    photos = tmp_path / "photos"
    shutil.copytree(photo_folder, photos)
    assert run(photos, photos / "clusters") == SKIPPED
    assert run(photos, photos / "clusters") == SKIPPED  # thumbnails written by the first run are not photos
    assert len(clusters_of(photos / "clusters")) == 6


def test_heic_photos_are_read_when_pillow_heif_is_installed(tmp_path, isolated_cache):
    pillow_heif = pytest.importorskip("pillow_heif")
    from skimage import data

    from faceprint.cluster import batch

    astro = data.astronaut()
    pillow_heif.from_bytes(mode="RGB", size=astro.shape[1::-1], data=astro.tobytes()).save(tmp_path / "a.HEIC",
                                                                                              quality=90)
    (tmp_path / "broken.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"0" * 64)
    assert batch.walk(tmp_path) == ["a.HEIC", "broken.heic"]
    good, bad = batch.process(tmp_path, ["a.HEIC", "broken.heic"], PIPELINE, workers=1, cache=None, progress=False)
    assert len(good.faces) == 1 and good.error is None
    assert bad.faces is None and "HEIF" in bad.error
