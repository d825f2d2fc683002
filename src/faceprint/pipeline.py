"""`Analyzer`: a detector and an embedder loaded once, composed by passing instances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import thresholds, validate
from .detectors.base import Detector
from .embedders.base import Embedder
from .errors import FaceIndexError, ModelMismatchError, NoFaceError
from .image import load_image
from .models.card import ModelId, PipelineCard
from .types import Faces, Verdict, same_model


@dataclass(frozen=True)
class FaceChoice:
    """Which face of an image was used, and why (reported by verify)."""

    index: int
    count: int
    rule: str  # "only" | "largest" | "requested"
    faces: Faces  # all faces of the image, largest first, with embeddings

    @property
    def embedding(self) -> np.ndarray:
        return self.faces.embeddings[self.index]

    def to_dict(self) -> dict[str, Any]:
        return {"face": self.index, "faces_found": self.count, "face_rule": self.rule,
                "box": [round(float(v), 2) for v in self.faces.boxes[self.index]]}


class Analyzer:
    """Loads models once; detect, embed and verify images with them.

    Build one from a registered name (`Analyzer.from_name("fast")`) or pass your own
    detector and embedder instances. `model_id` is stored with every embedding made
    here, so embeddings from different pipelines are never compared by mistake.
    """

    def __init__(self, detector: Detector, embedder: Embedder, *, model_id: str | None = None,
                 calibration_name: str | None = None, card: PipelineCard | None = None) -> None:
        self.detector = detector
        self.embedder = embedder
        self.card = card
        self.model_id = model_id or f"custom:{detector.name}>{embedder.name}"
        self.model = ModelId.parse(self.model_id)  # structured (None for a custom pipeline)
        self.calibration_name = calibration_name

    @classmethod
    def from_name(cls, name: str | None = None) -> "Analyzer":
        from .embedders.base import compose
        from .models.catalog import DEFAULT_PIPELINE
        from .models.registry import make_detector, make_embedder, pipeline_card, pipeline_model_id

        card = pipeline_card(name or DEFAULT_PIPELINE)
        weights = thresholds.fusion_weights(card.name, card.embedders)  # full precision: they shape the vectors
        embedder = compose(card.embedders, card.flip, make_embedder, weights)
        model = pipeline_model_id(card.name)  # the id names the same weights (at 5 digits)
        return cls(make_detector(card.detector), embedder, model_id=str(model), calibration_name=card.name, card=card)

    # -- the three verbs -------------------------------------------------------------
    def detect(self, image: Any) -> Faces:
        """Faces (boxes, landmarks, scores), largest first."""
        return self.detector.detect(load_image(image))

    def embed_faces(self, image: Any) -> Faces:
        """Faces with an embedding per face."""
        pixels = load_image(image)
        faces = self.detector.detect(pixels)
        if not len(faces):
            return faces
        return faces.with_embeddings(self.embedder.embed(pixels, faces), self.model_id)

    def choose_face(self, image: Any, face: int | None = None, rule: str = "largest") -> FaceChoice:
        """The face to use for a 1:1 answer: the requested index, else the one `rule` picks
        ("largest", or "central" for centred crops such as ID photos and LFW)."""
        face, rule = validate.face(face), validate.face_rule(rule)  # before any model work
        faces = self.embed_faces(image)
        if not len(faces):
            from .image import describe_source

            where = "the image" if isinstance(image, np.ndarray) else describe_source(image)
            raise NoFaceError(f"no face found in {where}")
        if face is None:
            return FaceChoice(faces.pick(rule), len(faces), "only" if len(faces) == 1 else rule, faces)
        if not 0 <= face < len(faces):
            raise FaceIndexError(f"face index {face} requested but the image has {len(faces)} face(s) "
                                 f"(indices 0..{len(faces) - 1}, largest first)")
        return FaceChoice(face, len(faces), "requested", faces)

    def _choose_labelled(self, label: str, image: Any, face: int | None, rule: str) -> FaceChoice:
        """choose_face, with "image A: " before a no-face or face-index message (which of the two)."""
        try:
            return self.choose_face(image, face, rule)
        except (NoFaceError, FaceIndexError) as e:
            if e.args and isinstance(e.args[0], str):
                e.args = (f"{label}: {e.args[0]}", *e.args[1:])
            raise

    def threshold(self, fmr: float = thresholds.DEFAULT_FMR,
                  threshold: float | thresholds.Threshold | None = None) -> thresholds.Threshold:
        """The `Threshold` to decide with: `threshold` if given, else this pipeline's for `fmr`."""
        return thresholds.Threshold.resolve(self.calibration_name, fmr, threshold, model=self.model_id)

    def compare(self, a: np.ndarray, b: np.ndarray, *, fmr: float = thresholds.DEFAULT_FMR,
                threshold: float | thresholds.Threshold | None = None, model_a: str | None = None,
                model_b: str | None = None) -> Verdict:
        """Verdict for two embeddings of this pipeline (refuses embeddings of another model)."""
        for m in (model_a, model_b, same_model(a, b)):  # typed embeddings say their model themselves
            if m is not None and m != self.model_id:
                raise ModelMismatchError(f"embedding made by {m!r} cannot be compared with {self.model_id!r}")
        va, vb = validate.embedding_pair(a, b)
        t = self.threshold(fmr, threshold)
        sim = float(np.dot(va, vb))
        # A hand-given threshold has no measured false-match rate: t.fmr is None.
        return Verdict(sim >= t.value, sim, t.value, t.fmr, self.model_id)

    def verify(self, a: Any, b: Any, *, fmr: float = thresholds.DEFAULT_FMR,
               threshold: float | thresholds.Threshold | None = None,
               face_a: int | None = None, face_b: int | None = None, rule: str = "largest"
               ) -> tuple[Verdict, FaceChoice, FaceChoice]:
        """Are the faces in images `a` and `b` the same person? Also says which faces were used."""
        rule = validate.face_rule(rule)
        face_a, face_b = validate.face(face_a, "face_a"), validate.face(face_b, "face_b")
        t = self.threshold(fmr, threshold)  # resolved once: an uncalibrated rate fails before any model work
        ca, cb = (self._choose_labelled(label, image, face, rule) for label, image, face in
                  (("image A", a, face_a), ("image B", b, face_b)))
        return self.compare(ca.embedding, cb.embedding, threshold=t), ca, cb
