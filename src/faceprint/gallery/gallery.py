"""`Gallery`: enroll identities and answer 1:N identification, on any `Store`.

Open-set decisions: the best identity is named only when its similarity reaches the
pipeline's calibrated 1:1 threshold for the requested false-match rate (`fmr`); otherwise
the answer is `identity=None` ("unknown") with the candidates still listed. The threshold
is per comparison, so with N enrolled identities a non-mated probe is wrongly named with
probability up to about N * fmr (FPIR); each answer carries `fmr` and `gallery_size` so the
reader can tell. Several templates per identity score by the gallery's rule, "max" (the
best template) or "mean" (the mean similarity), stated in every answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..thresholds import DEFAULT_FMR, Threshold
from ..errors import DuplicateError, FaceprintError, GalleryError, InputError, ModelMismatchError, NoFaceError
from ..types import same_model
from .store import FORMAT, GalleryMeta, IdentityInfo, NewIdentity, NewTemplate, Store, as_vectors, check_name, now



@dataclass(frozen=True)
class Candidate:
    identity: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "similarity": round(self.similarity, 6)}


@dataclass(frozen=True)
class Identification:
    """The answer for one probe face: the named identity (or None = unknown) and the ranked candidates."""

    identity: str | None
    similarity: float | None  # the best candidate's score (None when the gallery is empty)
    threshold: float
    fmr: float | None  # None when the threshold was given by hand
    candidates: tuple[Candidate, ...]
    model: str
    score_rule: str
    gallery_size: int
    box: tuple[float, ...] | None = None
    face: int | None = None  # index in the image, largest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "face": self.face, "box": [round(float(v), 2) for v in self.box] if self.box is not None else None,
            "identity": self.identity,
            "similarity": round(self.similarity, 6) if self.similarity is not None else None,
            "threshold": round(self.threshold, 6), "fmr": self.fmr,
            "candidates": [c.to_dict() for c in self.candidates],
            "score_rule": self.score_rule, "gallery_size": self.gallery_size, "model": self.model,
        }


@dataclass(frozen=True)
class Enrollment:
    """What an enroll stored: the identity as it now is, and which face of each photo was used."""

    identity: IdentityInfo
    added: int
    model: str
    photos: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity.name, "added": self.added, "templates": self.identity.n_templates,
                "model": self.model, "metadata": self.identity.metadata, "photos": list(self.photos)}


def pipeline_for(model_id: str) -> str | None:
    """The registered pipeline name whose embeddings carry `model_id`, if any."""
    from ..models.registry import pipeline_of

    return pipeline_of(model_id)


def _pixels_digest(pixels: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(repr(pixels.shape).encode())
    h.update(np.ascontiguousarray(pixels).tobytes())
    return h.hexdigest()


class Gallery:
    """Identities and their face templates, with 1:N search; see `open_gallery`.

    `analyzer` embeds photos; when omitted it is loaded on first use from the model the
    gallery was made with (or the default pipeline for a new gallery). `score_rule` only
    applies to a new gallery ("max" by default); the stored rule wins afterwards.
    """

    def __init__(self, store: Store, analyzer: Any | None = None, *, score_rule: str | None = None) -> None:
        self.store = store
        self._analyzer = analyzer
        self._rule = score_rule
        meta = store.meta()
        if meta is not None and score_rule is not None and score_rule != meta.score_rule:
            raise InputError(f"gallery {store.uri} scores identities by {meta.score_rule!r}; "
                             f"cannot open it with score rule {score_rule!r}")
        if meta is not None and analyzer is not None:
            self._check_model(analyzer.model_id, meta)

    # -- what the gallery is -------------------------------------------------------------
    @property
    def uri(self) -> str:
        return self.store.uri

    @property
    def meta(self) -> GalleryMeta | None:
        return self.store.meta()

    def __len__(self) -> int:
        return self.store.count()[0]

    def identities(self) -> list[IdentityInfo]:
        return self.store.identities()

    def show(self, name: str) -> IdentityInfo:
        return self.store.identity(_lookup(name))

    def remove(self, name: str, *, elsewhere: bool = True) -> IdentityInfo:
        """Delete an identity everywhere faceprint put it: its templates (securely, see the store),
        and the cache rows and cluster sheet entries recorded at enrollment (privacy/forget.py).
        `elsewhere=False` only deletes the templates (a re-enrollment that replaces them)."""
        info = self.store.remove(_lookup(name))
        if info.forget and elsewhere:
            from ..privacy.forget import forget

            forget(info.forget, info.name)
        return info

    def _check_model(self, model_id: str, meta: GalleryMeta | None = None) -> GalleryMeta:
        meta = meta or self.store.meta()
        if meta is None:
            raise GalleryError(f"gallery {self.uri} is empty: enroll someone first")
        if model_id != meta.model_id:
            raise ModelMismatchError(f"gallery {self.uri} holds templates made by {meta.model_id!r}; "
                                     f"this one was made by {model_id!r} (the two cannot be compared)")
        return meta

    def analyzer(self) -> Any:
        """The pipeline that embeds photos for this gallery (loaded on first use)."""
        if self._analyzer is None:
            from ..pipeline import Analyzer

            meta = self.store.meta()
            if meta is None:
                self._analyzer = Analyzer.from_name(None)
            else:
                name = pipeline_for(meta.model_id)
                if name is None:
                    raise GalleryError(f"gallery {self.uri} was made by {meta.model_id!r}, which this version "
                                       f"of faceprint does not provide; pass the analyzer that made it")
                self._analyzer = Analyzer.from_name(name)
        return self._analyzer

    def _new_meta(self, model_id: str, dim: int, preprocessing: dict[str, Any]) -> GalleryMeta:
        return GalleryMeta(model_id, dim, preprocessing, self._rule or "max", FORMAT, now())

    # -- enrollment ----------------------------------------------------------------------
    def enroll(self, name: str, images: Sequence[Any], *, metadata: dict[str, Any] | None = None,
               append: bool = False, sources: Sequence[str] | None = None, gate: Any = None) -> Enrollment:
        """Enroll one identity from one or more photos (the largest face of each); all or nothing.

        `gate` (a `faceprint.gallery.gate.EnrolmentGate`) refuses photos below a quality bar,
        not live, or already enrolled under another name, before anything is stored.

        `sources` names the photos in the store (default: their paths, or a description of
        bytes and arrays); the service passes the uploads' file names.
        """
        from ..image import describe_source, load_image

        name = check_name(name)
        if isinstance(images, (str, bytes, os.PathLike, np.ndarray)) or not len(images):
            raise InputError("enroll needs a list of one or more photos")
        if sources is not None and len(sources) != len(images):
            raise InputError(f"{len(images)} photos but {len(sources)} source names")
        analyzer = self.analyzer()
        meta = self.store.meta()
        if meta is not None:
            self._check_model(analyzer.model_id, meta)
        vectors, templates, photos, cache_keys = [], [], [], []
        for k, image in enumerate(images):
            what = repr(sources[k]) if sources is not None else describe_source(image)
            pixels = load_image(image)
            faces = analyzer.embed_faces(pixels)
            if not len(faces):
                raise NoFaceError(f"{what}: no face found; nothing was enrolled")
            box = tuple(round(float(v), 2) for v in faces.boxes[0])
            digest = _pixels_digest(pixels)
            if any(t.digest == digest for t in templates):
                raise DuplicateError(f"{what}: the same photo is given twice; nothing was enrolled")
            if gate is not None:
                gate.check_photo(pixels, faces, what)
            vectors.append(faces.embeddings[0])
            if isinstance(image, (str, os.PathLike)):  # the caches key a photo by its file's content
                from ..cache import file_digest

                cache_keys.append(("cache", file_digest(image)))
            source = (sources[k] if sources is not None
                      else str(image) if isinstance(image, (str, os.PathLike)) else what)
            templates.append(NewTemplate(faces.embeddings[0], source, digest, box))
            photos.append({"file": source, "faces_found": len(faces), "face": 0,
                           "face_rule": "only" if len(faces) == 1 else "largest", "box": list(box)})
        if gate is not None:
            gate.check_duplicates(self, name, np.asarray(vectors), analyzer.model_id)
        card = getattr(analyzer, "card", None)
        new_meta = meta or self._new_meta(analyzer.model_id, int(np.asarray(vectors).shape[1]),
                                          card.to_dict() if card is not None else {})
        info = self._add(new_meta, NewIdentity(name, templates, dict(metadata or {}), now(), cache_keys), append)
        return Enrollment(info, len(templates), new_meta.model_id, tuple(photos))

    def enroll_vectors(self, name: str, vectors: Any, *, model: str, sources: Sequence[str] | None = None,
                       metadata: dict[str, Any] | None = None, append: bool = False,
                       preprocessing: dict[str, Any] | None = None,
                       forget: Sequence[tuple[str, str]] = ()) -> Enrollment:
        """Enroll templates computed elsewhere; `model` is the id of the model that made them.
        `forget`: what `remove` must also erase elsewhere (see `IdentityInfo.forget`)."""
        model = same_model(vectors, model=model)  # a typed Embedding of another model is refused
        name = check_name(name)
        meta = self.store.meta()
        if meta is not None:
            self._check_model(model, meta)
        v = as_vectors(vectors, meta.dim if meta else None)
        srcs = list(sources) if sources is not None else [""] * len(v)
        if len(srcs) != len(v):
            raise InputError(f"{len(v)} templates but {len(srcs)} sources")
        templates = [NewTemplate(row, s) for row, s in zip(v, srcs)]
        new_meta = meta or self._new_meta(model, v.shape[1], dict(preprocessing or {}))
        info = self._add(new_meta, NewIdentity(name, templates, dict(metadata or {}), now(), tuple(forget)), append)
        return Enrollment(info, len(templates), model)

    def enroll_many(self, items: Sequence[tuple[str, Any]], *, model: str,
                    forget: dict[str, Sequence[tuple[str, str]]] | None = None) -> int:
        """Bulk-enroll (name, vectors) pairs of new identities in one transaction; returns how many.
        `forget`: per name, what `remove` must also erase elsewhere (see `IdentityInfo.forget`)."""
        meta = self.store.meta()
        if meta is not None:
            self._check_model(model, meta)
        batch = []
        for name, vecs in items:
            v = as_vectors(vecs, meta.dim if meta else None)
            meta = meta or self._new_meta(model, v.shape[1], {})
            batch.append(NewIdentity(check_name(name), [NewTemplate(row) for row in v], {}, "",
                                     tuple((forget or {}).get(name, ()))))
        if not batch:
            return 0
        self.store.add(meta, batch)
        return len(batch)

    def _add(self, meta: GalleryMeta, ident: NewIdentity, append: bool) -> IdentityInfo:
        return self.store.add(meta, [ident], append=append)[0]

    # -- identification ------------------------------------------------------------------
    def threshold(self, fmr: float = DEFAULT_FMR, threshold: float | Threshold | None = None) -> Threshold:
        """The `Threshold` to decide with: `threshold` if given (no measured rate), else the one the
        gallery's pipeline has for `fmr` (one resolver: `thresholds.Threshold.resolve`)."""
        from .. import validate

        fmr = validate.fmr(fmr)  # a bad rate is refused before the gallery is read
        if threshold is not None:
            return Threshold.resolve(None, fmr, threshold)
        meta = self.store.meta()
        if meta is None:
            raise GalleryError(f"gallery {self.uri} is empty: enroll someone first")
        if self._analyzer is not None and self._analyzer.model_id == meta.model_id:
            return self._analyzer.threshold(fmr)
        return Threshold.resolve(pipeline_for(meta.model_id), fmr, model=meta.model_id)

    def identify_vectors(self, probes: Any, *, model: str, top: int = 1, fmr: float = DEFAULT_FMR,
                         threshold: float | Threshold | None = None) -> list[Identification]:
        """One answer per probe row (templates of `model`)."""
        meta = self._check_model(same_model(probes, model=model))
        if not isinstance(top, (int, np.integer)) or isinstance(top, bool) or top < 1:
            raise InputError(f"top must be a positive integer, got {top!r}")
        th = self.threshold(fmr, threshold)  # an uncalibrated FMR fails before any search
        t, rate = th.value, th.fmr
        p = as_vectors(probes, meta.dim)
        hits = self.store.search(p, int(top), meta.score_rule)
        size = self.store.count()[0]
        out = []
        for row in hits:
            cands = tuple(Candidate(n, float(s)) for n, s in row)
            best = cands[0] if cands else None
            named = best.identity if best is not None and best.similarity >= t else None
            out.append(Identification(named, best.similarity if best else None, t, rate, cands,
                                      meta.model_id, meta.score_rule, size))
        return out

    def identify(self, image: Any, *, top: int = 1, fmr: float = DEFAULT_FMR,
                 threshold: float | Threshold | None = None) -> list[Identification]:
        """An answer for every face in the photo, largest first, each with its box."""
        from ..image import describe_source

        analyzer = self.analyzer()
        self._check_model(analyzer.model_id)
        threshold = self.threshold(fmr, threshold)  # resolved once, passed down
        faces = analyzer.embed_faces(image)
        if not len(faces):
            raise NoFaceError(f"{describe_source(image)}: no face found")
        answers = self.identify_vectors(faces.embeddings, model=faces.embedding_model, top=top, fmr=fmr,
                                        threshold=threshold)
        return [Identification(**{**a.__dict__, "box": tuple(float(v) for v in faces.boxes[i]), "face": i})
                for i, a in enumerate(answers)]

    # -- export / import -----------------------------------------------------------------
    def export(self, path: str | os.PathLike[str]) -> int:
        """Write the whole gallery as JSON Lines (a header, then one identity per line); returns identities."""
        meta = self.store.meta()
        if meta is None:
            raise GalleryError(f"gallery {self.uri} is empty: nothing to export")
        target = Path(path)
        n = 0
        if target.exists() and not target.is_file():  # a folder or a device: never replaced by a file
            raise InputError(f"cannot write gallery export {target}: it is not a regular file; name a file")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".export-", dir=target.parent if str(target.parent) else ".")
        except OSError as e:
            raise InputError(f"cannot write gallery export {target}: {e.strerror or e}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps({"faceprint_gallery_export": 1, **meta.to_dict()}) + "\n")
                for info, vectors in self.store.export():
                    f.write(json.dumps(_identity_line(info, vectors), ensure_ascii=False) + "\n")
                    n += 1
            os.replace(tmp, target)  # a reader never sees half an export
        except BaseException as e:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(e, OSError):  # the disk is full, the target is read-only...
                raise InputError(f"cannot write gallery export {target}: {e.strerror or e}") from None
            raise
        return n

    def import_file(self, path: str | os.PathLike[str]) -> int:
        """Add every identity of an export file, all or none; names already here are refused."""
        header, items = read_export(path)
        meta = self.store.meta()
        if meta is not None:
            self._check_model(header.model_id, meta)
            if header.dim != meta.dim:
                raise ModelMismatchError(f"{path}: {header.dim}-d templates, the gallery holds {meta.dim}-d")
        elif self._rule is not None and self._rule != header.score_rule:
            header = GalleryMeta(header.model_id, header.dim, header.preprocessing, self._rule, FORMAT, now())
        if not items:
            return 0
        self.store.add(meta or header, items)
        return len(items)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        meta = self.store.meta()
        return f"Gallery({self.uri!r}, model={meta.model_id if meta else None!r})"


def _identity_line(info: IdentityInfo, vectors: np.ndarray) -> dict[str, Any]:
    temps = []
    for t, v in zip(info.templates, vectors):
        temps.append({**t.to_dict(), "vector": base64.b64encode(np.asarray(v, "<f4").tobytes()).decode("ascii")})
    for t in temps:
        t.pop("id", None)
    return {"identity": info.name, "metadata": info.metadata, "created": info.created, "templates": temps}


def read_export(path: str | os.PathLike[str]) -> tuple[GalleryMeta, list[NewIdentity]]:
    """Parse and check a whole export file before anything is written."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [ln for ln in f if ln.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read gallery export {path}: {e}") from None
    try:
        head = json.loads(lines[0]) if lines else {}
        if not isinstance(head, dict) or head.get("faceprint_gallery_export") != 1:
            raise ValueError("no faceprint export header")
        meta = GalleryMeta.from_dict(head)
        items, seen = [], set()
        for no, line in enumerate(lines[1:], start=2):
            d = json.loads(line)
            name = check_name(d["identity"])
            if name in seen:
                raise ValueError(f"line {no}: identity {name!r} appears twice")
            seen.add(name)
            temps = []
            for t in d["templates"]:
                vec = np.frombuffer(base64.b64decode(t["vector"], validate=True), "<f4")
                if vec.shape != (meta.dim,):
                    raise ValueError(f"line {no}: a {vec.size}-d template in a {meta.dim}-d export")
                temps.append(NewTemplate(as_vectors(vec)[0], str(t.get("source", "")), str(t.get("digest", "")),
                                         tuple(t["box"]) if t.get("box") is not None else None))
            if not temps:
                raise ValueError(f"line {no}: identity {name!r} has no templates")
            items.append(NewIdentity(name, temps, dict(d.get("metadata") or {}), str(d.get("created") or now())))
    except FaceprintError as e:
        raise InputError(f"{path}: not a valid faceprint gallery export: {e}") from None
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise InputError(f"{path}: not a valid faceprint gallery export: {e}") from None
    return meta, items


def _lookup(name: object) -> object:
    """The stored form of a name asked for (NFKC), or the name as given if it is not valid."""
    if isinstance(name, str):
        try:
            return check_name(name)
        except InputError:
            return name
    return name
