"""The narrow protocol every gallery backend implements, and the records it passes around.

A store keeps identities, their templates (unit float32 vectors) and one `GalleryMeta`
(which model made the templates). It answers template-level nearest-neighbour searches;
the `Gallery` on top does everything else (checking names and models, turning scores into
open-set decisions), so a new backend is only storage + search.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Protocol, Sequence

import numpy as np

from ..errors import InputError

FORMAT = "faceprint-gallery/1"
SCORE_RULES = ("max", "mean")
MAX_NAME = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_name(name: object) -> str:
    """An identity name, normalised: NFKC (full-width forms and compatibility characters fold
    to their plain form), with no control or format characters (RTL overrides, zero-width
    joiners), no leading/trailing spaces, at most MAX_NAME characters. Returns the name stored.

    Names that look alike but differ in invisible characters would otherwise be two people.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"an identity name must be non-empty text, got {name!r}")
    folded = unicodedata.normalize("NFKC", name)
    bad = [ch for ch in folded if unicodedata.category(ch) in ("Cc", "Cf")]
    if bad:
        raise InputError(f"identity name {name!r}: no control or format characters "
                         f"(found {', '.join(f'U+{ord(c):04X}' for c in dict.fromkeys(bad))})")
    if folded != folded.strip() or len(folded) > MAX_NAME:
        raise InputError(f"identity name {name!r}: no leading/trailing spaces, at most {MAX_NAME} characters")
    return folded


@dataclass(frozen=True)
class GalleryMeta:
    """What every template in a gallery was made with; fixed by the first enrollment."""

    model_id: str
    dim: int
    preprocessing: dict[str, Any] = field(default_factory=dict)  # the pipeline card: detector, embedders, flip
    score_rule: str = "max"  # how an identity with several templates scores: its best (max) or their mean
    format: str = FORMAT
    created: str = ""

    def __post_init__(self) -> None:
        if self.score_rule not in SCORE_RULES:
            raise InputError(f"score rule must be one of {', '.join(SCORE_RULES)}, got {self.score_rule!r}")
        if int(self.dim) <= 0:
            raise InputError(f"template dimension must be positive, got {self.dim}")

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "model_id": self.model_id, "dim": int(self.dim),
                "preprocessing": self.preprocessing, "score_rule": self.score_rule, "created": self.created}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GalleryMeta":
        return cls(str(d["model_id"]), int(d["dim"]), dict(d.get("preprocessing") or {}),
                   str(d.get("score_rule", "max")), str(d.get("format", FORMAT)), str(d.get("created", "")))


@dataclass(frozen=True)
class NewTemplate:
    """One template to store: the vector and where it came from."""

    vector: np.ndarray
    source: str = ""  # file name (or "" when enrolled from a vector)
    digest: str = ""  # content digest of the photo, to refuse the same photo twice for one identity
    box: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    source: str
    digest: str
    box: tuple[float, ...] | None
    created: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "digest": self.digest,
                "box": list(self.box) if self.box is not None else None, "created": self.created}


@dataclass(frozen=True)
class IdentityInfo:
    name: str
    n_templates: int
    metadata: dict[str, Any]
    created: str
    templates: tuple[TemplateInfo, ...] = ()  # filled by `Store.identity`, empty in listings
    # Filled by `Store.remove` where the store records them: ("cache", file digest) and
    # ("sheet", cluster output folder) entries to forget beyond the store (privacy/forget.py).
    forget: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = {"identity": self.name, "templates": self.n_templates, "metadata": self.metadata, "created": self.created}
        if self.templates:
            d["template_list"] = [t.to_dict() for t in self.templates]
        return d


@dataclass(frozen=True)
class NewIdentity:
    name: str
    templates: Sequence[NewTemplate]
    metadata: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    forget: Sequence[tuple[str, str]] = ()  # what to forget elsewhere on remove (see IdentityInfo)


# Search results: for each probe, (identity name, similarity) pairs, best first, distinct names.
Hits = list[list[tuple[str, float]]]


class Store(Protocol):
    """Storage and search of templates. Writes are all-or-nothing per call."""

    uri: str

    def meta(self) -> GalleryMeta | None:
        """The gallery's model and rules, or None while nothing was ever enrolled."""
        ...

    def add(self, meta: GalleryMeta, identities: Iterable[NewIdentity], *, append: bool = False) -> list[IdentityInfo]:
        """Store identities (writing `meta` if the store is new), all or none.

        An existing name raises `DuplicateError` unless `append`, which adds templates to it;
        a digest already stored for that identity raises `DuplicateError` too.
        """
        ...

    def remove(self, name: str) -> IdentityInfo:
        """Delete an identity and its templates; `UnknownIdentityError` if absent."""
        ...

    def identities(self) -> list[IdentityInfo]:
        ...

    def identity(self, name: str) -> IdentityInfo:
        """One identity with its template list; `UnknownIdentityError` if absent."""
        ...

    def export(self) -> Iterator[tuple[IdentityInfo, np.ndarray]]:
        """Every identity (with templates) and its (n, dim) vectors, in enrollment order."""
        ...

    def search(self, probes: np.ndarray, k: int, rule: str) -> Hits:
        """The k best identities per probe row under `rule` ("max" or "mean"), exact at the top."""
        ...

    def count(self) -> tuple[int, int]:
        """(identities, templates)."""
        ...

    def close(self) -> None:
        ...


def as_vectors(vectors: Any, dim: int | None = None) -> np.ndarray:
    """(n, D) C-contiguous float32 rows of unit length; refuses NaN, zeros and the wrong width."""
    from ..errors import ShapeError

    v = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[1] == 0:
        raise ShapeError("templates", v.shape, "(n, D) float32")
    if dim is not None and v.shape[1] != dim:
        raise ShapeError("templates", v.shape, f"(n, {dim}): this gallery's templates are {dim}-d")
    norms = np.linalg.norm(v, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(norms < 1e-6):
        raise InputError("templates must be finite, non-zero vectors")
    return np.ascontiguousarray(v / norms[:, None], dtype=np.float32)
