"""Quality: every reason on a photo made to have that defect; the score, the enrolment gate."""

from __future__ import annotations

import numpy as np
import pytest
from analyze_helpers import degrade, rgb

from faceprint.assessors import LowQualityError
from faceprint.assessors.quality import GOOD, MEASURES, RAMPS, REASONS, QualityAssessor, require_quality, score
from faceprint.types import Faces


@pytest.fixture(scope="module")
def assess(fast):
    qa = QualityAssessor(fast.embedder)

    def run(image: np.ndarray) -> Faces:
        faces = fast.detector.detect(image)
        assert len(faces) >= 1, "the degraded copy must still show a detectable face"
        return qa.assess(image, faces[:1])

    return run


def test_clean_photo_scores_high_with_no_reason(assess, astronaut):
    f = assess(astronaut)
    assert f.columns["quality"][0] > 0.9 and f.columns["quality_reasons"][0] == []
    assert set(f.columns["quality_measures"][0]) == set(MEASURES)


@pytest.mark.parametrize("defect", ["blurred", "underexposed", "overexposed", "low_contrast", "too_small",
                                    "eyes_not_visible", "mouth_not_visible"])
def test_each_defect_is_named_and_lowers_quality(assess, astronaut, defect):
    clean = float(assess(astronaut).columns["quality"][0])
    f = assess(degrade(astronaut, defect))
    reasons = f.columns["quality_reasons"][0]
    assert defect in reasons, f"{defect} not among {reasons}: {f.columns['quality_measures'][0]}"
    assert f.columns["quality"][0] < min(0.5, clean)


def test_turned_head_is_named(assess, cameraman):
    # The cameraman looks into his camera, about 60-70 degrees to the image's right.
    f = assess(rgb(cameraman))
    assert "head_yaw" in f.columns["quality_reasons"][0]
    assert "too_small" not in f.columns["quality_reasons"][0]  # a profile's eyes are close, the face is not small


class _Embedder:
    """A fake crop embedder: `stable` gives one vector for any crop, else a vector hashed from the pixels."""

    name, dim = "fake", 8

    def __init__(self, stable: bool) -> None:
        self.stable = stable

    def networks(self):
        return [self]

    def mirror(self, crops):
        return [c[:, ::-1] for c in crops]

    def crop(self, image, faces):
        from faceprint.align import align_face
        return [align_face(image, lm) for lm in faces.landmarks]

    def embed_crops(self, crops):
        if self.stable:
            return np.ones((len(crops), self.dim), np.float32)
        rows = [np.random.default_rng(abs(hash(c.tobytes())) % 2**32).normal(size=self.dim) for c in crops]
        return np.array(rows, np.float32)


def test_recognizability_comes_from_embedding_stability(fast, astronaut):
    faces = fast.detector.detect(astronaut)[:1]
    steady = QualityAssessor(_Embedder(stable=True)).assess(astronaut, faces)
    shaky = QualityAssessor(_Embedder(stable=False)).assess(astronaut, faces)
    assert steady.columns["quality_measures"][0]["stability"] == pytest.approx(1.0, abs=1e-5)
    assert "low_recognizability" not in steady.columns["quality_reasons"][0]
    assert shaky.columns["quality_reasons"][0] == ["low_recognizability"]
    assert shaky.columns["quality"][0] < 0.2
    # without an embedder the term is left out, not guessed
    none = QualityAssessor(None).assess(astronaut, faces)
    assert none.columns["quality_measures"][0]["stability"] is None


def _clean_measures() -> np.ndarray:
    m = dict(face_size_px=60, blur=0.3, luminance=140, dark_fraction=0.0, bright_fraction=0.0, contrast=120, yaw=0,
             pitch=0, roll=0, eye_texture=0.8, mouth_texture=0.8, stability=0.98, detector_score=0.9)
    return np.array([[m[k] for k in MEASURES]], float)


@pytest.mark.parametrize("ramp", RAMPS, ids=lambda r: r.reason)
def test_each_limit_names_its_reason_alone(ramp):
    base = _clean_measures()
    q, reasons = score(base)
    assert q[0] == 1.0 and reasons == [[]]
    past = base.copy()
    past[0, MEASURES.index(ramp.measure)] = ramp.bad
    q, reasons = score(past)
    assert reasons == [[ramp.reason]] and q[0] == 0.0
    half = base.copy()
    half[0, MEASURES.index(ramp.measure)] = 0.75 * ramp.good + 0.25 * ramp.bad  # inside the limit
    q, reasons = score(half)
    assert reasons == [[]] and 0.5 < q[0] < GOOD  # the strict rule (what video acts on): nothing past a limit
    assert score(half, explain_low=True)[1] == [[ramp.reason]]  # in answers: what lowered it is named
    slight = base.copy()
    slight[0, MEASURES.index(ramp.measure)] = 0.9 * ramp.good + 0.1 * ramp.bad  # inside the limit, still good
    q, reasons = score(slight, explain_low=True)
    assert reasons == [[]] and GOOD <= q[0] < 1.0


def test_a_middling_score_always_says_why():
    """Four components each inside their limit multiply to about 0.5: the lowest are named."""
    m = _clean_measures()
    ramps = {r.reason: r for r in RAMPS}
    for reason, frac in (("blurred", 0.16), ("low_contrast", 0.15), ("head_yaw", 0.14), ("eyes_not_visible", 0.13)):
        r = ramps[reason]
        m[0, MEASURES.index(r.measure)] = (1 - frac) * r.good + frac * r.bad
    assert score(m)[1] == [[]]  # the strict rule names nothing: the "0.50 (lowered by: none)"
    q, (reasons,) = score(m, explain_low=True)
    assert 0.45 < q[0] < 0.6 and reasons, reasons
    assert reasons[:2] == ["blurred", "low_contrast"]  # the lowest components first (in ramp order)
    kept = np.prod([1 - f for f, name in ((0.14, "head_yaw"), (0.13, "eyes_not_visible")) if name not in reasons])
    assert kept >= GOOD  # the unnamed ones alone would leave a good score


def test_reason_names_are_unique_and_documented():
    assert len(set(REASONS)) == len(REASONS)
    import faceprint.assessors.quality as mod
    for r in REASONS:
        assert r in mod.__doc__ or r in {x.reason for x in RAMPS}


def test_enrolment_gate_answers_with_the_reasons(assess, astronaut):
    good = assess(astronaut)
    require_quality(good, 0.5)  # passes silently
    bad = assess(degrade(astronaut, "blurred"))
    with pytest.raises(LowQualityError) as err:
        require_quality(bad, 0.5)
    assert "blurred" in err.value.reasons and "blurred" in str(err.value) and err.value.code == "low_quality"
