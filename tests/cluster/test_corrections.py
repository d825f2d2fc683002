"""Corrections: file round trip, edits, and the constraints they become."""

from __future__ import annotations

import json

import numpy as np
import pytest

from faceprint.cluster.corrections import Corrections, split_in_two
from faceprint.errors import InputError

KEYS = [f"d{i}#0" for i in range(6)]


def test_round_trip_and_missing_file(tmp_path):
    assert not Corrections.load(tmp_path / "none.json")
    c = Corrections()
    c.name(KEYS[:2], "Ada")
    c.merge(KEYS[2:3], KEYS[3:4])
    c.split(KEYS[4:5], KEYS[5:6])
    c.save(tmp_path / "c.json")
    again = Corrections.load(tmp_path / "c.json")
    assert again.to_dict() == c.to_dict()
    assert json.loads((tmp_path / "c.json").read_text())["version"] == 1


def test_bad_files_are_input_errors(tmp_path):
    p = tmp_path / "c.json"
    for text in ("{", '{"version": 9}', '{"names": {"Ada": "d0#0"}}', '{"apart": [["d0#0"]]}', "[]"):
        p.write_text(text)
        with pytest.raises(InputError):
            Corrections.load(p)


@pytest.mark.parametrize("bad", ["", "  ", "42", "two\nlines"])
def test_bad_names(bad):
    with pytest.raises(InputError):
        Corrections().name(KEYS[:1], bad)


def test_names_become_together_and_apart():
    c = Corrections()
    c.name(KEYS[:2], "Ada")
    c.name(KEYS[2:4], "Bob")
    together, differ, names = c.constraints(KEYS)
    assert together[0] == together[1] != together[2] == together[3]
    assert together[4] == together[5] == -1
    assert differ[0][0] != differ[0][2] and differ[0][0] >= 0 and differ[0][4] == -1
    assert sorted(names.values()) == ["Ada", "Bob"]


def test_rename_moves_faces():
    c = Corrections()
    c.name(KEYS[:2], "Ada")
    c.name(KEYS[:2], "Ada Lovelace")
    assert list(c.names) == ["Ada Lovelace"]


def test_merge_spreads_a_name_and_refuses_two_names():
    c = Corrections()
    c.name(KEYS[:2], "Ada")
    c.merge(KEYS[:2], KEYS[2:3])
    assert c.names["Ada"] == sorted(KEYS[:3])
    c.name(KEYS[3:4], "Bob")
    with pytest.raises(InputError, match="different people"):
        c.merge(KEYS[:1], KEYS[3:4])


def test_split_undoes_merges_and_keeps_the_name_on_the_bigger_side():
    c = Corrections()
    c.merge(KEYS[:2], KEYS[2:4])
    c.name(KEYS[:4], "Ada")
    c.split(KEYS[:3], KEYS[3:4])
    assert c.together == []
    assert c.names["Ada"] == sorted(KEYS[:3])
    together, differ, _ = c.constraints(KEYS)
    assert differ[1][:4].tolist() == [0, 0, 0, 1]
    # merging across a split again removes the split
    c.merge(KEYS[:1], KEYS[3:4])
    assert c.apart == []


def test_stale_faces_are_ignored():
    c = Corrections()
    c.name(["gone#0", KEYS[0]], "Ada")
    together, differ, _ = c.constraints(KEYS)
    assert together[0] >= 0 and (together[1:] == -1).all()


def test_split_in_two():
    x = np.array([[1, 0.05, 0], [1, -0.05, 0], [0, 1, 0.05], [0, 1, -0.05]], np.float32)
    side = split_in_two(x)
    assert side[0] == side[1] != side[2] == side[3]
    with pytest.raises(InputError):
        split_in_two(x[:1])
