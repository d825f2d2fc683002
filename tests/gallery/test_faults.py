"""SQLite faults injected for real: each is one GalleryError line and exit 2, and loses nothing.

A lock held by another process, a full disk (RLIMIT_FSIZE in a child process), a read-only
file (permissions enforced by dropping root's DAC override with setpriv), an immutable file
(chattr +i, skipped where the file system refuses it), damaged pages, a malformed meta
record and a newer schema. Refused files are checked byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.errors import GalleryLockedError, GalleryWriteError
from faceprint.gallery import open_gallery
from faceprint.gallery.sqlite_store import SqliteStore

from .conftest import MODEL, unit_rows

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gallery(path: Path, n: int = 3, dim: int = 16) -> Path:
    with open_gallery(path, create=True) as g:
        g.enroll_many([(f"person {i}", unit_rows(2, dim, seed=i)) for i in range(n)], model=MODEL)
    return path


def _names(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT name FROM identities ORDER BY id")]
    finally:
        db.close()


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str, *fragments: str) -> None:
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for f in fragments:
        assert f in err, err


def _child(argv: list[str], *, preexec=None, drop_dac: bool = False) -> subprocess.CompletedProcess:
    """`python -m faceprint ...` in a child process; with `drop_dac`, root obeys file permissions."""
    cmd = [sys.executable, "-m", "faceprint", *map(str, argv)]
    if drop_dac and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be enforced")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search",
               *cmd]
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=preexec, env=env)


# -- a lock held by another process ------------------------------------------------------
def test_a_lock_held_past_the_timeout_is_one_line(tmp_path, capsys, monkeypatch):
    path = _gallery(tmp_path / "g.db")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys, time
        db = sqlite3.connect({str(path)!r}, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        print("held", flush=True)
        sys.stdin.readline()
        db.execute("ROLLBACK")
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(GalleryLockedError, match="locked by another process"):
            store = SqliteStore(path, timeout=0.2)
            try:
                store.remove("person 0")
            finally:
                store.close()
        monkeypatch.setattr("faceprint.gallery.sqlite_store.LOCK_TIMEOUT_S", 0.2)
        code, _, err = _cli(capsys, "gallery", "-g", path, "remove", "person 1")
        assert code == 2
        _one_line(err, "locked by another process", "nothing was changed")
    finally:
        holder.communicate("\n", timeout=30)
    assert _names(path) == ["person 0", "person 1", "person 2"]  # nothing lost; the lock was the other's
    assert _cli(capsys, "gallery", "-g", path, "remove", "person 1")[0] == 0


# -- disk full ------------------------------------------------------------------------------
def test_a_full_disk_is_one_line_and_the_gallery_is_intact(tmp_path):
    import resource
    import signal

    path = _gallery(tmp_path / "g.db")
    before = _names(path)
    big = tmp_path / "big.jsonl"
    with open_gallery(tmp_path / "other.db", create=True) as g:
        g.enroll_many([(f"new {i}", unit_rows(4, 16, seed=100 + i)) for i in range(3000)], model=MODEL)
        g.export(big)
    limit = path.stat().st_size + 64 * 1024  # far less than the import needs

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = _child(["gallery", "-g", path, "import", big], preexec=small_files)
    assert r.returncode == 2, r.stderr
    _one_line(r.stderr, "cannot write gallery", "disk full", "nothing was changed")
    assert _names(path) == before
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


# -- read-only and immutable files ----------------------------------------------------------
def test_a_read_only_gallery_refuses_writes_in_one_line(tmp_path):
    path = _gallery(tmp_path / "g.db")
    vectors = tmp_path / "one.jsonl"
    with open_gallery(tmp_path / "src.db", create=True) as g:
        g.enroll_many([("newcomer", unit_rows(1, 16, seed=9))], model=MODEL)
        g.export(vectors)
    digest = _sha(path)
    os.chmod(path, 0o444)
    try:
        for argv in (["gallery", "-g", path, "remove", "person 0"], ["gallery", "-g", path, "import", vectors]):
            r = _child(argv, drop_dac=True)
            assert r.returncode == 2, r.stderr
            _one_line(r.stderr, "read-only")
        r = _child(["gallery", "-g", path, "list", "--json"], drop_dac=True)  # reading still works
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 3
    finally:
        os.chmod(path, 0o600)
    assert _sha(path) == digest


def test_an_immutable_gallery_refuses_writes_in_one_line(tmp_path, capsys):
    path = _gallery(tmp_path / "g.db")
    digest = _sha(path)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", path], capture_output=True).returncode:
        pytest.skip("chattr +i is not available on this file system")
    try:
        code, _, err = _cli(capsys, "gallery", "-g", path, "remove", "person 0")
        assert code == 2
        _one_line(err, "gallery")
        assert "read-only" in err or "cannot open" in err
    finally:
        subprocess.run(["chattr", "-i", path], check=True)
    assert _sha(path) == digest and _names(path) == ["person 0", "person 1", "person 2"]


# -- damaged pages, malformed meta, newer schema ---------------------------------------------
def _damage_pages(path: Path) -> None:
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    size = path.stat().st_size
    assert size >= 6 * page, "the gallery must span several pages"
    with open(path, "r+b") as f:  # pages 3..: the tables' b-trees; page 1 (the header) is kept
        f.seek(2 * page)
        f.write(np.random.default_rng(0).integers(0, 256, size - 2 * page, dtype=np.uint8).tobytes())


@pytest.fixture()
def damaged(tmp_path, fast) -> Path:
    path = tmp_path / "damaged.db"
    with open_gallery(path, create=True) as g:
        g.enroll_many([(f"person {i}", unit_rows(3, 128, seed=i)) for i in range(200)], model=fast.model_id)
    _damage_pages(path)
    return path


def test_damaged_pages_are_one_line_on_list_export_identify_and_enroll(damaged, tmp_path, capsys):
    from skimage import data

    from faceprint.image import save_image

    photo = tmp_path / "astronaut.jpg"
    save_image(data.astronaut(), photo)
    digest = _sha(damaged)
    for argv in (["gallery", "-g", damaged, "list"], ["gallery", "-g", damaged, "export", tmp_path / "x.jsonl"],
                 ["identify", "-g", damaged, "--threshold", "0.3", photo],
                 ["enroll", "-g", damaged, "--model", "fast", "newcomer", photo]):
        code, out, err = _cli(capsys, *argv)
        assert code == 2, argv
        _one_line(err, "damaged")
        assert "model" not in err.split("damaged", 1)[0]  # never mistaken for a model mismatch
    assert _sha(damaged) == digest and not (tmp_path / "x.jsonl").exists()


def _tamper(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


@pytest.mark.parametrize("case, sql, fragment", [
    ("bad meta", "UPDATE gallery_meta SET value = '{\"model_id\": ' WHERE key = 'meta'", "malformed meta"),
    ("meta not an object", "UPDATE gallery_meta SET value = '[1, 2]' WHERE key = 'meta'", "malformed meta"),
    ("newer schema", "PRAGMA user_version = 99", "newer faceprint"),
])
def test_a_refused_gallery_stays_byte_identical(tmp_path, capsys, case, sql, fragment):
    path = _gallery(tmp_path / "g.db")
    _tamper(path, sql)
    digest = _sha(path)
    vectors = tmp_path / "one.jsonl"
    with open_gallery(tmp_path / "src.db", create=True) as g:
        g.enroll_many([("newcomer", unit_rows(1, 16, seed=9))], model=MODEL)
        g.export(vectors)
    for argv in (["gallery", "-g", path, "list"], ["gallery", "-g", path, "remove", "person 0"],
                 ["gallery", "-g", path, "import", vectors], ["gallery", "-g", path, "export", tmp_path / "x"]):
        code, _, err = _cli(capsys, *argv)
        assert code == 2, argv
        _one_line(err, fragment)
    assert _sha(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("g.db")) == ["g.db"]


# -- file modes ----------------------------------------------------------------------------------
def test_a_new_gallery_and_its_wal_and_shm_are_private(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        store = SqliteStore(tmp_path / "new.db", create=True)
        g = open_gallery  # noqa: F841 (the store is used directly: its files stay open for the check)
        from faceprint.gallery.gallery import Gallery

        Gallery(store).enroll_vectors("ada", unit_rows(1), model=MODEL)
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        store.close()
    finally:
        os.umask(old)
    assert modes == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}


def test_disk_full_through_the_store_is_a_typed_error(tmp_path):
    """The same fault seen by the library: GalleryWriteError, and the gallery still answers."""
    path = _gallery(tmp_path / "g.db")
    script = textwrap.dedent(f"""
        import json, resource, signal, sys
        sys.path.insert(0, {SRC!r})
        import numpy as np
        from faceprint.gallery import open_gallery
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = {path.stat().st_size + 32 * 1024}
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        v = np.random.default_rng(1).standard_normal((20000, 16)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        try:
            with open_gallery({str(path)!r}) as g:
                g.enroll_vectors("huge", v, model={MODEL!r})
            print(json.dumps({{"ok": True}}))
        except Exception as e:
            print(json.dumps({{"type": type(e).__name__, "code": getattr(e, "code", None), "message": str(e)}}))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    result = json.loads(r.stdout)
    assert result["code"] == GalleryWriteError.code, result
    assert "nothing was changed" in result["message"]
    assert _names(path) == ["person 0", "person 1", "person 2"]


def test_the_data_folder_is_made_private(tmp_path):
    from faceprint.gallery.sqlite_store import private_folder

    old = os.umask(0o022)
    try:
        private_folder(tmp_path / "home" / "faceprint")
    finally:
        os.umask(old)
    assert (tmp_path / "home" / "faceprint").stat().st_mode & 0o777 == 0o700
