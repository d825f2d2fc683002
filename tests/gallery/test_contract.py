"""The gallery contract, run over every backend: embedded SQLite and Milvus Lite.

Templates here are random unit vectors tagged with a made-up model id, so these tests
check the store and the decisions, not a face model.
"""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import (DuplicateError, GalleryError, InputError, ModelMismatchError, ShapeError,
                              UnknownIdentityError)
from faceprint.gallery import open_gallery

from .conftest import MODEL, unit_rows


def _names(g) -> list[str]:
    return [i.name for i in g.identities()]


def _brute_force(templates: dict[str, np.ndarray], probe: np.ndarray, rule: str) -> list[tuple[str, float]]:
    score = {n: float((v @ probe).max() if rule == "max" else (v @ probe).mean()) for n, v in templates.items()}
    return sorted(score.items(), key=lambda kv: -kv[1])


@pytest.mark.parametrize("rule", ["max", "mean"])
def test_identify_ranks_identities_like_brute_force(gallery_uri, rule):
    rows = unit_rows(60, seed=1)
    templates = {f"person {i}": rows[3 * i:3 * i + 1 + i % 3] for i in range(20)}  # 1 to 3 templates each
    with open_gallery(gallery_uri, create=True, score_rule=rule) as g:
        for name, vecs in templates.items():
            g.enroll_vectors(name, vecs, model=MODEL)
        probes = unit_rows(5, seed=2)
        answers = g.identify_vectors(probes, model=MODEL, top=4, threshold=0.3)
    for probe, answer in zip(probes, answers):
        truth = _brute_force(templates, probe, rule)[:4]
        assert [c.identity for c in answer.candidates] == [n for n, _ in truth]
        assert [c.similarity for c in answer.candidates] == pytest.approx([s for _, s in truth], abs=1e-5)
        assert answer.score_rule == rule and answer.gallery_size == 20 and answer.fmr is None
        assert answer.identity == (truth[0][0] if truth[0][1] >= 0.3 else None)


def test_enroll_list_show_and_reopen(gallery_uri):
    rows = unit_rows(5)
    with open_gallery(gallery_uri, create=True) as g:
        e = g.enroll_vectors("Ada Lovelace", rows[:2], model=MODEL, sources=["a.jpg", "b.jpg"],
                             metadata={"team": "analytical"})
        assert (e.added, e.identity.n_templates, e.model) == (2, 2, MODEL)
        g.enroll_vectors("Grace", rows[2:3], model=MODEL)
    with open_gallery(gallery_uri) as g:  # persisted
        assert _names(g) == ["Ada Lovelace", "Grace"] and len(g) == 2
        ada = g.show("Ada Lovelace")
        assert ada.metadata == {"team": "analytical"}
        assert [t.source for t in ada.templates] == ["a.jpg", "b.jpg"]
        assert g.meta.model_id == MODEL and g.meta.dim == 16 and g.meta.score_rule == "max"
        best = g.identify_vectors(rows[1], model=MODEL, threshold=0.5)[0]
        assert best.identity == "Ada Lovelace" and best.similarity == pytest.approx(1.0, abs=1e-5)


def test_several_templates_append_and_refused_duplicates(gallery_uri):
    rows = unit_rows(4)
    with open_gallery(gallery_uri, create=True) as g:
        g.enroll_vectors("Ada", rows[:1], model=MODEL)
        with pytest.raises(DuplicateError, match="already enrolled"):
            g.enroll_vectors("Ada", rows[1:2], model=MODEL)
        assert g.show("Ada").n_templates == 1  # nothing changed
        g.enroll_vectors("Ada", rows[1:3], model=MODEL, append=True, metadata={"k": "v"})
        ada = g.show("Ada")
        assert ada.n_templates == 3 and ada.metadata == {"k": "v"}
        assert g.identify_vectors(rows[2], model=MODEL, threshold=0.9)[0].identity == "Ada"


def test_unknown_identity_and_remove(gallery_uri):
    rows = unit_rows(3)
    with open_gallery(gallery_uri, create=True) as g:
        g.enroll_vectors("Ada", rows[:1], model=MODEL)
        g.enroll_vectors("Bob", rows[1:2], model=MODEL)
        with pytest.raises(UnknownIdentityError, match="Carol"):
            g.show("Carol")
        with pytest.raises(UnknownIdentityError):
            g.remove("Carol")
        assert _names(g) == ["Ada", "Bob"]
        removed = g.remove("Ada")
        assert removed.name == "Ada" and removed.n_templates == 1
        assert _names(g) == ["Bob"]
        answer = g.identify_vectors(rows[0], model=MODEL, top=3, threshold=0.99)[0]
        assert [c.identity for c in answer.candidates] == ["Bob"] and answer.identity is None
        g.enroll_vectors("Ada", rows[:1], model=MODEL)  # the name is free again


@pytest.mark.parametrize("name", ["", "   ", " padded", "tab\tname", "x" * 300, None])
def test_bad_names_are_refused(gallery_uri, name):
    with open_gallery(gallery_uri, create=True) as g:
        with pytest.raises(InputError):
            g.enroll_vectors(name, unit_rows(1), model=MODEL)
        assert _names(g) == []


def test_other_model_and_other_shape_are_refused(gallery_uri):
    rows = unit_rows(2)
    with open_gallery(gallery_uri, create=True) as g:
        g.enroll_vectors("Ada", rows[:1], model=MODEL)
        with pytest.raises(ModelMismatchError) as e:
            g.identify_vectors(rows[1], model="other-model/v2", threshold=0.5)
        assert MODEL in str(e.value) and "other-model/v2" in str(e.value)
        with pytest.raises(ModelMismatchError):
            g.enroll_vectors("Bob", rows[1:], model="other-model/v2")
        with pytest.raises(ShapeError):
            g.enroll_vectors("Bob", unit_rows(1, dim=8), model=MODEL)
        with pytest.raises(ShapeError):
            g.identify_vectors(unit_rows(1, dim=8), model=MODEL, threshold=0.5)
        with pytest.raises(InputError):
            g.enroll_vectors("Bob", np.zeros((1, 16)), model=MODEL)
        with pytest.raises(InputError):
            g.identify_vectors(rows[1], model=MODEL, top=0, threshold=0.5)
        assert _names(g) == ["Ada"]


def test_uncalibrated_model_needs_a_threshold(gallery_uri):
    with open_gallery(gallery_uri, create=True) as g:
        g.enroll_vectors("Ada", unit_rows(1), model=MODEL)
        with pytest.raises(InputError, match="threshold"):
            g.identify_vectors(unit_rows(1), model=MODEL)


def test_missing_gallery_is_not_created(gallery_uri, tmp_path):
    with pytest.raises(GalleryError, match="no gallery"):
        open_gallery(gallery_uri)
    assert not any(tmp_path.iterdir())


def test_export_import_round_trip_across_backends(gallery_uri, tmp_path):
    rows = unit_rows(6)
    with open_gallery(gallery_uri, create=True) as g:
        g.enroll_vectors("Ada", rows[:2], model=MODEL, metadata={"n": 1})
        g.enroll_vectors("Bob", rows[2:3], model=MODEL)
        assert g.export(tmp_path / "people.jsonl") == 2
    other = tmp_path / "copy.db"
    with open_gallery(other, create=True) as copy:
        assert copy.import_file(tmp_path / "people.jsonl") == 2
        assert _names(copy) == ["Ada", "Bob"] and copy.show("Ada").metadata == {"n": 1}
        assert copy.meta.model_id == MODEL
        a = copy.identify_vectors(rows[1], model=MODEL, threshold=0.9)[0]
        assert a.identity == "Ada" and a.similarity == pytest.approx(1.0, abs=1e-5)
        with pytest.raises(DuplicateError):  # all or none: Bob's clash keeps Ada's copy out too
            copy.import_file(tmp_path / "people.jsonl")
        assert copy.show("Ada").n_templates == 2
    (tmp_path / "junk.jsonl").write_text('{"hello": 1}\n')
    with open_gallery(gallery_uri) as g:
        with pytest.raises(InputError, match="not a valid faceprint gallery export"):
            g.import_file(tmp_path / "junk.jsonl")
        assert _names(g) == ["Ada", "Bob"]
