"""Make the before/after pictures of `faceprint blur` from scikit-image's astronaut photo.

    .venv/bin/python tools/privacy_pictures.py /tmp/blur-pictures

Writes blur-methods.jpg (the photo, then covered by gaussian, pixelate and solid) and
blur-small-faces.jpg (a drawn canvas with the face at 60, 40, 24 and 16 px, before and
after). The photo is NASA's portrait of Eileen Collins (public domain), as shipped in
scikit-image; no shared data is used. Write them outside the repository: it keeps no photos
of people.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from faceprint.detectors.yunet import YuNetDetector
from faceprint.image import save_image
from faceprint.privacy.photo import Blurrer


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (8 + 11 * len(text), 26), (0, 0, 0), -1)
    cv2.putText(out, text, (5, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    astro = data.astronaut()
    crop = (slice(0, 300), slice(90, 390))
    tiles = [label(astro[crop], "photo")]
    for method in ("gaussian", "pixelate", "solid"):
        tiles.append(label(Blurrer(method).photo(astro).image[crop], method))
    save_image(np.concatenate(tiles, axis=1), out / "blur-methods.jpg")

    det = YuNetDetector()
    canvas = np.zeros((300, 1200, 3), np.uint8)
    canvas[:] = np.linspace(60, 200, 1200).astype(np.uint8)[None, :, None]
    x = 20
    for px in (60, 40, 24, 16):
        for img in (astro, cv2.flip(astro, 1)):
            x1, y1, x2, y2 = det.detect(img).boxes[0]
            side = x2 - x1
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2  # the head and shoulders: 3 face widths around the face
            part = img[max(0, int(cy - 1.3 * side)):int(cy + 1.7 * side), max(0, int(cx - 1.5 * side)):int(cx + 1.5 * side)]
            k = px / float(side)
            small = cv2.resize(part, (round(part.shape[1] * k), round(part.shape[0] * k)), interpolation=cv2.INTER_AREA)
            y = 150 - small.shape[0] // 2
            canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
            x += small.shape[1] + 20
    after = Blurrer().photo(canvas).image
    both = np.concatenate([label(canvas, "faces of 60, 40, 24, 16 px"), label(after, "faceprint blur")], axis=0)
    save_image(both, out / "blur-small-faces.jpg")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "blur-pictures")
