"""Who is in this photo? A face_recognition-style script, ported to faceprint by one import.

    python docs/examples/who_is_in_this_photo.py KNOWN_DIR PHOTO

KNOWN_DIR holds one photo per person, named after them (ada.jpg, grace.png). The only line
that changed from a face_recognition script is the import; the last block shows what
faceprint adds (a threshold chosen by its false-match rate instead of a bare tolerance).
"""

from __future__ import annotations

import sys
from pathlib import Path

import faceprint.compat.face_recognition as face_recognition  # was: import face_recognition


def main(known_dir: str, photo: str) -> int:
    names, known = [], []
    for path in sorted(Path(known_dir).iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        encodings = face_recognition.face_encodings(face_recognition.load_image_file(path))
        if encodings:  # a photo with no face is skipped, as face_recognition users do
            names.append(path.stem)
            known.append(encodings[0])

    image = face_recognition.load_image_file(photo)
    locations = face_recognition.face_locations(image)  # model="yunet" is the faster option
    for (top, right, bottom, left), encoding in zip(locations, face_recognition.face_encodings(image, locations)):
        matches = face_recognition.compare_faces(known, encoding, tolerance=0.6)
        distances = face_recognition.face_distance(known, encoding)
        name = "unknown"
        if len(distances) and matches[int(distances.argmin())]:
            name = names[int(distances.argmin())]
        # faceprint's addition: the same question at a calibrated false-match rate.
        strict = face_recognition.compare_faces_at_fmr(known, encoding, fmr=1e-3)
        sure = [n for n, ok in zip(names, strict) if ok]
        print(f"{name} at top={top} left={left} bottom={bottom} right={right}"
              f" (at FMR 1e-3: {', '.join(sure) or 'nobody'})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
