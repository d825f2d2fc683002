"""Forget for real: after `gallery remove` / `DELETE /v1/identities/{name}`, no file of the data folder
(gallery, its -wal and -shm, the embedding caches, the cluster sheet) holds the vectors or the name."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceprint.cli import main
from faceprint.gallery import open_gallery
from faceprint.image import encode_jpeg, save_image

NAME = "Eileen Collins"


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _holding(folder: Path, vectors: np.ndarray, name: str) -> list[str]:
    """The files that contain any vector's float32 bytes or the name (UTF-8, or UTF-32 as numpy stores it)."""
    marks = [v.astype("<f4").tobytes() for v in vectors] + [name.encode("utf-8"), name.encode("utf-32-le")]
    return [str(p.relative_to(folder)) for p, raw in _files(folder).items() if any(m in raw for m in marks)]


@pytest.fixture
def photos(tmp_path, astronaut, cameraman):
    folder = tmp_path / "photos"
    folder.mkdir()
    save_image(astronaut, folder / "a1.jpg")
    save_image(cv2.flip(astronaut, 1), folder / "a2.png")
    save_image(np.repeat(cameraman[:, :, None], 3, axis=2) if cameraman.ndim == 2 else cameraman, folder / "cam.png")
    return folder


def test_remove_forgets_gallery_wal_caches_and_sheet(tmp_path, photos, fast, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("FACEPRINT_CACHE", str(data / "cache"))
    sheet, gal = data / "sheet", data / "g.db"
    # A cluster run caches every photo's faces and embeddings; naming a cluster and --enroll
    # puts that person into the gallery (recording the sheet), a plain enroll the cameraman.
    assert main(["cluster", str(photos), "--out", str(sheet), "--model", "fast"]) == 0
    assert main(["cluster", str(photos), "--out", str(sheet), "--model", "fast", "--name", f"0={NAME}",
                 "--enroll", str(gal)]) == 0
    with open_gallery(gal, fast) as g:
        g.enroll(NAME + " (photo)", [photos / "a1.jpg"])  # enrolled from a file: its cache key is recorded
        g.enroll("Camera Man", [photos / "cam.png"])
        vectors = {info.name: v for info, v in g.store.export()}
        mine = np.concatenate([vectors[NAME], vectors[NAME + " (photo)"]])
        before = _holding(data, mine, NAME)
        assert "g.db-wal" in before or "g.db" in before
        assert any(p.startswith("cache") for p in before) and any(p.startswith("sheet") for p in before)
        g.remove(NAME)
        g.remove(NAME + " (photo)")
        # Read while the gallery is still open: its -wal and -shm exist now.
        assert (data / "g.db-wal").exists()
        assert _holding(data, mine, NAME) == []
        assert [i.name for i in g.identities()] == ["Camera Man"]
    assert _holding(data, vectors["Camera Man"], "Camera Man")  # the others stay
    capsys.readouterr()


def test_cli_remove_and_service_delete(tmp_path, astronaut, fast, capsys):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from faceprint.serve import ServeConfig, create_app

    data = tmp_path / "data"
    data.mkdir()
    config = ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(data / "g.db"),
                         keys=str(tmp_path / "keys.json"))
    with TestClient(create_app(config, analyzer=fast), raise_server_exceptions=False) as client:
        for who, img in ((NAME, astronaut), ("Mirror Twin", cv2.flip(astronaut, 1))):
            r = client.post("/v1/identities", data={"name": who}, files={"image": ("a.jpg", encode_jpeg(img), "image/jpeg")})
            assert r.status_code == 201, r.text
        vec = client.app.state.service.gallery.store.load()[2]
        assert _holding(data, vec[:1], NAME)
        r = client.delete(f"/v1/identities/{NAME}")
        assert r.status_code == 200 and r.json()["removed"]["identity"] == NAME
        assert _holding(data, vec[:1], NAME) == []
    assert main(["gallery", "-g", str(data / "g.db"), "remove", "Mirror Twin"]) == 0
    assert _holding(data, vec[1:], "Mirror Twin") == []
    capsys.readouterr()


def _indexed(index, vectors: np.ndarray) -> int:
    """How many of these vectors the index's shards still hold (decoded: the shards are compressed)."""
    from faceprint.index.read import load_faces

    faces = load_faces(index)
    return sum(bool(np.any(np.all(np.isclose(faces.embeddings, v, atol=1e-6), axis=1))) for v in vectors)


def test_remove_forgets_what_bulk_enroll_from_an_index_left(tmp_path, photos, fast, monkeypatch, capsys):
    """`enroll --from INDEX` and `cluster --from INDEX --enroll` record the photos' digests and the
    index: removal deletes the cache rows, the person's face rows of the index shards, the sheet."""
    from faceprint.index.read import load_faces

    data = tmp_path / "data"
    monkeypatch.setenv("FACEPRINT_CACHE", str(data / "cache"))
    gal, sheet, scratch = data / "g.db", data / "sheet", tmp_path / "scratch"
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,name\n{photos / 'a1.jpg'},{NAME}\n{photos / 'a2.png'},{NAME}\n"
                      f"{photos / 'cam.png'},Camera Man\n", encoding="utf-8")

    def check(index, name: str, enroll: list[str], caches: bool = True) -> None:
        if caches:  # (cluster --from --enroll records the cache digests as cluster --enroll does: tested above)
            assert main(["cluster", str(photos), "--out", str(scratch), "--model", "fast"]) == 0  # fills the caches
        assert main(["index", str(photos), "--out", str(index), "--model", "fast", "--workers", "1"]) == 0
        assert main(enroll) == 0
        with open_gallery(gal, fast) as g:
            vectors = {info.name: v for info, v in g.store.export()}
        mine = vectors[name]
        assert _indexed(index, mine) == len(mine) == 2 and _indexed(index, vectors["Camera Man"]) == 1
        assert not caches or _holding(data / "cache", mine, name)
        with monkeypatch.context() as m:
            m.chdir(scratch)  # the removal finds the recorded folders from anywhere
            assert main(["gallery", "-g", str(gal), "remove", name]) == 0
        assert _holding(data, mine, name) == []  # gallery, -wal, caches, sheet
        assert _indexed(index, mine) == 0  # the shards are compressed: read decoded
        assert _indexed(index, vectors["Camera Man"]) == 1  # the others stay, in the index and the gallery
        assert _holding(data, vectors["Camera Man"], "Camera Man")
        assert load_faces(index).images == 3  # a photo whose face went still counts as indexed (no face)

    audit = tmp_path / "audit.jsonl"  # outside the data folder: the log names people (docs/privacy.md)
    index = data / "index"
    check(index, NAME, ["enroll", "-g", str(gal), "--from", str(index), "--labels", str(labels),
                        "--audit-log", str(audit)])
    index = data / "index2"
    assert main(["index", str(photos), "--out", str(index), "--model", "fast", "--workers", "1"]) == 0
    assert main(["cluster", "--from", str(index), "--out", str(sheet)]) == 0
    check(index, "Ada Cluster", ["cluster", "--from", str(index), "--out", str(sheet), "--name", "0=Ada Cluster",
                                 "--enroll", str(gal), "--audit-log", str(audit)], caches=False)
    # Both bulk paths are audited: one record per person enrolled, with no template in it.
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert sorted((r["route"], r["identity"], r["templates"]) for r in records) == [
        ("faceprint cluster --from --enroll", "Ada Cluster", 2),
        ("faceprint enroll --from", "Camera Man", 1), ("faceprint enroll --from", NAME, 2)]
    assert all(r["action"] == "enroll" and r["outcome"] == "ok" and r["gallery"] == str(gal) for r in records)
    capsys.readouterr()


def test_milvus_lite_remove_forgets(tmp_path, photos, fast, monkeypatch, capsys):
    """A Milvus Lite gallery: after `gallery remove` no file milvus-lite wrote holds the person's
    vectors (nor their mean, which the "mean" rule searches) or name, raw or decoded, while the
    other person is still found; the cache rows recorded at enrollment go too."""
    for mod in ("pymilvus", "milvus_lite"):
        pytest.importorskip(mod)
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    monkeypatch.setenv("FACEPRINT_CACHE", str(data / "cache"))
    assert main(["cluster", str(photos), "--out", str(tmp_path / "scratch"), "--model", "fast"]) == 0
    uri = f"milvus-lite:{data / 'm.db'}?collection=people"
    with open_gallery(uri, fast, create=True) as g:
        g.enroll(NAME, [photos / "a1.jpg", photos / "a2.png"])
        g.enroll("Camera Man", [photos / "cam.png"])
        for c in (g.store.c_templates, g.store.c_ids, g.store.c_meta):
            g.store.client.flush(c)  # sealed into segment files, as a long-lived gallery's rows are
        vectors = {info.name: v for info, v in g.store.export()}
    mine = np.vstack([vectors[NAME], vectors[NAME].mean(axis=0)])

    def decoded(name: str, vecs: np.ndarray) -> list[str]:
        """The Parquet files of the .db folder whose decoded rows hold the name or a vector."""
        out = []
        for p in sorted((data / "m.db").rglob("*.parquet")):
            t = pq.read_table(p)
            text = any(name in str(v) for c in t.column_names if c not in ("vector", "mean", "v")
                       for v in t.column(c).to_pylist())
            vec = any(np.any(np.all(np.isclose(np.asarray(t.column(c).to_pylist(), np.float32), v, atol=1e-6),
                                    axis=1)) for c in ("vector", "mean") if c in t.column_names and t.num_rows
                      for v in vecs)
            if text or vec:
                out.append(str(p.relative_to(data)))
        return out

    held = _holding(data, mine, NAME)
    assert any(p.startswith("m.db/") for p in held) and any(p.startswith("cache") for p in held)
    assert decoded(NAME, mine)
    assert main(["gallery", "-g", uri, "remove", NAME]) == 0
    assert _holding(data, mine, NAME) == [] and decoded(NAME, mine) == []
    assert _holding(data, vectors["Camera Man"], "Camera Man") and decoded("Camera Man", vectors["Camera Man"])
    with open_gallery(uri, fast) as g:  # the rewritten collections answer as before
        assert [i.name for i in g.identities()] == ["Camera Man"] and g.store.count() == (1, 1)
        assert g.identify(str(photos / "cam.png"))[0].identity == "Camera Man"
    capsys.readouterr()
