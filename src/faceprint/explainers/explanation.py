"""`explain(analyzer, a, b)`: why two faces match (or not), as maps, region drops and a sentence."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import thresholds
from ..image import load_image
from ..types import _json_safe
from .occlusion import PATCH, FaceView, occlusion, patch_masks, to_pixels
from .regions import NAMES, PLURAL, REGIONS, SIZE, region_masks

# Pixels where hiding changes the face's own embedding by less than this fraction of the
# largest change carry no evidence the model uses: their likeness is undefined (NaN).
MIN_IMPORTANCE = 0.05


@dataclass(frozen=True)
class FaceMaps:
    """Maps of one face in the canonical 112x112 frame (row = y, column = x)."""

    contribution: np.ndarray  # similarity drop when hiding a patch there (> 0 alike, < 0 differ)
    importance: np.ndarray  # drop of the face's similarity to itself: where the model looks
    likeness: np.ndarray  # contribution / importance; 1 = as alike as the face is to itself; NaN where unused
    aligned: np.ndarray  # the face's canonical crop (112x112x3) the maps lie on
    patch_contribution: np.ndarray  # (grid, grid) per-patch values behind `contribution`


@dataclass(frozen=True)
class Explanation:
    """The verdict on a pair and why: per-face maps, named-region drops, one sentence."""

    similarity: float  # the verdict's similarity (the pipeline on the full photos)
    threshold: float
    fmr: float | None
    same: bool
    model: str
    map_similarity: float  # similarity on the views the maps were made on (equal unless downscaled)
    a: FaceMaps
    b: FaceMaps
    regions: list[dict[str, Any]]  # per named region, largest similarity drop first
    sentence: str
    seconds: float
    grid: int
    faces: dict[str, Any] = field(default_factory=dict)
    patches: Any = None  # patches.PatchMap when the pipeline embeds with SFace (xCos-style), else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the maps' shapes and per-patch grids, not the pixel maps)."""
        return _json_safe({
            "similarity": self.similarity, "threshold": self.threshold, "fmr": self.fmr, "same": self.same,
            "model": self.model, "map_similarity": self.map_similarity, "regions": self.regions,
            "sentence": self.sentence, "seconds": round(self.seconds, 3),
            "maps": {"frame": "ArcFace 112x112 aligned crop", "shape": list(self.a.contribution.shape),
                     "grid": self.grid,
                     "patch_contribution_a": np.round(self.a.patch_contribution, 5).tolist(),
                     "patch_contribution_b": np.round(self.b.patch_contribution, 5).tolist()},
            "xcos": None if self.patches is None else {
                "model": "sface (plain crop: a pipeline that mirrors or fuses scores its own way)",
                "grid": list(self.patches.local_cosine.shape),
                "similarity": float(self.patches.contribution_a.sum() + self.patches.constant_a),
                "local_cosine": np.round(self.patches.local_cosine, 4).tolist(),
                "contribution_a": np.round(self.patches.contribution_a, 5).tolist(),
                "contribution_b": np.round(self.patches.contribution_b, 5).tolist(),
                "constant_a": self.patches.constant_a, "constant_b": self.patches.constant_b},
            **self.faces,
        })


@dataclass(frozen=True)
class Pair:
    """A verified pair and the views its maps are made on (shared by explain and faithfulness)."""

    verdict: Any
    choices: tuple[Any, Any]  # FaceChoice of a and of b
    views: tuple[FaceView, FaceView]
    embeddings: tuple[np.ndarray, np.ndarray]  # unoccluded, on the views


def prepare(analyzer: Any, a: Any, b: Any, *, fmr: float = thresholds.DEFAULT_FMR,
            threshold: float | thresholds.Threshold | None = None,
            face_rule: str = "largest", face_a: int | None = None, face_b: int | None = None) -> Pair:
    img_a, img_b = load_image(a), load_image(b)
    verdict, ca, cb = analyzer.verify(img_a, img_b, fmr=fmr, threshold=threshold, face_a=face_a, face_b=face_b,
                                      rule=face_rule)
    va, vb = FaceView.around(img_a, ca.faces, ca.index), FaceView.around(img_b, cb.faces, cb.index)
    return Pair(verdict, (ca, cb), (va, vb), (va.embed(analyzer.embedder)[0], vb.embed(analyzer.embedder)[0]))


def explain(analyzer: Any, a: Any, b: Any, *, fmr: float = thresholds.DEFAULT_FMR,
            threshold: float | thresholds.Threshold | None = None,
            face_rule: str = "largest", face_a: int | None = None, face_b: int | None = None,
            grid: int = 7, on_step: Callable[[int], None] | None = None) -> Explanation:
    """Explain the verdict of `analyzer` on the faces of images `a` and `b` by occlusion.

    Each face is hidden patch by patch (grid x grid feathered patches of its aligned crop,
    blurred out; see occlusion.py) and the pair's similarity re-measured; then each named
    region is hidden whole. 2 * (grid**2 + 7) embeddings, so the time is about that many
    single-face embeddings (`steps(grid)`); `on_step(n)` is told as they are done.
    """
    start = time.perf_counter()
    pair = prepare(analyzer, a, b, fmr=fmr, threshold=threshold, face_rule=face_rule, face_a=face_a, face_b=face_b)
    return explain_pair(analyzer, pair, grid=grid, start=start, on_step=on_step)


def steps(grid: int = 7) -> int:
    """How many occluded embeddings an explanation makes: each face, every patch and region."""
    return 2 * (grid * grid + len(REGIONS))


def explain_pair(analyzer: Any, pair: Pair, *, grid: int = 7, start: float | None = None,
                 on_step: Callable[[int], None] | None = None) -> Explanation:
    start = time.perf_counter() if start is None else start
    (va, vb), (ea, eb), (ca, cb), verdict = pair.views, pair.embeddings, pair.choices, pair.verdict
    masks, centres = patch_masks(grid)
    ra = occlusion(analyzer.embedder, va, ea, eb, masks, on_step)
    rb = occlusion(analyzer.embedder, vb, eb, ea, masks, on_step)
    maps_a, maps_b = (_face_maps(r, v, centres, grid) for r, v in ((ra, va), (rb, vb)))
    regions = region_contributions(analyzer, pair, on_step)
    return Explanation(
        similarity=verdict.similarity, threshold=verdict.threshold, fmr=verdict.fmr, same=verdict.same,
        model=verdict.model, map_similarity=float(ea @ eb), a=maps_a, b=maps_b, regions=regions,
        sentence=sentence(regions, float(ea @ eb)), seconds=time.perf_counter() - start, grid=grid,
        faces={"face_a": ca.to_dict(), "face_b": cb.to_dict()}, patches=_xcos(analyzer, pair))


def _xcos(analyzer: Any, pair: Pair) -> Any:
    """The SFace patch map of the pair's views when the pipeline uses SFace, else None."""
    from .patches import sface_patches

    sface = next((n for n in analyzer.embedder.networks() if n.name == "sface"), None)
    if sface is None:
        return None
    (va, vb) = pair.views
    return sface_patches().pair(sface.crop(va.image, va.face)[0], sface.crop(vb.image, vb.face)[0])


def _face_maps(r: Any, view: FaceView, centres: np.ndarray, grid: int) -> FaceMaps:
    import cv2

    contribution, importance = to_pixels(r.contribution, centres, PATCH), to_pixels(r.importance, centres, PATCH)
    used = importance > MIN_IMPORTANCE * max(float(importance.max()), 1e-9)
    likeness = np.where(used, contribution / np.where(used, importance, 1.0), np.nan)
    aligned = cv2.warpAffine(view.image, view.to_canonical, (SIZE, SIZE), flags=cv2.INTER_LINEAR)
    return FaceMaps(contribution.astype(np.float32), importance.astype(np.float32), likeness.astype(np.float32),
                    aligned, r.contribution.reshape(grid, grid))


def region_contributions(analyzer: Any, pair: Pair, on_step: Callable[[int], None] | None = None
                         ) -> list[dict[str, Any]]:
    """Hide each named region whole, in one face at a time, and measure the pair's similarity.

    Measured directly rather than summed from the patch map: hiding a region is not the
    sum of hiding its patches (the network is robust to small holes), and a sum over
    pixels would favour regions by their size. drop > 0: the region makes the faces alike;
    drop < 0: it makes them differ. likeness = drop / the drop of the face against itself.
    """
    import cv2

    masks = np.stack([cv2.GaussianBlur(m.astype(np.float32), (0, 0), 2.0) for m in region_masks().values()])
    (va, vb), (ea, eb) = pair.views, pair.embeddings
    ra = occlusion(analyzer.embedder, va, ea, eb, masks, on_step)
    rb = occlusion(analyzer.embedder, vb, eb, ea, masks, on_step)
    drop, own = (ra.contribution + rb.contribution) / 2, (ra.importance + rb.importance) / 2
    rows = [{"region": name, "name": NAMES[name], "drop": float(d), "drop_a": float(da), "drop_b": float(db),
             "likeness": float(d / o) if o > 1e-6 else None, "area": float(region_masks()[name].mean())}
            for name, d, da, db, o in zip(REGIONS, drop, ra.contribution, rb.contribution, own)]
    return sorted(rows, key=lambda r: -r["drop"])


def sentence(regions: list[dict[str, Any]], similarity: float) -> str:
    """One sentence a person can act on, from the region drops (named regions only)."""
    named = [r for r in regions if r["region"] != "surround"]
    alike = [r for r in named if r["drop"] >= 0.01]
    differ = [r for r in named if r["drop"] <= -0.01]
    if not alike:
        text = ("No facial region supports the match: hiding any one of them leaves the similarity "
                f"({similarity:.2f}) about as it is or raises it")
    else:
        top = alike[0]
        text = (f"The similarity comes most from the {top['name']}: hiding it lowers the similarity by "
                f"{top['drop']:.2f} (from {similarity:.2f})")
        if len(alike) > 1:
            text += f", then the {alike[1]['name']} ({alike[1]['drop']:.2f})"
    if differ:
        worst = differ[-1]
        verb, it = ("differ", "them") if worst["region"] in PLURAL else ("differs", "it")
        text += f"; the {worst['name']} {verb} (hiding {it} raises the similarity by {-worst['drop']:.2f})"
    return text + "."
