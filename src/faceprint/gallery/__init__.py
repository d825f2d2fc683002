"""Galleries of enrolled identities and 1:N identification.

    from faceprint.gallery import open_gallery
    with open_gallery("people.db") as g:                  # embedded SQLite file
        g.enroll("Ada", ["ada1.jpg", "ada2.jpg"])
        for answer in g.identify("group.jpg", top=3):      # one answer per face, largest first
            print(answer.identity, answer.similarity)

Gallery URIs: a file path (embedded SQLite store, the default); `milvus://host:port/collection`
(a Milvus server); `milvus-lite:PATH.db[?collection=NAME]` (Milvus Lite, embedded, for tests
and small deployments). Nothing is imported or opened until `open_gallery` is called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .gallery import Gallery

__all__ = ["Gallery", "Identification", "Candidate", "Enrollment", "GalleryMeta", "IdentityInfo",
           "open_gallery"]


def open_gallery(uri: "str | os.PathLike[str]", analyzer: Any | None = None, *, create: bool = False, index: str = "auto",
                 score_rule: str | None = None, key: bytes | None = None, key_file: "str | os.PathLike[str] | None" = None
                 ) -> "Gallery":
    """Open the gallery at `uri` (see the module doc); `create=True` makes a new one if absent.

    `index`: "exact", "pq" (product-quantised scan + exact re-scoring, for large galleries),
    "hnsw" or "auto" (exact); only the embedded store uses it. `score_rule` ("max" or
    "mean") is fixed when a gallery is made.

    Encryption at rest (embedded store): `key` (32 bytes), else the key in `key_file`, else
    `$FACEPRINT_GALLERY_KEY` (base64). With a key a new gallery is made encrypted and an
    encrypted one opens; without it an encrypted gallery is refused (`GalleryKeyError`).
    """
    from ..errors import GalleryKeyError, InputError
    from .gallery import Gallery

    if isinstance(uri, os.PathLike):
        uri = os.fspath(uri)
    if not isinstance(uri, str) or not uri:
        raise InputError(f"a gallery needs a path or URI, got {uri!r}")
    if key is None:
        from ..privacy.encryption import gallery_key

        key = gallery_key(key_file, gallery=uri)
    if uri.startswith(("milvus://", "milvus-lite:")):
        if key is not None:
            raise GalleryKeyError("encryption at rest is for the embedded (SQLite) gallery; Milvus searches the "
                                  "vectors itself (protect its volume instead); unset $FACEPRINT_GALLERY_KEY")
        from .milvus_store import MilvusStore

        store: Any = MilvusStore.from_uri(uri, create=create)
    else:
        from .sqlite_store import SqliteStore

        store = SqliteStore(uri, create=create, index=index, key=key)
    try:
        return Gallery(store, analyzer, score_rule=score_rule)
    except BaseException:
        store.close()
        raise


def __getattr__(name: str) -> Any:  # lazy: `import faceprint.gallery` loads nothing heavy
    if name in ("Gallery", "Identification", "Candidate", "Enrollment"):
        from . import gallery

        return getattr(gallery, name)
    if name in ("GalleryMeta", "IdentityInfo"):
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module 'faceprint.gallery' has no attribute {name!r}")
