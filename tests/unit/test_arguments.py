"""Issue 19: wrong arguments to the public library are typed errors with a sentence, never a bare
TypeError, a raw numpy error or a NaN answer.

Each case names the call, the error class expected (a FaceprintError subclass), the built-in
class it also is (for callers that caught the old TypeError/ValueError), and a word the
message must contain (the argument's name).
"""

from __future__ import annotations

import numpy as np
import pytest

import faceprint
from faceprint.errors import ArgumentTypeError, FaceIndexError, FaceprintError, InputError, ShapeError

NAN = float("nan")


@pytest.fixture(scope="module")
def vector(fast, astronaut) -> np.ndarray:
    return fast.choose_face(astronaut).embedding


@pytest.fixture(scope="module")
def gallery(fast, astronaut, tmp_path_factory):
    g = faceprint.open_gallery(str(tmp_path_factory.mktemp("g") / "g.db"), fast, create=True)
    g.enroll("astronaut", [astronaut])
    yield g
    g.close()


CASES = [
    # (id, call(fast, image, vector, gallery), error, also, word)
    ("verify-fmr-text", lambda f, im, v, g: faceprint.verify(im, im, model="fast", fmr="abc"),
     ArgumentTypeError, TypeError, "fmr"),
    ("verify-fmr-none", lambda f, im, v, g: faceprint.verify(im, im, model="fast", fmr=None),
     ArgumentTypeError, TypeError, "fmr"),
    ("verify-fmr-nan", lambda f, im, v, g: faceprint.verify(im, im, model="fast", fmr=NAN), InputError, ValueError, "fmr"),
    ("verify-fmr-above-1", lambda f, im, v, g: faceprint.verify(im, im, model="fast", fmr=2), InputError, ValueError,
     "fmr"),
    ("verify-threshold-nan", lambda f, im, v, g: faceprint.verify(im, im, model="fast", threshold=NAN),
     InputError, ValueError, "threshold"),
    ("verify-threshold-text", lambda f, im, v, g: faceprint.verify(im, im, model="fast", threshold="0.4"),
     ArgumentTypeError, TypeError, "threshold"),
    ("verify-model-list", lambda f, im, v, g: faceprint.verify(im, im, model=["fast"]),
     ArgumentTypeError, TypeError, "model"),
    ("detect-model-int", lambda f, im, v, g: faceprint.detect(im, model=5), ArgumentTypeError, TypeError, "model"),
    ("embed-face-text", lambda f, im, v, g: faceprint.embed(im, model="fast", face="0"),
     ArgumentTypeError, TypeError, "face"),
    ("embed-face-bool", lambda f, im, v, g: faceprint.embed(im, model="fast", face=True),
     ArgumentTypeError, TypeError, "face"),
    ("embed-face-float", lambda f, im, v, g: faceprint.embed(im, model="fast", face=1.0),
     ArgumentTypeError, TypeError, "face"),
    ("embed-face-negative", lambda f, im, v, g: faceprint.embed(im, model="fast", face=-1),
     FaceIndexError, IndexError, "face"),
    ("embed-face-rule", lambda f, im, v, g: faceprint.embed(im, model="fast", face_rule="biggest"),
     InputError, ValueError, "face_rule"),
    ("analyze-extras-int", lambda f, im, v, g: faceprint.analyze(im, model="fast", extras=5),
     ArgumentTypeError, TypeError, "extras"),
    ("analyze-extras-list-of-int", lambda f, im, v, g: faceprint.analyze(im, model="fast", extras=[5]),
     ArgumentTypeError, TypeError, "extras"),
    ("explain-fmr-text", lambda f, im, v, g: faceprint.explain(im, im, model="fast", fmr="1e-3"),
     ArgumentTypeError, TypeError, "fmr"),
    ("compare-none", lambda f, im, v, g: f.compare(None, None), ArgumentTypeError, TypeError, "embedding"),
    ("compare-sizes", lambda f, im, v, g: f.compare(v, v[:64]), ShapeError, ValueError, "embedding b"),
    ("compare-matrix", lambda f, im, v, g: f.compare(np.stack([v, v]), v), ShapeError, ValueError, "embedding a"),
    ("compare-text", lambda f, im, v, g: f.compare("abc", v), ArgumentTypeError, TypeError, "embedding a"),
    ("compare-nan", lambda f, im, v, g: f.compare(np.full_like(v, np.nan), v), InputError, ValueError, "NaN"),
    ("compare-fmr-text", lambda f, im, v, g: f.compare(v, v, fmr="abc"), ArgumentTypeError, TypeError, "fmr"),
    ("analyzer-verify-face-text", lambda f, im, v, g: f.verify(im, im, face_a="0"), ArgumentTypeError, TypeError,
     "face_a"),
    ("analyzer-choose-face-list", lambda f, im, v, g: f.choose_face(im, [0]), ArgumentTypeError, TypeError, "face"),
    ("analyzer-threshold-none", lambda f, im, v, g: f.threshold(None), ArgumentTypeError, TypeError, "fmr"),
    ("identify-fmr-text", lambda f, im, v, g: g.identify(im, fmr="abc"), ArgumentTypeError, TypeError, "fmr"),
    ("identify-threshold-inf", lambda f, im, v, g: g.identify(im, threshold=float("inf")), InputError, ValueError,
     "threshold"),
    ("track-fmr-none", lambda f, im, v, g: faceprint.track("clip.mp4", model="fast", fmr=None),
     ArgumentTypeError, TypeError, "fmr"),
]


@pytest.mark.parametrize("call, error, also, word", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_raise_typed_errors(fast, astronaut, vector, gallery, call, error, also, word):
    with pytest.raises(error) as caught:
        call(fast, astronaut, vector, gallery)
    assert isinstance(caught.value, FaceprintError) and isinstance(caught.value, also)
    message = str(caught.value)
    assert word in message, message
    assert "Traceback" not in message and len(message) < 200


def test_good_arguments_still_work(fast, astronaut, vector, gallery):
    """The checks accept what callers pass: numpy scalars and ints, lists of extra names."""
    verdict = fast.compare(vector, vector.tolist(), fmr=np.float64(1e-3))
    assert verdict.same and np.isfinite(verdict.similarity)
    assert fast.choose_face(astronaut, np.int64(0)).index == 0
    assert faceprint.verify(astronaut, astronaut, model="fast", threshold=np.float32(0.3)).same
    assert len(faceprint.analyze(astronaut, model="fast", extras=[])) >= 1
    assert gallery.identify(astronaut, fmr=1e-3)[0].identity == "astronaut"
