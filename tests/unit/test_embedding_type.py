"""faceprint.embed returns an Embedding that carries its model id; models never mix."""

import pickle

import numpy as np
import pytest

import faceprint
from faceprint import Embedding
from faceprint.errors import InputError, ModelMismatchError


def test_embed_carries_the_model_and_stays_an_array(astronaut):
    e = faceprint.embed(astronaut, model="fast")
    assert isinstance(e, Embedding) and e.model == faceprint.Analyzer.from_name("fast").model_id
    plain = np.asarray(e)
    assert type(plain) is np.ndarray and plain.shape == (128,) and plain.dtype == np.float32
    np.testing.assert_array_equal(e.vector, plain)
    assert e[:4].model == e.model  # slices keep their model
    assert type(e @ e) is not Embedding and float(e @ e) == pytest.approx(1.0, abs=1e-5)
    back = pickle.loads(pickle.dumps(e))
    assert back.model == e.model and np.array_equal(back, e)


def test_vectors_of_two_models_are_refused(astronaut, tmp_path):
    from faceprint.gallery import open_gallery

    fast = faceprint.embed(astronaut, model="fast")
    other = Embedding(np.asarray(fast), "sface-flip/v1:yunet>sface+flip")  # same size, another model
    for attempt in (lambda: fast @ other, lambda: np.dot(fast, other), lambda: np.stack([fast, other]),
                    lambda: fast - other, lambda: faceprint.compare(fast, other),
                    lambda: faceprint.Analyzer.from_name("fast").compare(fast, other)):
        with pytest.raises(ModelMismatchError):
            attempt()
    with open_gallery(tmp_path / "g.db", create=True) as g:
        g.enroll_vectors("a", fast[None], model=fast.model)
        with pytest.raises(ModelMismatchError):
            g.identify_vectors(other[None], model=fast.model)
        with pytest.raises(ModelMismatchError):
            g.enroll_vectors("b", other[None], model=fast.model)


def test_compare_uses_the_models_calibration_without_loading_it(astronaut):
    from faceprint.thresholds import threshold_for

    a = faceprint.embed(astronaut, model="fast")
    b = faceprint.embed(np.ascontiguousarray(astronaut[:, ::-1]), model="fast")
    v = faceprint.compare(a, b, fmr=1e-3)
    assert v.same and v.model == a.model and v.threshold == threshold_for("fast", 1e-3) and v.fmr == 1e-3
    with pytest.raises(InputError, match="model id"):
        faceprint.compare(np.asarray(a), np.asarray(b))
    with pytest.raises(InputError, match="needs the id"):
        Embedding(np.asarray(a), "")
