"""The classical backends are registered names: listed by `faceprint models`, usable by `--model`."""

from __future__ import annotations

import json

import numpy as np
import pytest


from faceprint.cli import main  # noqa: E402
from faceprint.evaluate.components import _width  # noqa: E402
from faceprint.models.catalog import MODELS, PIPELINES  # noqa: E402
from faceprint.models.registry import DETECTORS, EMBEDDERS, make_detector, make_embedder  # noqa: E402

CLASSICAL_EMBEDDERS = [n for n in EMBEDDERS if n.startswith(("dwt-", "dct"))]


def test_registry_has_the_parametrised_names():
    assert "lab-skin" in DETECTORS
    assert {f"dwt-{w}-{lv}" for w in ("haar", "db2", "db4") for lv in (1, 2, 3, 4)} <= set(EMBEDDERS)
    assert {"dct-global", "dct-local", "dct"} <= set(EMBEDDERS)
    assert {"dwt-haar-1", "dwt-haar-2", "dwt-haar-3", "dwt-haar-4", "dct", "yunet+dwt-haar-3"} <= set(PIPELINES)
    assert make_detector("lab-skin").name == "lab-skin"


@pytest.mark.parametrize("name", CLASSICAL_EMBEDDERS)
def test_cards_declare_what_the_embedders_make(name):
    emb, card = make_embedder(name), MODELS[name]
    assert emb.name == name and card.files == () and card.task == "embed"
    assert card.embedding_dim == emb.dim == _width(f"lab-skin>{name}")  # components are sized from the card


def test_models_json_lists_the_classical_names(capsys):
    assert main(["models", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    names = {r["name"] for r in rows}
    assert "lab-skin" in names and {"dwt-haar-3", "dwt-db2-2", "dct-global", "dct-local", "dct"} <= names
    pipe = next(r for r in rows if r["name"] == "dwt-haar-3" and r["kind"] == "pipeline")
    assert pipe["uses"] == ["lab-skin", "dwt-haar-3"] and pipe["ok"]


def test_verify_with_a_classical_pipeline_end_to_end(astronaut, tmp_path, capsys):
    from PIL import Image

    from faceprint.embedders.dwt import DWTEmbedder, face_crop

    a, b = tmp_path / "a.png", tmp_path / "mirrored.png"
    Image.fromarray(astronaut).save(a)
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(b)
    # A threshold by hand, so this does not depend on calibration.json (test_models checks that).
    assert main(["verify", "--model", "dwt-haar-3", "--threshold", "0.9", "--json", str(a), str(b)]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["model"] == PIPELINES["dwt-haar-3"].id and rec["fmr"] is None
    # The mirrored photo's skin box is the mirrored box, so the score is that of the face
    # crop against its own mirror image.
    box = rec["face_a"]["box"]
    assert rec["face_b"]["box"] == pytest.approx([512 - box[2], box[1], 512 - box[0], box[3]], abs=0.05)
    emb = DWTEmbedder("haar", 3)
    crop = face_crop(astronaut, np.array(box))
    expected = emb.embed_crops([crop])[0] @ emb.embed_crops([np.ascontiguousarray(crop[:, ::-1])])[0]
    assert rec["similarity"] == pytest.approx(float(expected), abs=0.02)
