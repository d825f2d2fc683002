"""One exception hierarchy for everything faceprint raises on purpose.

Callers catch `FaceprintError` to handle any expected failure; the CLI maps it to
exit code 2 and one line on stderr, the service to one JSON error shape. Each class
carries a stable `code` string so both front ends can name the failure without
parsing messages.
"""

from __future__ import annotations


class FaceprintError(Exception):
    """Base class of every error faceprint raises deliberately."""

    code = "faceprint_error"


class ImageError(FaceprintError, ValueError):
    """An input could not be turned into an RGB image (corrupt, not an image, empty...)."""

    code = "bad_image"


class ImageTooLargeError(ImageError):
    """The image has more pixels than the configured limit (decompression-bomb guard)."""

    code = "image_too_large"


class ImageNotFoundError(ImageError, FileNotFoundError):
    """A path given as an image does not exist or is not a file."""

    code = "image_not_found"


class NoFaceError(FaceprintError):
    """An operation that needs a face found none in the image."""

    code = "no_face"


class FaceIndexError(FaceprintError, IndexError):
    """`--face INDEX` (or `face=`) names a face the image does not have."""

    code = "bad_face_index"


class UnknownModelError(FaceprintError, KeyError):
    """A model or pipeline name is not in the registry; the message lists valid names."""

    code = "unknown_model"

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.code


class ModelFileError(FaceprintError):
    """A model's carrier package is missing, or its file is absent or fails the hash check."""

    code = "model_file"


class ModelMismatchError(FaceprintError):
    """Embeddings made by one model were compared with embeddings of another."""

    code = "model_mismatch"


class ShapeError(FaceprintError, ValueError):
    """An array has the wrong shape or dtype; names what was expected and what came."""

    code = "bad_shape"

    def __init__(self, what: str, actual: object, expected: str) -> None:
        super().__init__(f"{what}: expected {expected}, got {actual}")
        self.what, self.actual, self.expected = what, actual, expected


class InputError(FaceprintError, ValueError):
    """Bad arguments or input files other than images (CSV columns, options...)."""

    code = "bad_input"


class ArgumentTypeError(InputError, TypeError):
    """A library argument of the wrong type (`fmr="abc"`, `model=["fast"]`, `face="0"`...).

    Also a TypeError, so code that caught the bare TypeError of earlier versions still works."""

    code = "bad_argument"


class GalleryError(FaceprintError):
    """A gallery operation cannot be done as asked (missing gallery, bad store, wrong state)."""

    code = "gallery"


class NotAGalleryError(GalleryError):
    """A path or URI given as a gallery holds something else; it is left untouched."""

    code = "not_a_gallery"


class UnknownIdentityError(GalleryError, KeyError):
    """A name that is not enrolled in the gallery."""

    code = "unknown_identity"

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.code


class DuplicateError(GalleryError):
    """Enrolling a name that exists (without append), or a photo already stored for it."""

    code = "duplicate"


class GalleryLockedError(GalleryError):
    """Another process held the gallery's write lock for longer than the timeout."""

    code = "gallery_locked"


class GalleryWriteError(GalleryError):
    """The gallery could not be written: disk full, a file-size limit, read-only, an I/O error."""

    code = "gallery_write"


class GalleryKeyError(GalleryError):
    """An encrypted gallery opened without its key or with another key, or a key given for a plain gallery."""

    code = "gallery_key"


class GalleryDamagedError(GalleryError):
    """The gallery file is corrupt (bad pages, malformed records)."""

    code = "gallery_damaged"
