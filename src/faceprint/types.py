"""Result types: `Faces` (struct of arrays, never None) and `Verdict`.

`Faces` follows the shape of a detection table: every per-face array has the same
first dimension N, validated on creation, and indexing with an int, slice, boolean
mask or index array returns another `Faces`. No faces is `Faces.empty(...)`, not None.

Conventions: boxes are float32 ``(N, 4)`` ``x1, y1, x2, y2`` in pixels of the
(EXIF-rotated) input image; landmarks are ``(N, 5, 2)`` in the ArcFace order
(left-of-image eye, right-of-image eye, nose tip, left-of-image mouth corner,
right-of-image mouth corner); embeddings are float32 ``(N, D)`` L2-normalised and
carry the id of the model that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .errors import InputError, ShapeError

FACE_RULES = ("largest", "central")
# How every front end (CLI --json, the service, the library's records) states a face's place.
BOX_FORMAT = ('"box" is [x1, y1, x2, y2] in pixels of the image: the top-left and bottom-right corners, '
              'x to the right, y down; "landmarks" are [x, y] pixels; faces come largest first')
LANDMARK_NAMES = ("eye_left", "eye_right", "nose", "mouth_left", "mouth_right")


def _as(array: Any, what: str, dtype: type, shape_tail: tuple[int, ...], n: int | None) -> np.ndarray:
    a = np.asarray(array, dtype=dtype)
    if a.ndim != 1 + len(shape_tail) or a.shape[1:] != shape_tail and -1 not in shape_tail:
        raise ShapeError(what, a.shape, f"(N, {', '.join(map(str, shape_tail))})" if shape_tail else "(N,)")
    if n is not None and a.shape[0] != n:
        raise ShapeError(what, a.shape, f"first dimension {n} (one row per face)")
    return a


def _json_safe(value: Any) -> Any:
    """NaN/inf (a measure that could not be taken) become None: JSON has no NaN."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Faces:
    """The faces found in one image, as equal-length arrays."""

    boxes: np.ndarray
    landmarks: np.ndarray
    scores: np.ndarray
    image_size: tuple[int, int]  # (height, width) of the image the coordinates refer to
    detector: str = ""
    embeddings: np.ndarray | None = None
    embedding_model: str | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        boxes = _as(self.boxes, "boxes", np.float32, (4,), None)
        n = boxes.shape[0]
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "landmarks", _as(self.landmarks, "landmarks", np.float32, (5, 2), n))
        object.__setattr__(self, "scores", _as(self.scores, "scores", np.float32, (), n))
        if self.embeddings is not None:
            emb = np.asarray(self.embeddings, dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != n:
                raise ShapeError("embeddings", emb.shape, f"({n}, D)")
            if not self.embedding_model:
                raise ShapeError("embedding_model", self.embedding_model, "the id of the model that made the embeddings")
            object.__setattr__(self, "embeddings", emb)
        columns = {}
        for key, col in self.columns.items():
            col = np.asarray(col)
            if col.shape[:1] != (n,):
                raise ShapeError(f"column {key!r}", col.shape, f"first dimension {n}")
            columns[key] = col
        object.__setattr__(self, "columns", columns)  # our own copy: the caller's dict stays theirs

    @classmethod
    def empty(cls, image_size: tuple[int, int], detector: str = "") -> "Faces":
        return cls(np.zeros((0, 4)), np.zeros((0, 5, 2)), np.zeros((0,)), image_size, detector)

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __iter__(self) -> Iterator["Faces"]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int | slice | np.ndarray | list[int]) -> "Faces":
        if isinstance(index, (int, np.integer)):
            if not -len(self) <= index < len(self):
                raise IndexError(f"face {index} out of range for {len(self)} face(s)")
            index = [int(index)]
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return Faces(
            self.boxes[index], self.landmarks[index], self.scores[index], self.image_size, self.detector,
            pick(self.embeddings), self.embedding_model, {k: v[index] for k, v in self.columns.items()},
        )

    @property
    def areas(self) -> np.ndarray:
        wh = np.clip(self.boxes[:, 2:] - self.boxes[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]

    def by_size(self) -> "Faces":
        """The same faces, largest box first (the order every front end answers in)."""
        return self[np.argsort(-self.areas, kind="stable")]

    def pick(self, rule: str = "largest") -> int:
        """Index of the face a rule picks: "largest" (first, faces are sorted largest first)
        or "central" (box centre nearest the image centre: the subject of a centred crop)."""
        if rule not in FACE_RULES:
            raise InputError(f"face rule must be one of {', '.join(FACE_RULES)}, got {rule!r}")
        if rule == "largest" or len(self) < 2:
            return 0
        centres = (self.boxes[:, :2] + self.boxes[:, 2:]) / 2
        middle = np.array([self.image_size[1], self.image_size[0]], np.float32) / 2
        return int(np.argmin(np.linalg.norm(centres - middle, axis=1)))

    def with_embeddings(self, embeddings: np.ndarray, model: str) -> "Faces":
        return Faces(self.boxes, self.landmarks, self.scores, self.image_size, self.detector,
                     embeddings, model, dict(self.columns))

    def with_column(self, name: str, values: np.ndarray) -> "Faces":
        return Faces(self.boxes, self.landmarks, self.scores, self.image_size, self.detector,
                     self.embeddings, self.embedding_model, {**self.columns, name: values})

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready dicts, one per face (the CLI's and the service's shape)."""
        out = []
        for i in range(len(self)):
            rec: dict[str, Any] = {
                "box": [round(float(v), 2) for v in self.boxes[i]],
                "landmarks": {name: [round(float(x), 2), round(float(y), 2)]
                              for name, (x, y) in zip(LANDMARK_NAMES, self.landmarks[i])},
                "score": round(float(self.scores[i]), 4),
            }
            for key, col in self.columns.items():
                v = col[i]
                rec[key] = _json_safe(v.tolist() if isinstance(v, np.ndarray) else (v.item() if hasattr(v, "item") else v))
            out.append(rec)
        return out


@dataclass(frozen=True)
class Verdict:
    """The answer of a 1:1 comparison, with what its threshold means."""

    same: bool
    similarity: float
    threshold: float
    fmr: float | None  # None when the threshold was given by hand, not calibrated
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {"same": self.same, "similarity": round(self.similarity, 6), "threshold": round(self.threshold, 6),
                "fmr": self.fmr, "model": self.model}


class Embedding(np.ndarray):
    """A float32 embedding (D,) or rows of them (N, D) that knows which model made it.

    `faceprint.embed` returns one. It is an ndarray (`np.asarray(e)` is the plain vector,
    `e.vector` too), with `model`, the id of the pipeline that made it. Any arithmetic or
    numpy function over embeddings of two different models (`a @ b`, `np.dot(a, b)`,
    `np.stack`, `Analyzer.compare`, a gallery search) raises `ModelMismatchError`: their
    similarity would be a number without meaning. Results of arithmetic are plain arrays;
    slices keep the model.
    """

    model: str

    def __new__(cls, vector: Any, model: str) -> "Embedding":
        if not isinstance(model, str) or not model:
            raise InputError(f"an Embedding needs the id of the model that made it, got {model!r}")
        obj = np.asarray(vector, np.float32).view(cls)
        obj.model = model
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.model = getattr(obj, "model", "")  # views and slices keep their model

    @property
    def vector(self) -> np.ndarray:
        return self.view(np.ndarray)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        same_model(*inputs, *kwargs.get("out", ()))
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        flat = [y for x in args for y in (x if isinstance(x, (list, tuple)) else (x,))]
        same_model(*flat, *kwargs.values())
        unwrap = lambda x: [_plain(y) for y in x] if isinstance(x, (list, tuple)) else _plain(x)  # noqa: E731
        return func(*(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()})

    def __reduce__(self) -> Any:
        return (Embedding, (self.vector.copy(), self.model))

    def __repr__(self) -> str:
        return f"Embedding({np.array2string(self.vector, threshold=8)}, model={self.model!r})"


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, Embedding) else x


def same_model(*values: Any, model: str | None = None) -> str | None:
    """The model of the `Embedding`s among `values` (and `model`, when given); raises
    `ModelMismatchError` when they name two different models."""
    from .errors import ModelMismatchError

    models = {v.model for v in values if isinstance(v, Embedding) and v.model}
    if model:
        models.add(model)
    if len(models) > 1:
        raise ModelMismatchError("embeddings of different models cannot be compared: "
                                 + " vs ".join(repr(m) for m in sorted(models)))
    return next(iter(models), None)
