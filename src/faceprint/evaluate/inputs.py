"""Reading and validating the evaluation CSVs, with typed errors and input hashes.

Every reader checks the header (missing and, where the format is closed, unknown
columns), every value (line numbers in the message), that each named image exists,
and records the SHA-256 of the CSV so a report names exactly what it measured.
Formats (paths relative to `root`, default the CSV's folder):

* pairs   ``path_a,path_b,same[,fold]``       same is 0/1; closed format
* labels  ``path,identity[,role][,group...]`` every other column is a group column
* split   ``path,identity,role``              role is gallery|probe
* boxes   ``path,x,y,w,h[,...]``              one row per face, pixels, left/top/width/height;
                                             extra columns (identity, split) are ignored;
                                             a row with x,y,w,h all empty = an image with no face
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError

ROLES = ("gallery", "probe")
_MISSING_SHOWN = 5


class EvalInputError(InputError):
    """An evaluation input file is unreadable, malformed or inconsistent."""

    code = "bad_eval_input"


@dataclass(frozen=True)
class InputFile:
    """Provenance of one CSV: where it was, its hash, its size and header."""

    path: str
    sha256: str
    rows: int
    columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows, "columns": list(self.columns)}


@dataclass(frozen=True)
class Pairs:
    source: InputFile
    root: Path
    path_a: list[str]  # as written in the CSV
    path_b: list[str]
    same: np.ndarray  # bool
    fold: np.ndarray | None  # one fold id per pair, or None without a fold column

    @property
    def images(self) -> list[str]:
        """Distinct relative paths, sorted (the order embeddings are computed in)."""
        return sorted(set(self.path_a) | set(self.path_b))


@dataclass(frozen=True)
class Labels:
    source: InputFile
    root: Path
    paths: list[str]
    identities: np.ndarray  # str
    roles: np.ndarray | None  # "gallery" | "probe", or None
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # group column -> value per row


@dataclass(frozen=True)
class Boxes:
    source: InputFile
    root: Path
    boxes: dict[str, np.ndarray]  # image path -> (N, 4) x1, y1, x2, y2; (0, 4) for no face

    @property
    def n_faces(self) -> int:
        return int(sum(len(b) for b in self.boxes.values()))


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def images_digest(paths: Sequence[str], root: Path) -> dict[str, Any]:
    """One SHA-256 over every image's relative path and content digest: the exact image set."""
    from ..cache import file_digest

    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(f"{p}\t{file_digest(root / p)}\n".encode())
    return {"count": len(paths), "sha256": h.hexdigest(),
            "rule": "sha256 over sorted lines '<relative path>\\t<blake2b-160 of the file>\\n'"}


def _read(path: str | Path, what: str, required: Sequence[str], allowed: Sequence[str] | None
          ) -> tuple[list[dict[str, str]], InputFile]:
    """Rows of a CSV whose header has `required` and (if `allowed` is given) nothing else."""
    p = Path(path)
    if not p.is_file():
        raise EvalInputError(f"{what} file {path} does not exist")
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [c.strip() for c in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise EvalInputError(f"cannot read {what} file {path}: {e}") from None
    expected = ",".join(required) + (f"[,{','.join(c for c in allowed if c not in required)}]" if allowed else "")
    if not header:
        raise EvalInputError(f"{what} file {path} is empty (expected a header {expected})")
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise EvalInputError(f"{what} file {path}: column(s) {', '.join(dup)} appear more than once")
    missing = [c for c in required if c not in header]
    if missing:
        raise EvalInputError(f"{what} file {path}: missing column(s) {', '.join(missing)}; "
                             f"header is {','.join(header)}, expected {expected}")
    if allowed is not None:
        unknown = [c for c in header if c not in allowed]
        if unknown:
            raise EvalInputError(f"{what} file {path}: unknown column(s) {', '.join(unknown)}; expected {expected}")
    for i, row in enumerate(rows, start=2):
        if None in row:  # more fields than the header
            raise EvalInputError(f"{what} file {path}, line {i}: more values than header columns")
    if not rows:
        raise EvalInputError(f"{what} file {path} has a header but no rows")
    return rows, InputFile(str(p), sha256_file(p), len(rows), tuple(header))


def _value(row: dict[str, str], col: str, line: int, where: str) -> str:
    v = (row.get(col) or "").strip()
    if not v:
        raise EvalInputError(f"{where}, line {line}: empty {col}")
    return v


def _root(csv_path: str | Path, root: str | Path | None) -> Path:
    r = Path(root) if root is not None else Path(csv_path).parent
    if not r.is_dir():
        raise EvalInputError(f"root folder {r} does not exist")
    return r


def check_images_exist(paths: Sequence[str], root: Path, what: str) -> None:
    """Every path names a file under root; otherwise one error that counts and shows the missing."""
    missing = [p for p in dict.fromkeys(paths) if not (root / p).is_file()]
    if missing:
        shown = ", ".join(missing[:_MISSING_SHOWN]) + (" ..." if len(missing) > _MISSING_SHOWN else "")
        raise EvalInputError(f"{what}: {len(missing)} image path(s) do not exist under {root}: {shown}")


def _same(text: str, line: int, where: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true"):
        return True
    if t in ("0", "false"):
        return False
    raise EvalInputError(f"{where}, line {line}: same must be 1 (same person) or 0 (different), got {text!r}")


def read_pairs(path: str | Path, root: str | Path | None = None) -> Pairs:
    """A pairs CSV with both classes, every image present; fold ids kept when given."""
    rows, src = _read(path, "pairs", ("path_a", "path_b", "same"), ("path_a", "path_b", "same", "fold"))
    where = f"pairs file {path}"
    a = [_value(r, "path_a", i, where) for i, r in enumerate(rows, 2)]
    b = [_value(r, "path_b", i, where) for i, r in enumerate(rows, 2)]
    same = np.array([_same(_value(r, "same", i, where), i, where) for i, r in enumerate(rows, 2)], bool)
    fold = None
    if "fold" in src.columns:
        try:
            fold = np.array([int(_value(r, "fold", i, where)) for i, r in enumerate(rows, 2)])
        except ValueError as e:
            raise EvalInputError(f"{where}: fold must be an integer: {e}") from None
        if np.unique(fold).size < 2:
            raise EvalInputError(f"{where}: the fold column names only one fold; k-fold accuracy needs >= 2")
    n_gen = int(same.sum())
    if n_gen in (0, same.size):
        only = "genuine (same=1)" if n_gen else "impostor (same=0)"
        raise EvalInputError(f"{where} has only {only} pairs ({same.size}); verification needs both classes")
    r = _root(path, root)
    check_images_exist(a + b, r, where)
    return Pairs(src, r, a, b, same, fold)


def read_labels(path: str | Path, root: str | Path | None = None, *, need_role: bool = False) -> Labels:
    """A labels CSV; extra columns other than `role` are group columns (for fairness)."""
    rows, src = _read(path, "labels", ("path", "identity"), None)
    where = f"labels file {path}"
    paths = [_value(r, "path", i, where) for i, r in enumerate(rows, 2)]
    dup = len(paths) - len(set(paths))
    if dup:
        raise EvalInputError(f"{where}: {dup} path(s) are listed more than once")
    ids = np.array([_value(r, "identity", i, where) for i, r in enumerate(rows, 2)])
    roles = None
    if "role" in src.columns:
        roles = np.array([_value(r, "role", i, where).lower() for i, r in enumerate(rows, 2)])
        bad = sorted(set(roles) - set(ROLES))
        if bad:
            raise EvalInputError(f"{where}: role must be gallery or probe, got {', '.join(map(repr, bad))}")
    elif need_role:
        raise EvalInputError(f"{where} has no role column (gallery|probe); give --gallery-split or --gallery-first")
    groups = {}
    for col in src.columns:
        if col in ("path", "identity", "role"):
            continue
        values = np.array([(r.get(col) or "").strip() for r in rows])
        if (values == "").any():
            raise EvalInputError(f"{where}: group column {col!r} has empty values (line "
                                 f"{int(np.flatnonzero(values == '')[0]) + 2})")
        distinct = np.unique(values).size
        if distinct == values.size and values.size > 1:  # an id column, not a grouping
            raise EvalInputError(f"{where}: column {col!r} has a different value on every row; extra columns "
                                 f"are read as group columns (path,identity[,role][,group...])")
        groups[col] = values
    r = _root(path, root)
    check_images_exist(paths, r, where)
    return Labels(src, r, paths, ids, roles, groups)


def apply_split(labels: Labels, split_path: str | Path) -> tuple[Labels, InputFile, int]:
    """`labels` restricted to the rows of a split CSV (path,identity,role), with its roles.

    Returns the new labels, the split's provenance, and how many labelled images the split
    leaves out. Identities must agree between the files; a split path not in labels is an error.
    """
    if labels.roles is not None:
        raise EvalInputError(f"labels file {labels.source.path} has a role column and --gallery-split was given: "
                             f"use one of them")
    rows, src = _read(split_path, "gallery split", ("path", "identity", "role"), ("path", "identity", "role"))
    where = f"gallery split file {split_path}"
    index = {p: i for i, p in enumerate(labels.paths)}
    keep, roles = [], []
    for i, r in enumerate(rows, 2):
        p, ident, role = (_value(r, c, i, where) for c in ("path", "identity", "role"))
        if p not in index:
            raise EvalInputError(f"{where}, line {i}: {p} is not in the labels file {labels.source.path}")
        if labels.identities[index[p]] != ident:
            raise EvalInputError(f"{where}, line {i}: {p} is {ident!r} here but "
                                 f"{str(labels.identities[index[p]])!r} in the labels file")
        if role.lower() not in ROLES:
            raise EvalInputError(f"{where}, line {i}: role must be gallery or probe, got {role!r}")
        keep.append(index[p])
        roles.append(role.lower())
    k = np.array(keep)
    out = Labels(labels.source, labels.root, [labels.paths[i] for i in keep], labels.identities[k],
                 np.array(roles), {c: v[k] for c, v in labels.groups.items()})
    return out, src, len(labels.paths) - len(keep)


def split_first(labels: Labels, k: int) -> Labels:
    """Roles by a fixed rule: the first `k` images of each identity (sorted by path) are gallery."""
    if k < 1:
        raise EvalInputError(f"--gallery-first must be >= 1, got {k}")
    if labels.roles is not None:
        raise EvalInputError(f"labels file {labels.source.path} has a role column and --gallery-first was given: "
                             f"use one of them")
    roles = np.full(len(labels.paths), "probe", dtype=object)
    seen: dict[str, int] = {}
    for i in sorted(range(len(labels.paths)), key=lambda i: labels.paths[i]):
        ident = labels.identities[i]
        if seen.get(ident, 0) < k:
            roles[i] = "gallery"
            seen[ident] = seen.get(ident, 0) + 1
    return Labels(labels.source, labels.root, labels.paths, labels.identities, roles.astype(str), labels.groups)


def read_boxes(path: str | Path, root: str | Path | None = None) -> Boxes:
    """Ground-truth face boxes per image, as x1, y1, x2, y2 corners."""
    rows, src = _read(path, "boxes", ("path", "x", "y", "w", "h"), None)
    where = f"boxes file {path}"
    boxes: dict[str, list[list[float]]] = {}
    for i, r in enumerate(rows, 2):
        p = _value(r, "path", i, where)
        raw = [(r.get(c) or "").strip() for c in "xywh"]
        faces = boxes.setdefault(p, [])
        if not any(raw):
            continue  # an image listed with no face
        try:
            x, y, w, h = (float(v) for v in raw)
        except ValueError:
            raise EvalInputError(f"{where}, line {i}: x,y,w,h must be numbers, got {','.join(raw)}") from None
        if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
            raise EvalInputError(f"{where}, line {i}: need finite x,y and w,h > 0, got {','.join(raw)}")
        faces.append([x, y, x + w, y + h])
    r = _root(path, root)
    check_images_exist(list(boxes), r, where)
    return Boxes(src, r, {p: np.asarray(b, np.float64).reshape(-1, 4) for p, b in boxes.items()})
