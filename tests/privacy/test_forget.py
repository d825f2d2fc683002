"""Forget for real: after `gallery remove` / `DELETE /v1/identities/{name}`, no file of the data folder
(gallery, its -wal and -shm, the embedding caches, the cluster sheet) holds the vectors or the name."""

from __future__ import annotations

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
