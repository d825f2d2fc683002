"""Drop-in replacements for other face libraries' APIs, running faceprint's model files.

`faceprint.compat.face_recognition` is face_recognition's API (see
docs/migration-face_recognition.md). Nothing is loaded when these packages are imported.
"""
