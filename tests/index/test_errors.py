"""A manifest of good, missing, corrupt and face-less files: every file gets its row, none stops the job."""

from __future__ import annotations

import csv

import numpy as np
import pytest

pytest.importorskip("pyarrow")


def test_manifest_with_bad_files(astronaut, tmp_path):
    from faceprint.image import encode_jpeg, encode_png
    from faceprint.index.engine_local import LocalEngine
    from faceprint.index.job import run_index
    from faceprint.index.shards import read_index

    photos = tmp_path / "photos"
    photos.mkdir()
    good = encode_jpeg(astronaut)
    (photos / "astronaut.jpg").write_bytes(good)
    (photos / "truncated.jpg").write_bytes(good[:200])  # a download cut short
    (photos / "text.png").write_bytes(b"this is not a picture\n")
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "sky.png").write_bytes(encode_png(np.full((120, 160, 3), (90, 140, 220), np.uint8)))  # no face
    manifest = tmp_path / "manifest.csv"
    names = ["astronaut.jpg", "truncated.jpg", "missing.jpg", "text.png", "empty.jpg", "sky.png"]
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "note"])
        w.writerows([f"photos/{n}", ""] for n in names)  # relative to the manifest's folder

    s = run_index(str(manifest), tmp_path / "index", LocalEngine(1), pipeline="fast", shard_size=4, progress=False)
    assert (s.images, s.processed, s.errors, s.shards) == (6, 6, 4, 2)
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in read_index(tmp_path / "index").to_pylist()}
    assert set(rows) == set(names)
    face = rows["astronaut.jpg"]
    assert face["error"] is None and face["face_index"] == 0 and len(face["embedding"]) == 128
    assert 0 <= face["quality"] <= 1 and face["model_id"] == s.model_id and face["content_hash"]
    assert rows["sky.png"]["error"] is None and rows["sky.png"]["face_index"] is None  # read fine, no face
    for bad in ("truncated.jpg", "missing.jpg", "text.png", "empty.jpg"):
        r = rows[bad]
        assert r["face_index"] is None and r["embedding"] is None
        assert bad in r["error"], r["error"]  # the message names the file
    assert "No such file" in rows["missing.jpg"]["error"] and rows["missing.jpg"]["content_hash"] is None
    assert rows["truncated.jpg"]["content_hash"] is not None  # read, then failed to decode


def test_folder_and_text_sources(astronaut, tmp_path):
    from faceprint.image import encode_jpeg
    from faceprint.index.sources import list_source

    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for p in ("b/2.jpg", "a.png", ".hidden/x.jpg", "notes.txt"):
        (tmp_path / p).write_bytes(encode_jpeg(astronaut))
    assert [p.rsplit("/", 1)[-1] for p in list_source(str(tmp_path))] == ["a.png", "2.jpg"]
    listing = tmp_path / "list.txt"
    listing.write_text("# photos\nb/2.jpg\n\n/abs/elsewhere.jpg\n")
    assert list_source(str(listing)) == [str(tmp_path / "b" / "2.jpg"), "/abs/elsewhere.jpg"]


def test_source_and_model_errors(tmp_path):
    from faceprint.errors import InputError
    from faceprint.index.engine_local import LocalEngine
    from faceprint.index.job import run_index
    from faceprint.index.sources import list_source

    bad = tmp_path / "m.csv"
    bad.write_text("file,name\nx.jpg,a\n")
    with pytest.raises(InputError, match="no 'path' column"):
        list_source(str(bad))
    with pytest.raises(InputError, match="neither a folder nor a file"):
        list_source(str(tmp_path / "nothing"))
    ok = tmp_path / "ok.txt"
    ok.write_text("missing.jpg\n")
    run_index(str(ok), tmp_path / "idx", LocalEngine(1), pipeline="fast", progress=False)
    with pytest.raises(InputError, match="was indexed with model"):  # never mixes two models' embeddings
        run_index(str(ok), tmp_path / "idx", LocalEngine(1), pipeline="dlib", progress=False)
