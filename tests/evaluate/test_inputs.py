"""CSV validation of `faceprint eval`: every bad input is a typed error naming the problem."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from faceprint.errors import InputError
from faceprint.evaluate.inputs import (EvalInputError, apply_split, read_boxes, read_labels, read_pairs,
                                       split_first)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("a1", "a2", "b1", "b2", "c1"):
        (tmp_path / f"{name}.jpg").write_bytes(b"not decoded here")
    return tmp_path


def _csv(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text)
    return p


def test_good_pairs_keep_folds_and_hash(tree):
    p = _csv(tree, "p.csv", "path_a,path_b,same,fold\na1.jpg,a2.jpg,1,1\na1.jpg,b1.jpg,0,1\n"
                            "b1.jpg,b2.jpg,1,2\na2.jpg,b2.jpg,0,2\n")
    pairs = read_pairs(p)
    assert pairs.same.tolist() == [True, False, True, False]
    assert pairs.fold.tolist() == [1, 1, 2, 2]
    assert pairs.images == ["a1.jpg", "a2.jpg", "b1.jpg", "b2.jpg"]
    assert pairs.source.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert pairs.source.rows == 4


@pytest.mark.parametrize("text, message", [
    ("path_a,path_b\na1.jpg,a2.jpg\n", "missing column(s) same"),
    ("path_a,path_b,same,score\na1.jpg,a2.jpg,1,0.3\n", "unknown column(s) score"),
    ("path_a,path_b,same\na1.jpg,a2.jpg,1\nb1.jpg,b2.jpg,1\n", "only genuine (same=1) pairs"),
    ("path_a,path_b,same\na1.jpg,b2.jpg,0\n", "only impostor (same=0) pairs"),
    ("path_a,path_b,same\na1.jpg,a2.jpg,yes\na1.jpg,b1.jpg,0\n", "line 2: same must be 1"),
    ("path_a,path_b,same\na1.jpg,,1\na1.jpg,b1.jpg,0\n", "line 2: empty path_b"),
    ("path_a,path_b,same\na1.jpg,zz.jpg,1\na1.jpg,yy.jpg,0\n", "2 image path(s) do not exist"),
    ("path_a,path_b,same,fold\na1.jpg,a2.jpg,1,1\na1.jpg,b1.jpg,0,1\n", "only one fold"),
    ("path_a,path_b,same,fold\na1.jpg,a2.jpg,1,x\na1.jpg,b1.jpg,0,1\n", "fold must be an integer"),
    ("", "is empty"),
    ("path_a,path_b,same\n", "no rows"),
    ("path_a,path_a,same\na1.jpg,a2.jpg,1\n", "more than once"),
    ("path_a,path_b,same\na1.jpg,a2.jpg,1,extra\n", "more values than header"),
])
def test_bad_pairs_are_typed_errors(tree, text, message):
    p = _csv(tree, "p.csv", text)
    with pytest.raises(EvalInputError, match=None) as e:
        read_pairs(p)
    assert message in str(e.value)
    assert isinstance(e.value, InputError) and e.value.code == "bad_eval_input"


def test_missing_pairs_file_and_root(tree):
    with pytest.raises(EvalInputError, match="does not exist"):
        read_pairs(tree / "nope.csv")
    p = _csv(tree, "p.csv", "path_a,path_b,same\na1.jpg,a2.jpg,1\na1.jpg,b1.jpg,0\n")
    with pytest.raises(EvalInputError, match="root folder"):
        read_pairs(p, tree / "elsewhere")


def test_labels_roles_and_groups(tree):
    p = _csv(tree, "l.csv", "path,identity,role,region\na1.jpg,A,gallery,x\na2.jpg,A,probe,x\n"
                            "b1.jpg,B,gallery,y\nb2.jpg,B,probe,y\n")
    lab = read_labels(p)
    assert lab.roles.tolist() == ["gallery", "probe", "gallery", "probe"]
    assert list(lab.groups) == ["region"] and lab.groups["region"].tolist() == ["x", "x", "y", "y"]


@pytest.mark.parametrize("text, message", [
    ("path,name\na1.jpg,A\n", "missing column(s) identity"),
    ("path,identity\na1.jpg,A\na1.jpg,A\n", "listed more than once"),
    ("path,identity,role\na1.jpg,A,enrol\n", "role must be gallery or probe"),
    ("path,identity,serial\na1.jpg,A,1\na2.jpg,A,2\n", "different value on every row"),
    ("path,identity,region\na1.jpg,A,x\na2.jpg,A,\n", "group column 'region' has empty values"),
    ("path,identity\nmissing.jpg,A\n", "do not exist"),
])
def test_bad_labels(tree, text, message):
    with pytest.raises(EvalInputError) as e:
        read_labels(_csv(tree, "l.csv", text))
    assert message in str(e.value)


def test_labels_without_role_when_identification_needs_one(tree):
    with pytest.raises(EvalInputError, match="no role column"):
        read_labels(_csv(tree, "l.csv", "path,identity\na1.jpg,A\n"), need_role=True)


def test_gallery_split_file_and_first_k_rule(tree):
    lab = read_labels(_csv(tree, "l.csv", "path,identity\na1.jpg,A\na2.jpg,A\nb1.jpg,B\nb2.jpg,B\nc1.jpg,C\n"))
    split = _csv(tree, "s.csv", "path,identity,role\na1.jpg,A,gallery\na2.jpg,A,probe\nc1.jpg,C,probe\n")
    out, src, left_out = apply_split(lab, split)
    assert out.paths == ["a1.jpg", "a2.jpg", "c1.jpg"] and out.roles.tolist() == ["gallery", "probe", "probe"]
    assert left_out == 2 and src.rows == 3
    with pytest.raises(EvalInputError, match="is 'B' here but 'A'"):
        apply_split(lab, _csv(tree, "s2.csv", "path,identity,role\na1.jpg,B,gallery\n"))
    with pytest.raises(EvalInputError, match="not in the labels file"):
        apply_split(lab, _csv(tree, "s3.csv", "path,identity,role\nzz.jpg,A,gallery\n"))
    first = split_first(lab, 1)
    assert first.roles.tolist() == ["gallery", "probe", "gallery", "probe", "gallery"]


def test_boxes_to_corners_extra_columns_and_empty_images(tree):
    b = read_boxes(_csv(tree, "b.csv", "path,identity,x,y,w,h,split\na1.jpg,,10,20,30,40,train\n"
                                       "a1.jpg,,0,0,5,5,train\nb1.jpg,,,,,,test\n"))
    np.testing.assert_array_equal(b.boxes["a1.jpg"], [[10, 20, 40, 60], [0, 0, 5, 5]])
    assert b.boxes["b1.jpg"].shape == (0, 4) and b.n_faces == 2
    for text, message in [("path,x,y,w,h\na1.jpg,1,2,0,4\n", "w,h > 0"),
                          ("path,x,y,w,h\na1.jpg,1,2,a,4\n", "must be numbers"),
                          ("path,x,y,w\na1.jpg,1,2,3\n", "missing column(s) h")]:
        with pytest.raises(EvalInputError, match=None) as e:
            read_boxes(_csv(tree, "b.csv", text))
        assert message in str(e.value)
