"""Issue 21, third attempt: SFace aligned on RetinaFace's five points (`bench accuracy --retina`).

YuNet's landmarks move by 0.08-0.11 inter-eye distances between an image and its mirror
image, so SFace's crop inherits that jitter. RetinaFace MobileNet-0.25 (`retina_landmarks`)
gives a second estimate, on the image and on its mirror. Each route below is z-fused with
dlib and fitted on the training folds; one row chooses the alignment per fold by inner CV.
"""

from __future__ import annotations

import sys

import numpy as np

# SFace on RetinaFace points: (points of the image, mirror-averaged) x (plain crop, mirrored crop)
RETINA_KEY = "acc-sface-retina-v1:central:yunet"


def sface_on_retina(images: list[str], quality: np.ndarray) -> np.ndarray:
    """(N, 2, 2, 128) unit SFace embeddings of each central YuNet face aligned on RetinaFace's
    points, [points from the image | averaged with its mirror's][plain crop | mirrored crop];
    YuNet's points where RetinaFace finds no face on the box. Cached per image."""
    from ..align import ARCFACE_112, align_face
    from ..embedders.base import mirror
    from ..embedders.sface import SFaceEmbedder
    from ..image import load_image
    from .accuracy import _cached_rows
    from .retina_landmarks import landmarks_for, mirror_averaged

    embedder = []

    def compute(i: int, path: str) -> np.ndarray:
        if not embedder:
            embedder.append(SFaceEmbedder())
        image = load_image(path)
        box, yunet = quality[i, :4], quality[i, 4:14].reshape(5, 2)
        points = [landmarks_for(image, box), mirror_averaged(image, box)]
        crops = [align_face(image, yunet if p is None else p, ARCFACE_112, (112, 112)) for p in points]
        return embedder[0].embed_crops(crops + mirror(crops)).reshape(2, 2, 128).transpose(1, 0, 2)

    return _cached_rows(images, quality, RETINA_KEY, (2, 2, 128), compute, "SFace on RetinaFace points")


def retina_routes(images, quality, comps, vec, ia, ib, same, fold, pair, report) -> None:
    from ..embedders.base import l2_normalise, merge_flipped
    from ..evaluate.fold_fit import held_out, held_out_selected, same_for_every_evaluation, z_fusion_apply, z_fusion_fit
    from .accuracy import _nested_quality_route

    def cos(v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", v[ia], v[ib])

    e = sface_on_retina(images, quality)
    cols = {"same": same, "yunet": cos(vec["sface"]), "dlib": cos(vec["dlib-resnet"])}
    for k, points in enumerate(("RetinaFace points", "RetinaFace points mirror-averaged")):
        mirrored = merge_flipped(e[:, k, 0], e[:, k, 1])
        cols[f"{points}, mirrored crops"] = cos(mirrored)
        cols[f"{points}, plain crop"] = cos(l2_normalise(e[:, k, 0]))
        cols[f"{points} + YuNet points, crops averaged"] = cos(l2_normalise(mirrored + vec["sface"]))

    def zf(*names: str):
        return (lambda tr: z_fusion_fit({"scores": np.stack([tr[n] for n in names], 1), "same": tr["same"]}),
                lambda w, te: np.stack([te[n] for n in names], 1) @ w / w.sum())

    candidates = {"accurate (SFace on YuNet points)": zf("yunet", "dlib")}
    for name in [n for n in cols if n.startswith("RetinaFace")]:
        report(f"SFace on {name} alone", same_for_every_evaluation(cols[name], fold))
        candidates[f"{name} + dlib"] = zf(name, "dlib")
        if name.endswith("mirrored crops"):
            candidates[f"{name}, YuNet-aligned SFace and dlib (3 parts)"] = zf("yunet", name, "dlib")
    for name, (fit, apply) in list(candidates.items())[1:]:
        report(f"z-fusion: SFace on {name}", same_for_every_evaluation(held_out(cols, fold, fit, apply), fold))
    nested, chosen = held_out_selected(cols, fold, candidates)
    report("z-fusion, SFace's alignment chosen per fold by inner CV", same_for_every_evaluation(nested, fold))
    print(f"    (chosen per fold: {'; '.join(chosen)})", file=sys.stderr)
    for points in ("RetinaFace points", "RetinaFace points mirror-averaged"):
        raw = np.c_[cols[f"{points}, mirrored crops"], cols["dlib"]]
        scores, picked = _nested_quality_route(raw, pair, same, fold)
        report(f"logistic + quality (inner CV), SFace on {points}", same_for_every_evaluation(scores, fold))
        print(f"    (chosen per fold: {', '.join(picked)})", file=sys.stderr)


def view1_retina(images: list[str], quality: np.ndarray, dlib: np.ndarray, train: tuple, test: tuple,
                 same_train: np.ndarray, report) -> None:
    """The View 1 check of the routes above; `train` and `test` are (index a, index b) of the pairs."""
    from ..embedders.base import l2_normalise, merge_flipped
    from ..evaluate.fold_fit import z_fusion_fit

    def cos(v: np.ndarray, split: tuple) -> np.ndarray:
        return np.einsum("ij,ij->i", v[split[0]], v[split[1]])

    e = sface_on_retina(images, quality)
    for k, points in enumerate(("RetinaFace points", "RetinaFace points mirror-averaged")):
        variants = (("mirrored crops", merge_flipped(e[:, k, 0], e[:, k, 1])), ("plain crop", l2_normalise(e[:, k, 0])))
        for crops, v in variants:
            tr, te = (np.c_[cos(v, split), cos(dlib, split)] for split in (train, test))
            w = z_fusion_fit({"scores": tr, "same": same_train})
            report(f"z-fusion: SFace on {points}, {crops}; dlib", tr @ w / w.sum(), te @ w / w.sum())
