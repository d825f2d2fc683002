"""The faces of a photo collection as one table, and their grouping by person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

# Average-linkage threshold = the pipeline's calibrated 1:1 threshold at this false-match
# rate: two groups become one person when their faces are, on average, as similar as a
# pair the 1:1 verifier accepts at FMR 1e-4. The rate was chosen on the LFW people that are
# NOT in the 62-person evaluation set (faceprint.bench.cluster): there BCubed F1 was
# 0.62 / 0.86 / 0.96 / 0.985 / 0.984 at rates 1e-2 / 1e-3 / 1e-4 / 1e-5 / 3e-6, and 1e-4 is
# the strictest rate calibration.json offers. Never tuned on the evaluation set.
CLUSTER_FMR = 1e-4


@dataclass(frozen=True)
class FaceTable:
    """Every face kept for clustering, as parallel arrays/lists."""

    files: list[str]
    index: list[int]
    digests: list[str]
    photo: np.ndarray  # (N,) photo number: faces of one photo never share a cluster
    boxes: np.ndarray  # (N, 4)
    scores: np.ndarray  # (N,)
    embeddings: np.ndarray  # (N, D)
    thumbs: list[bytes]

    @property
    def keys(self) -> list[str]:
        from .corrections import face_key

        return [face_key(d, i) for d, i in zip(self.digests, self.index)]


def default_threshold(pipeline: str) -> float:
    from .. import thresholds

    try:
        return thresholds.threshold_for(pipeline, CLUSTER_FMR)
    except InputError as e:
        raise InputError(f"{e} (or pass --threshold)") from None


def face_table(results: list, min_quality: float = 0.0) -> FaceTable:
    """The faces of all readable photos whose detector score is at least `min_quality`."""
    files, index, digests, photo, boxes, scores, emb, thumbs = [], [], [], [], [], [], [], []
    for p, r in enumerate(results):
        if r.faces is None or not len(r.faces) or r.faces.embeddings is None:
            continue
        for i in range(len(r.faces)):
            if r.faces.scores[i] < min_quality:
                continue
            files.append(r.file)
            index.append(i)
            digests.append(r.digest)
            photo.append(p)
            boxes.append(r.faces.boxes[i])
            scores.append(r.faces.scores[i])
            emb.append(r.faces.embeddings[i])
            thumbs.append(r.thumbs[i])
    dim = next((r.faces.embeddings.shape[1] for r in results if r.faces is not None
                and r.faces.embeddings is not None), 0)
    return FaceTable(files, index, digests, np.array(photo, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
                     np.array(scores, np.float32),
                     np.array(emb, np.float32) if emb else np.zeros((0, dim), np.float32), thumbs)


def cluster_faces(table: FaceTable, threshold: float, corrections, graph=None) -> tuple[np.ndarray, list[int | str]]:
    """Labels 0..C-1 (largest first) and each label's public id: its name, else a number."""
    from .algorithms import average_linkage, default_max_degree

    if not table.files:
        return np.zeros(0, np.int64), []
    together, differ, group_name = corrections.constraints(table.keys)
    # A face and the photo it shares with others: enforced as a constraint, so corrections
    # that would join two faces of one photo are refused by the algorithm itself.
    labels = average_linkage(table.embeddings, threshold, graph=graph, cannot_same=table.photo, cannot_differ=differ,
                             together=together, max_degree=default_max_degree(len(table.files)))
    ids: list[int | str] = []
    number = 0
    for c in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == c)
        name = next((group_name[g] for g in {int(together[i]) for i in members} if g in group_name), None)
        if name is not None:
            ids.append(name)
        else:
            ids.append(number)
            number += 1
    return labels, ids
