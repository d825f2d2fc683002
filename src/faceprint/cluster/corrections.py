"""A user's corrections to clusters, kept as facts about faces so later runs respect them.

Cluster numbers change from run to run, so a correction is stored against the faces it
concerns, each named by ``"<file content digest>#<face index>"`` (the index in the
photo's largest-first face order, which the cached result fixes). The file
(`OUT_DIR/corrections.json`) is plain JSON a person may edit:

    {"version": 1,
     "names": {"Ada": ["<digest>#0", ...]},           # these faces are Ada
     "together": [["<digest>#0", "<digest>#1"], ...],  # each list is one person
     "apart": [[["<digest>#0"], ["<digest>#3", ...]]]} # the two sides are not one person

They become clustering constraints (`Corrections.constraints`): faces of one name or one
`together` list start as one cluster; faces of different names, and the two sides of an
`apart` entry, are never merged. Faces that no longer exist (photo removed) are ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError

VERSION = 1


def face_key(digest: str, index: int) -> str:
    return f"{digest}#{index}"


@dataclass
class Corrections:
    names: dict[str, list[str]] = field(default_factory=dict)
    together: list[list[str]] = field(default_factory=list)
    apart: list[tuple[list[str], list[str]]] = field(default_factory=list)

    # -- file ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Corrections":
        """Read a corrections file; a missing file is no corrections."""
        p = Path(path)
        if not p.exists():
            return cls()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"cannot read corrections file {str(p)!r}: {e}") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: object, where: str = "corrections") -> "Corrections":
        def strs(v: object, what: str) -> list[str]:
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise InputError(f"{where}: {what} must be a list of face ids (\"<digest>#<index>\")")
            return list(v)

        if not isinstance(data, dict) or data.get("version", VERSION) != VERSION:
            raise InputError(f"{where}: expected a JSON object with \"version\": {VERSION}")
        names = data.get("names", {})
        if not isinstance(names, dict):
            raise InputError(f"{where}: \"names\" must map a name to a list of face ids")
        out = cls({_check_name(str(k)): strs(v, f"names[{k!r}]") for k, v in names.items()},
                  [strs(g, "each \"together\" entry") for g in data.get("together", [])], [])
        for entry in data.get("apart", []):
            if not isinstance(entry, list) or len(entry) != 2:
                raise InputError(f"{where}: each \"apart\" entry must be two lists of face ids")
            out.apart.append((strs(entry[0], "an apart side"), strs(entry[1], "an apart side")))
        return out

    def to_dict(self) -> dict:
        return {"version": VERSION, "names": {k: sorted(v) for k, v in sorted(self.names.items())},
                "together": [sorted(g) for g in self.together],
                "apart": [[sorted(a), sorted(b)] for a, b in self.apart]}

    def save(self, path: str | os.PathLike[str]) -> None:
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, p)  # never leave a half-written file behind

    def __bool__(self) -> bool:
        return bool(self.names or self.together or self.apart)

    # -- edits -----------------------------------------------------------------------
    def name_of(self, faces: Iterable[str]) -> str | None:
        """The name given to any of `faces`, if one was."""
        fs = set(faces)
        for name, members in self.names.items():
            if fs.intersection(members):
                return name
        return None

    def name(self, faces: Sequence[str], name: str) -> None:
        """These faces are `name` (renames them if they had another name)."""
        name = _check_name(name)
        fs = set(faces)
        for other in list(self.names):
            self.names[other] = [f for f in self.names[other] if f not in fs]
            if not self.names[other]:
                del self.names[other]
        self.names[name] = sorted(set(self.names.get(name, [])) | fs)

    def merge(self, a: Sequence[str], b: Sequence[str]) -> None:
        """The faces of `a` and `b` are one person (a name on either side spreads to both)."""
        na, nb = self.name_of(a), self.name_of(b)
        if na and nb and na != nb:
            raise InputError(f"cannot merge {na!r} and {nb!r}: they are named as different people "
                             f"(rename one with --name first)")
        self._drop_apart_between(set(a), set(b))
        self.together.append(sorted(set(a) | set(b)))
        if na or nb:
            self.name(list(a) + list(b), na or nb)  # type: ignore[arg-type]

    def split(self, side_a: Sequence[str], side_b: Sequence[str]) -> None:
        """The two sides are not one person: earlier merges and names joining them are undone."""
        sa, sb = set(side_a), set(side_b)
        everyone = sa | sb
        self.together = [kept for g in self.together if len(kept := [f for f in g if f not in everyone]) > 1]
        name = self.name_of(everyone)
        if name:  # the bigger side keeps the name
            keep = sa if len(sa) >= len(sb) else sb
            self.names[name] = sorted((set(self.names[name]) - everyone) | keep)
        self.apart.append((sorted(sa), sorted(sb)))

    def _drop_apart_between(self, a: set[str], b: set[str]) -> None:
        def crosses(x: list[str], y: list[str]) -> bool:
            return bool((a & set(x) and b & set(y)) or (b & set(x) and a & set(y)))

        self.apart = [(x, y) for x, y in self.apart if not crosses(x, y)]

    # -- constraints -----------------------------------------------------------------
    def constraints(self, keys: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray], dict[int, str]]:
        """(together, cannot_differ, group -> name) for faces `keys`, as `average_linkage` takes them.

        `together[i]` is a group id (-1: free); the first array of `cannot_differ` keeps
        different names apart, one more per `apart` entry keeps its two sides apart.
        """
        index = {k: i for i, k in enumerate(keys)}
        n = len(keys)
        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        touched: set[int] = set()
        lists = [v for v in self.names.values()] + self.together
        for members in lists:
            present = [index[f] for f in members if f in index]
            touched.update(present)
            for i in present[1:]:
                parent[root(i)] = root(present[0])
        together = np.full(n, -1, np.int64)
        for i in touched:
            together[i] = root(i)
        names = np.full(n, -1, np.int64)
        group_name: dict[int, str] = {}
        for k, (name, members) in enumerate(sorted(self.names.items())):
            for f in members:
                if f in index:
                    g = root(index[f])
                    if group_name.get(g, name) != name:
                        raise InputError(f"corrections join the names {group_name[g]!r} and {name!r} into one "
                                         f"person; edit the corrections file")
                    group_name[g] = name
        for i in touched:
            g = root(i)
            if g in group_name:
                names[i] = sorted(self.names).index(group_name[g])
        differ = [names]
        for a, b in self.apart:
            side = np.full(n, -1, np.int64)
            side[[index[f] for f in a if f in index]] = 0
            side[[index[f] for f in b if f in index]] = 1
            differ.append(side)
        return together, differ, group_name


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or name.isdigit() or any(c in name for c in "\n\r\t"):
        raise InputError(f"a person's name must be non-empty, not a bare number and on one line, got {name!r}")
    return name


def split_in_two(x: np.ndarray) -> np.ndarray:
    """0/1 side per face: the top split of the faces' average-linkage tree."""
    from scipy.cluster.hierarchy import fcluster, linkage

    x = np.asarray(x, np.float64)
    if x.shape[0] < 2:
        raise InputError("a cluster of one face cannot be split")
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = np.clip(1.0 - x @ x.T, 0.0, None)
    labels = fcluster(linkage(d[np.triu_indices(len(x), 1)], method="average"), t=2, criterion="maxclust")
    return (labels != labels[0]).astype(np.int64)
