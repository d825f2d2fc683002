import numpy as np
import pytest

from faceprint.errors import ShapeError
from faceprint.types import Faces, Verdict


def make(n: int, **kw) -> Faces:
    boxes = np.array([[0, 0, 10 * (i + 1), 10 * (i + 1)] for i in range(n)], float).reshape(n, 4)
    return Faces(boxes, np.zeros((n, 5, 2)), np.linspace(0.5, 0.9, n), (100, 100), "test", **kw)


def test_empty_is_a_faces_not_none():
    f = Faces.empty((5, 7), "x")
    assert len(f) == 0 and f.boxes.shape == (0, 4) and f.landmarks.shape == (0, 5, 2)
    assert f.to_records() == [] and f.image_size == (5, 7)


@pytest.mark.parametrize("field, value", [
    ("boxes", np.zeros((2, 3))),
    ("landmarks", np.zeros((3, 5, 2))),
    ("scores", np.zeros((2, 1))),
])
def test_shapes_are_checked(field, value):
    args = {"boxes": np.zeros((2, 4)), "landmarks": np.zeros((2, 5, 2)), "scores": np.zeros(2)}
    args[field] = value
    with pytest.raises(ShapeError, match=field):
        Faces(args["boxes"], args["landmarks"], args["scores"], (1, 1))


def test_embeddings_need_a_model_id_and_one_row_per_face():
    with pytest.raises(ShapeError, match="embedding_model"):
        make(2, embeddings=np.zeros((2, 4)))
    with pytest.raises(ShapeError, match="embeddings"):
        make(2, embeddings=np.zeros((3, 4)), embedding_model="m")


def test_indexing_keeps_columns_aligned():
    f = make(3, embeddings=np.eye(3, 4), embedding_model="m").with_column("quality", np.array([0.1, 0.2, 0.3]))
    picked = f[np.array([False, True, True])]
    assert len(picked) == 2
    assert picked.columns["quality"].tolist() == [0.2, 0.3]
    assert picked.embeddings[0].tolist() == [0, 1, 0, 0]
    assert len(f[1]) == 1 and f[1].scores[0] == pytest.approx(0.7)
    with pytest.raises(IndexError):
        f[3]


def test_by_size_orders_largest_first():
    f = make(3).by_size()
    assert f.areas.tolist() == [900, 400, 100]


def test_records_are_json_ready():
    import json

    rec = make(1).with_column("quality", np.array([0.25])).to_records()[0]
    assert set(rec) == {"box", "landmarks", "score", "quality"}
    assert rec["quality"] == 0.25 and list(rec["landmarks"]) == ["eye_left", "eye_right", "nose", "mouth_left",
                                                                   "mouth_right"]
    json.dumps(rec)


def test_verdict_dict():
    v = Verdict(True, 0.5, 0.4, 1e-3, "m")
    assert v.to_dict() == {"same": True, "similarity": 0.5, "threshold": 0.4, "fmr": 1e-3, "model": "m"}


def test_pick_largest_or_central():
    from faceprint.errors import InputError

    # A big face in a corner and a smaller one in the middle of a 100x100 image.
    f = Faces(np.array([[0, 0, 40, 40], [40, 40, 60, 60]], float), np.zeros((2, 5, 2)), np.ones(2), (100, 100))
    assert f.pick("largest") == 0 and f.pick("central") == 1
    assert Faces.empty((9, 9)).pick("central") == 0
    with pytest.raises(InputError, match="central"):
        f.pick("leftmost")
