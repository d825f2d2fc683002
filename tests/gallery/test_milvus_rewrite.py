"""Milvus Lite: a removal rewrites the collections (milvus_store.py); a crash part-way is repaired at open."""

from __future__ import annotations

import pytest

from faceprint.gallery import open_gallery

from .conftest import MODEL, _milvus_missing, unit_rows


@pytest.fixture
def lite(tmp_path):
    reason = _milvus_missing()
    if reason:
        pytest.skip(reason)
    uri = f"milvus-lite:{tmp_path / 'm.db'}?collection=people"
    rows = unit_rows(5)
    with open_gallery(uri, create=True) as g:
        g.enroll_vectors("Ada", rows[:2], model=MODEL, sources=["a1", "a2"], forget=[("cache", "d" * 40)])
        g.enroll_vectors("Grace", rows[2:5], model=MODEL, sources=["g1", "g2", "g3"])
    return uri, rows


def test_remove_keeps_the_rest_in_order_and_returns_what_to_forget(lite):
    uri, rows = lite
    with open_gallery(uri) as g:
        gone = g.store.remove("Ada")
        assert gone.forget == (("cache", "d" * 40),) and g.store.purged
        assert [t.source for t in g.show("Grace").templates] == ["g1", "g2", "g3"]
        assert g.identify_vectors(rows[3], model=MODEL, threshold=0.9)[0].identity == "Grace"
        g.enroll_vectors("Ada", rows[:1], model=MODEL)  # the rewritten collections take writes
    with open_gallery(uri) as g:
        assert [i.name for i in g.identities()] == ["Grace", "Ada"] and g.store.count() == (2, 4)


@pytest.mark.parametrize("state", ["copy unfinished", "old dropped"])
def test_a_rewrite_cut_short_is_repaired_at_open(lite, state):
    from faceprint.gallery.milvus_store import _REWRITE

    uri, rows = lite
    with open_gallery(uri) as g:
        s = g.store
        if state == "copy unfinished":  # a crash while copying: the old collection is whole
            s._create_collection("templates", s.c_templates + _REWRITE, g.meta.dim)
        else:  # a crash between dropping the old collection and renaming the finished copy
            s._rewrite("templates", s.c_templates, g.meta.dim)
            s.client.rename_collection(s.c_templates, s.c_templates + _REWRITE)
    with open_gallery(uri) as g:
        assert s.c_templates + _REWRITE not in g.store.client.list_collections()
        assert g.store.count() == (2, 5)
        assert g.identify_vectors(rows[0], model=MODEL, threshold=0.9)[0].identity == "Ada"
