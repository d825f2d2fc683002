"""Model cards: what each model is, described as data rather than guessed from tensors.

A `ModelCard` also names the factory that builds its backend (`factory`, "module:callable",
called as `callable(card=card, **options)`), so the registry is the catalog itself and a
backend reads its file, sizes and name from its card. `ModelId` is the structured form of
the provenance every embedding carries; its `str()` is the id string stored in galleries,
caches, index shards and `.npz` files since the first release, and `ModelId.parse` reads it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelFile:
    """One weight file shipped inside a registry package (the package is only a carrier)."""

    package: str  # the import name whose directory holds the file
    distribution: str  # what to `pip install`
    path: str  # relative to the package directory
    sha256: str


@dataclass(frozen=True)
class ModelCard:
    name: str
    task: str  # "detect" | "embed" | "landmarks"
    summary: str
    licence: str
    origin: str
    files: tuple[ModelFile, ...] = ()
    runtime: str = ""
    input_size: tuple[int, int] | None = None  # (width, height) the network sees
    colour: str = "RGB"  # channel order the network expects
    landmark_template: str | None = None
    embedding_dim: int | None = None
    metric: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    factory: str = ""  # "module:callable" building the backend; "" for analysis models loaded their own way
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the factory besides card=

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PipelineCard:
    """A user-facing name (`--model NAME`): a detector, embedders, and how scores combine.

    Thresholds are not here: they are measured, so they live in `calibration.json`
    next to the data they came from (see `faceprint.thresholds`).
    """

    name: str
    summary: str
    detector: str
    embedders: tuple[str, ...]
    flip: bool  # average each embedding with the one of the mirrored crop
    version: str = "1"

    def model_id(self, weights: tuple[float, ...] = ()) -> "ModelId":
        """The id of the embeddings this pipeline makes with fusion `weights` (several embedders)."""
        return ModelId(self.name, self.version, self.detector, tuple(self.embedders), self.flip,
                       tuple(float(w) for w in weights) if len(self.embedders) > 1 else ())

    @property
    def id(self) -> str:
        """The pipeline's id string without fusion weights (what `calibration.json` records)."""
        return str(self.model_id())

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "id": self.id}


_ID = re.compile(r"(?P<pipeline>[^/]+)/v(?P<version>[^:]+):(?P<detector>[^>]+)>(?P<embedders>.+?)"
                 r"(?P<flip>\+flip)?(?:\[w=(?P<weights>[^\]]*)\])?")


@dataclass(frozen=True)
class ModelId:
    """Which pipeline made an embedding: its name and version, its parts, and the fusion weights
    (they shape the vectors, so embeddings made with other weights must not mix)."""

    pipeline: str
    version: str
    detector: str
    embedders: tuple[str, ...]
    flip: bool = False
    weights: tuple[float, ...] = ()  # as the id says them: 5 significant digits

    def __post_init__(self) -> None:
        # Two ids are equal when their strings are: the weights are kept at the id's precision.
        object.__setattr__(self, "weights", tuple(float(f"{w:.5g}") for w in self.weights))

    def __str__(self) -> str:
        text = f"{self.pipeline}/v{self.version}:{self.detector}>{'+'.join(self.embedders)}"
        text += "+flip" if self.flip else ""
        if self.weights:
            text += "[w=" + ",".join(f"{w:.5g}" for w in self.weights) + "]"
        return text

    @property
    def card_id(self) -> str:
        """The id without the fusion weights: the pipeline card's `id`."""
        return str(ModelId(self.pipeline, self.version, self.detector, self.embedders, self.flip))

    @classmethod
    def parse(cls, text: str) -> "ModelId | None":
        """The structured id of an id string, or None when it is not one (e.g. "custom:...")."""
        m = _ID.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            return None
        try:
            weights = tuple(float(w) for w in m["weights"].split(",")) if m["weights"] else ()
        except ValueError:
            return None
        return cls(m["pipeline"], m["version"], m["detector"], tuple(m["embedders"].split("+")), bool(m["flip"]),
                   weights)
