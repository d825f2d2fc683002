"""The embedded store under crashes and concurrency.

A writer process enrolls identities (one at a time, and in bulk batches) and reports each
enrollment only after the call returned; the test kills it with SIGKILL at random moments,
several times over the same file. Every time, the file must pass SQLite's integrity check
and hold exactly the enrollments that returned, plus possibly enrollments that were in
flight at a kill (their commit may have landed just before it), each one whole. Meanwhile readers in this
process list and search the gallery and must never fail or see half an enrollment.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from faceprint.gallery import open_gallery
from faceprint.gallery.sqlite_store import SqliteStore

from .conftest import MODEL, unit_rows

SRC = Path(__file__).resolve().parents[2] / "src"
TEMPLATES = 3  # per single enrollment
BATCH = 10  # identities per bulk enrollment

WRITER = f"""
import sys
import numpy as np
from faceprint.gallery import open_gallery

g = open_gallery(sys.argv[1], create=True)
step = int(sys.argv[2])
rng = np.random.default_rng(step)
while True:
    if step % 2:
        names = [f"bulk{{step:04d}}-{{j}}" for j in range({BATCH})]
        print("begin", *names, flush=True)
        g.enroll_many([(n, rng.standard_normal((1, 16))) for n in names], model="{MODEL}")
    else:
        names = [f"single{{step:04d}}"]
        print("begin", *names, flush=True)
        g.enroll_vectors(names[0], rng.standard_normal(({TEMPLATES}, 16)), model="{MODEL}", metadata={{"step": step}})
    print("done", flush=True)
    step += 1
"""


def _run_and_kill(path: Path, step: int, delay: float) -> tuple[set[str], set[str], int]:
    """Start a writer at `step`, SIGKILL it after `delay` s: (returned names, in-flight names, next step)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(step)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while not any(ln.startswith("done") for ln in lines):  # let it get going first
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "writer made no progress"
        time.sleep(0.01)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(5)
    returned, in_flight = set(), set()
    for ln in lines:  # the last line may be cut by the kill: "do" already means the call returned
        word, *names = ln.split() or [""]
        if word == "begin" and ln.endswith("\n"):
            in_flight = set(names)
        elif word and "done".startswith(word):
            returned |= in_flight
            in_flight = set()
    done_steps = [ln for ln in lines if ln.startswith("do")]
    return returned, in_flight, step + len(done_steps) + 1


def _check(path: Path, returned: set[str], in_flight: list[set[str]]) -> set[str]:
    store = SqliteStore(path)
    try:
        assert store.integrity() == "ok"
        idents = {i.name: i for i in store.identities()}
    finally:
        store.close()
    names = set(idents)
    assert returned <= names, f"lost enrollments that had returned: {sorted(returned - names)[:5]}"
    extra = names - returned
    # An enrollment cut by the kill may or may not have committed. SQLite can even reveal it
    # only later: killed after writing its commit to the WAL but before updating the shared
    # WAL index, it stays invisible to connections using that index until a recovery rebuilds
    # it. So any earlier in-flight enrollment may show up, but only whole.
    maybe = set().union(*in_flight) if in_flight else set()
    assert extra <= maybe, f"identities nobody enrolled: {sorted(extra)[:5]}"
    for batch in in_flight:
        assert not (batch & names) or batch <= names, "an in-flight enrollment is half stored"
    for name, info in idents.items():
        assert info.n_templates == (TEMPLATES if name.startswith("single") else 1), name
    return names


def test_sigkill_while_enrolling_loses_nothing_returned_and_stores_nothing_half(tmp_path):
    path = tmp_path / "crash.db"
    rng = random.Random(1234)
    returned_all: set[str] = set()
    cut: list[set[str]] = []  # the enrollments in flight at each kill
    step = 0
    started = time.monotonic()
    stop = threading.Event()
    reader_errors: list[BaseException] = []
    reads = [0]

    def reader() -> None:  # readers keep working while the writer writes (WAL)
        while not stop.is_set():
            try:
                with open_gallery(path) as g:
                    for info in g.identities():
                        assert info.n_templates == (TEMPLATES if info.name.startswith("single") else 1)
                    if g.meta is not None:
                        g.identify_vectors(unit_rows(2), model=MODEL, top=3, threshold=0.5)
                reads[0] += 1
            except BaseException as e:  # noqa: BLE001 - any failure is the finding
                reader_errors.append(e)
                return

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    try:
        for round_no in range(6):
            if round_no == 1:  # from the second writer on, once the gallery exists, readers run alongside
                for t in threads:
                    t.start()
            returned, in_flight, step = _run_and_kill(path, step, rng.uniform(0.05, 0.6))
            returned_all |= returned
            cut.append(in_flight)
            _check(path, returned_all, cut)
            assert time.monotonic() - started < 50
    finally:
        stop.set()
        for t in threads:
            if t.is_alive():
                t.join(10)
    assert not reader_errors, repr(reader_errors[0])
    assert reads[0] > 0
    assert len(returned_all) > 20  # the writer really wrote between kills


def test_counts_follow_writes_from_this_and_another_connection(tmp_path):
    # count() is cached per generation: a write through either connection must show at once.
    path = tmp_path / "g.db"
    v = unit_rows(5)
    with open_gallery(path, create=True) as a:
        a.enroll_many([("Ada", v[:2]), ("Grace", v[2:3])], model=MODEL)
        assert a.store.count() == (2, 3)
        with open_gallery(path) as b:
            assert b.store.count() == (2, 3)
            a.enroll_many([("Alan", v[3:5])], model=MODEL)
            assert b.store.count() == (3, 5)
            b.remove("Ada")
            assert a.store.count() == (2, 3) and b.store.count() == (2, 3)
