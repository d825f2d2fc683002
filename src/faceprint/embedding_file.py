"""Embedding files with provenance: `faceprint embed` writes them, `load_embeddings` reads them.

An `.npz` archive (no pickle) of `embeddings` (N, D) float32, `model` (the id of the model
that made them: vectors of two models cannot be compared), `files` (the image of each
row) and `format`. A bare `.npy` says nothing about its model, so it is refused.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import IO, Sequence

import numpy as np

from .errors import InputError, ModelMismatchError

FORMAT = "faceprint-embeddings/1"


@dataclass(frozen=True)
class EmbeddingFile:
    embeddings: np.ndarray  # (N, D) float32
    model: str
    files: tuple[str, ...]


def save_embeddings(out: "str | os.PathLike[str] | IO[bytes]", embeddings: np.ndarray, *, model: str,
                    files: Sequence[str]) -> None:
    """Write the archive to `out` (a path, or a binary file the caller names)."""
    matrix = np.asarray(embeddings, np.float32)
    if matrix.ndim != 2 or len(files) != matrix.shape[0] or not model:
        raise InputError(f"embeddings {matrix.shape} need one file name per row and a model id")
    np.savez(out, embeddings=matrix, model=np.array(model), files=np.array(list(files), dtype=str),
             format=np.array(FORMAT))


def load_embeddings(path: "str | os.PathLike[str]", *, model: str | None = None) -> EmbeddingFile:
    """Read a file `save_embeddings` wrote; with `model`, vectors of any other model are refused."""
    what = os.fsdecode(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not hasattr(archive, "files"):  # a bare .npy array
            raise InputError(f"{what}: a bare array without a model id; faceprint embed writes an .npz "
                             f"that says which model made the vectors")
        with archive:
            names = set(archive.files)
            if not {"embeddings", "model"} <= names:
                raise InputError(f"{what}: not a faceprint embedding file (no embeddings/model arrays)")
            matrix = np.asarray(archive["embeddings"], np.float32)
            made_by = str(archive["model"])
            files = tuple(str(f) for f in archive["files"]) if "files" in names else ("",) * len(matrix)
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise InputError(f"cannot read embedding file {what}: {e}") from None
    if matrix.ndim != 2 or len(files) != len(matrix):
        raise InputError(f"{what}: embeddings of shape {matrix.shape} with {len(files)} file names")
    if model is not None and made_by != model:
        raise ModelMismatchError(f"{what} holds vectors made by {made_by!r}, not {model!r}; "
                                 f"vectors of different models cannot be compared")
    return EmbeddingFile(matrix, made_by, files)
