"""The picture: both aligned faces, each with its map, the verdict and the sentence.

Colour = likeness (warm: the two faces are alike there, as alike as a face with itself at
full strength; blue: they differ there, hiding it raises the similarity); opacity = how
much the model uses that part of the face (its own importance). So a face against itself
is warm wherever the model looks, and parts the model ignores stay uncoloured.
"""

from __future__ import annotations

import textwrap

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .explanation import Explanation
from .regions import region_labels

PANEL = 224
_DIFFER, _NEUTRAL, _ALIKE = np.array([30, 110, 235.]), np.array([235, 235, 225.]), np.array([235, 70, 20.])


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 ships a scalable default font
    except TypeError:
        return ImageFont.load_default()


def colour(likeness: np.ndarray) -> np.ndarray:
    """Likeness in -1..1 (clipped) -> RGB float: blue (differ) -> pale (0) -> orange (alike)."""
    t = np.clip(np.nan_to_num(likeness), -1, 1)[..., None]
    return np.where(t >= 0, _NEUTRAL + t * (_ALIKE - _NEUTRAL), _NEUTRAL - t * (_DIFFER - _NEUTRAL))


def overlay(aligned: np.ndarray, likeness: np.ndarray, importance: np.ndarray, size: int = PANEL) -> np.ndarray:
    """The aligned face, greyed, with the likeness colours at importance opacity and region outlines."""
    face = cv2.resize(aligned, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    grey = face.mean(2, keepdims=True) * 0.8 + 25  # grey base: the colours are the map, not the skin
    like = cv2.resize(np.nan_to_num(likeness, nan=0.0).astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    imp = cv2.resize(np.clip(importance, 0, None).astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    alpha = 0.85 * (imp / max(float(imp.max()), 1e-9))[..., None] ** 0.6
    out = grey * (1 - alpha) + colour(like) * alpha
    labels = cv2.resize(region_labels().astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)
    edges = cv2.morphologyEx(labels, cv2.MORPH_GRADIENT, np.ones((2, 2), np.uint8)) > 0
    out[edges] = out[edges] * 0.7 + 70  # faint region outlines
    return np.clip(out, 0, 255).astype(np.uint8)


def render(e: Explanation, *, sentence: bool = True) -> np.ndarray:
    """RGB picture (H x 4*224) of the explanation, ready for `save_image`; `sentence=False`
    leaves the sentence out (for a page that prints it as text beside the picture)."""
    size = PANEL
    faces = [cv2.resize(m.aligned, (size, size), interpolation=cv2.INTER_CUBIC) for m in (e.a, e.b)]
    maps = [overlay(m.aligned, m.likeness, m.importance, size) for m in (e.a, e.b)]
    strip = np.concatenate([faces[0], maps[0], maps[1], faces[1]], axis=1)
    xcos = e.patches is not None
    lines = textwrap.wrap(e.sentence, 105)[:3] if sentence else []
    head, foot = 58, (120 if sentence else 66) + (size + 4 if xcos else 0)
    canvas = Image.new("RGB", (strip.shape[1], head + size + foot), (255, 255, 255))
    canvas.paste(Image.fromarray(strip), (0, head))
    draw = ImageDraw.Draw(canvas)
    if xcos:  # SFace's own 7x7 view: local cosine as colour, |its share of the similarity| as opacity
        p = e.patches
        row = [overlay(m.aligned, p.local_cosine, np.abs(c), size) for m, c in ((e.a, p.contribution_a),
                                                                            (e.b, p.contribution_b))]
        y0 = head + size + 4
        canvas.paste(Image.fromarray(np.concatenate(row, axis=1)), (size, y0))
        for i, text in enumerate(("SFace feature cells (xCos-style):", "colour = local cosine of the",
                                  "two faces' 7x7 features;", "opacity = the cell's exact",
                                  "share of the similarity")):
            ImageDraw.Draw(canvas).text((8, y0 + 8 + 18 * i), text, fill=(60, 60, 60), font=_font(13))
    big, small = _font(17), _font(13)
    word = "SAME PERSON" if e.same else "DIFFERENT PEOPLE"
    fmr = (f"threshold {e.threshold:.3f} = 1 false match in {1 / e.fmr:,.0f} impostor pairs"
           if e.fmr else f"threshold {e.threshold:.3f} (given by hand)")
    draw.text((8, 6), f"{word}: similarity {e.similarity:.3f} vs {fmr}", fill=(0, 0, 0), font=big)
    draw.text((8, 32), f"model {e.model}; maps: hiding a spot of one face and re-measuring the similarity",
              fill=(90, 90, 90), font=small)
    for i, caption in enumerate(("A", "A: alike / differ (hiding)", "B: alike / differ (hiding)", "B")):
        x = i * size + 4
        draw.rectangle((x - 2, head + 2, x + draw.textlength(caption, font=small) + 3, head + 19), fill=(255, 255, 255))
        draw.text((x, head + 3), caption, fill=(0, 0, 0), font=small)
    y = head + size + (size + 12 if xcos else 8)
    for line in lines:
        draw.text((8, y), line, fill=(0, 0, 0), font=small)
        y += 18
    # Legend: the colour scale (opacity = how much the model uses the spot).
    bar = colour(np.linspace(-1, 1, 200)[None].repeat(12, 0)).astype(np.uint8)
    lx, ly = 8, head + size + foot - 30
    canvas.paste(Image.fromarray(bar), (lx + 60, ly))
    draw.text((lx, ly - 1), "differ", fill=(30, 110, 235), font=small)
    draw.text((lx + 268, ly - 1), "alike (as a face with itself)", fill=(200, 60, 20), font=small)
    draw.text((lx + 490, ly - 1), "opacity = how much the model uses it", fill=(90, 90, 90), font=small)
    return np.asarray(canvas)
