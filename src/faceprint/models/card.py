"""Model cards: what each model is, described as data rather than guessed from tensors."""

from __future__ import annotations

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PipelineCard:
    """A user-facing name (`--model NAME`): a detector, embedders, and how scores combine.

    Thresholds are not here: they are measured, so they live in `calibration.json`
    next to the data they came from (see `faceprint.calibration`).
    """

    name: str
    summary: str
    detector: str
    embedders: tuple[str, ...]
    flip: bool  # average each embedding with the one of the mirrored crop
    version: str = "1"

    @property
    def id(self) -> str:
        """The provenance string stored with every embedding this pipeline makes."""
        flip = "+flip" if self.flip else ""
        return f"{self.name}/v{self.version}:{self.detector}>{'+'.join(self.embedders)}{flip}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "id": self.id}
