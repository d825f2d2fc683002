"""`faceprint embed IMAGE... --out FILE.npz`: one embedding per image, with its model id and file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import FaceprintError
from ..types import FACE_RULES
from .options import add_image_command, face_index
from .output import Batch, OutputError, emit, write_atomic


def register(sub: Any) -> None:
    help_ = ("write one embedding per image (the largest face) to an .npz file, with the model id and "
             "the file of each row")
    p = add_image_command(sub, "embed", help_, cmd_embed,
                          description=help_ + "; read it with faceprint.embedding_file.load_embeddings")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="the .npz to write (.npz is added if missing)")
    p.add_argument("--face", type=face_index, help="face index in every image (largest first)")
    p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                   help="which face when there are several: largest (default) or central (centred crops)")


def out_path(text: str) -> Path:
    """The file really written: `.npz` is appended unless present; `.npy` would lose the model id."""
    path = Path(text)
    if path.is_dir():
        raise OutputError(f"--out {text}: is a folder, not a file name")
    if path.suffix.lower() == ".npy":
        raise OutputError(f"--out {text}: embed writes an .npz (embeddings, model id, files); name it .npz")
    return path if path.suffix.lower() == ".npz" else path.with_name(path.name + ".npz")


def cmd_embed(args: argparse.Namespace) -> int:
    import numpy as np

    from ..embedding_file import save_embeddings
    from ..pipeline import Analyzer

    out = out_path(args.out)
    if not out.parent.is_dir():  # before any model work
        raise OutputError(f"--out {out}: folder {out.parent} does not exist")
    analyzer = Analyzer.from_name(args.model)
    batch = Batch(args)
    rows, notes = [], []
    for path in args.images:
        try:
            choice = analyzer.choose_face(path, args.face, args.face_rule)
        except FaceprintError as e:
            batch.fail({"file": path}, e)  # left out; `files` in the archive says which row is which
            continue
        rows.append(choice.embedding)
        notes.append({"file": path, "row": len(rows) - 1, **choice.to_dict()})
    if not rows:
        return batch.code  # nothing to write; every failure was reported
    matrix = np.stack(rows).astype(np.float32)
    files = [n["file"] for n in notes]
    write_atomic(out, lambda f: save_embeddings(f, matrix, model=analyzer.model_id, files=files))
    summary = {"out": str(out), "shape": list(matrix.shape), "model": analyzer.model_id, "images": notes,
               "failed": batch.failed}
    if args.json:
        emit(summary)
    else:
        print(f"wrote {out}: {matrix.shape[0]} x {matrix.shape[1]} float32 ({analyzer.model_id})"
              + (f"; {batch.failed} image(s) failed" if batch.failed else ""))
        for n in notes:
            if n["face_rule"] not in ("only", "requested"):
                print(f"  {n['file']}: {n['faces_found']} faces, used the {n['face_rule']}")
    return batch.code
