"""enroll, cluster and search from an index, through the command line."""

from __future__ import annotations

import csv
import json
from collections import Counter

import numpy as np
import pytest

pytestmark = pytest.mark.data


def labels_of(manifest) -> list[dict]:
    with open(manifest, newline="") as f:
        return list(csv.DictReader(f))


def run_cli(capsys, *argv: str) -> list[dict]:
    from faceprint.cli import main

    capsys.readouterr()
    assert main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_enroll_from_index(local_index, lfw_manifest, tmp_path, capsys):
    from faceprint.gallery import open_gallery

    rows = labels_of(lfw_manifest)
    people = Counter(r["identity"] for r in rows)
    gallery = str(tmp_path / "g.db")
    (rec,) = run_cli(capsys, "enroll", "-g", gallery, "--from", str(local_index), "--labels", str(lfw_manifest),
                     "--json")
    assert rec["identities"] == len(people) and rec["templates"] + rec["unmatched"] == len(rows)
    with open_gallery(gallery) as g:
        counts = {i.name: i.n_templates for i in g.identities()}
        assert sum(counts.values()) == rec["templates"]
        assert g.meta.model_id.startswith("fast/")
    (again,) = run_cli(capsys, "enroll", "-g", gallery, "--from", str(local_index), "--labels", str(lfw_manifest),
                       "--json")
    assert again["identities"] == 0 and len(again["kept"]) == len(people)  # nothing doubled without --append


def test_search_from_index_finds_the_person(local_index, lfw_manifest, capsys):
    rows = labels_of(lfw_manifest)
    who, n = Counter(r["identity"] for r in rows).most_common(1)[0]
    theirs = [r["path"] for r in rows if r["identity"] == who]
    assert n >= 4
    (rec,) = run_cli(capsys, "search", "--from", str(local_index), theirs[0], "--json", "--index", "exact")
    found = {m["path"] for m in rec["matches"]}
    assert theirs[0] in found  # the photo itself
    assert len(found & set(theirs[1:])) >= (n - 1) // 2  # most of their other photos, at FMR 1e-3
    others = found - set(theirs)
    assert len(others) <= 2  # hardly anyone else


def test_cluster_from_index(ray_session, local_index, lfw_manifest, tmp_path, capsys):
    rows = labels_of(lfw_manifest)
    who, n = Counter(r["identity"] for r in rows).most_common(1)[0]
    local = run_cli(capsys, "cluster", "--from", str(local_index), "--out", str(tmp_path / "a"), "--json")[-1]
    ray = run_cli(capsys, "cluster", "--from", str(local_index), "--out", str(tmp_path / "b"), "--no-sheet",
                  "--engine", "ray", "--json")[-1]
    assert (tmp_path / "a" / "index.html").is_file() and not (tmp_path / "b" / "index.html").exists()
    assert local["faces"] == ray["faces"] > 0 and ray["graph"].startswith("chunked (ray)")
    doc = json.loads((tmp_path / "a" / "clusters.json").read_text())
    by_path = {}
    for f in doc["faces"]:
        by_path.setdefault(f["file"], []).append(f["cluster"])
    their = Counter(by_path[p][0] for p in (r["path"] for r in rows if r["identity"] == who) if p in by_path)
    assert their.most_common(1)[0][1] >= n - 1  # one person, one cluster (one photo may fall out)
    b = json.loads((tmp_path / "b" / "clusters.json").read_text())
    # The chunked graph keeps each face's best 64 edges; with under 64 faces per person it is the same clustering.
    assert [f["cluster"] for f in doc["faces"]] == [f["cluster"] for f in b["faces"]]


def test_chunked_graph_equals_cluster_graph(ray_session):
    from faceprint.cluster.algorithms import similarity_graph
    from faceprint.index.graph import build_graph

    rng = np.random.default_rng(1)
    centres = rng.standard_normal((40, 32))
    x = centres[rng.integers(0, 40, 3000)] + 0.6 * rng.standard_normal((3000, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    ref = similarity_graph(x, 0.5, max_degree=16)
    edges = lambda g: set(zip(g.i.tolist(), g.j.tolist()))  # noqa: E731
    for engine in ("local", "ray"):
        g = build_graph(x, 0.5, max_degree=16, method="exact", engine=engine, chunk_rows=700)
        # The same edges, up to float rounding at the k-th neighbour (other BLAS block sizes).
        assert len(edges(g) ^ edges(ref)) <= ref.n_edges // 1000
    approx = build_graph(x, 0.5, max_degree=16, method="ivf", chunk_rows=700)
    assert len(edges(approx) & edges(ref)) >= 0.9 * ref.n_edges  # the IVF graph keeps nearly every edge
