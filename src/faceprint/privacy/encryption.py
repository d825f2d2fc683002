"""Templates at rest: AES-256-GCM for a gallery's vectors, names, metadata and photo names.

The key (32 random bytes) comes from `$FACEPRINT_GALLERY_KEY` (base64) or a key file named by
the operator (`--key-file`: base64 text or 32 raw bytes); faceprint never writes it anywhere.
Two subkeys are derived from it with HKDF-SHA256: one for AES-GCM, one for HMAC-SHA256.

- Every sealed value is `nonce (12 random bytes) || ciphertext || tag`, and its associated
  data names the gallery (a random id stored in the file), the kind of value and its row
  (template id and identity id, or identity id): a ciphertext copied to another row, another
  column or another gallery fails to open.
- Names need lookups (remove, show by name; duplicates): the `name` column holds
  HMAC-SHA256(subkey, name) of the NFKC-normalised name, which says nothing about the name
  without the key; the name itself is sealed for display.
- A key check (a sealed constant) in the gallery's meta tells a wrong key from damage.

See docs/privacy.md for what this protects against and what it does not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from ..errors import GalleryDamagedError, GalleryKeyError, InputError

ENV = "FACEPRINT_GALLERY_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
CIPHER = "AES-256-GCM"
_CHECK = b"faceprint gallery key check"


def parse_key(data: bytes, what: str) -> bytes:
    """32 bytes from base64 text (the usual form) or 32 raw bytes; InputError naming `what` otherwise."""
    try:
        key = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) == KEY_BYTES:
        return key
    if len(data) == KEY_BYTES:
        return data
    raise InputError(f"{what}: a gallery key is {KEY_BYTES} bytes, base64-encoded (make one with "
                     f"`openssl rand -base64 32`)")


def gallery_key(key_file: str | os.PathLike[str] | None = None, *, gallery: str | None = None) -> bytes | None:
    """The key from `key_file` if given, else `$FACEPRINT_GALLERY_KEY`, else None (no encryption).

    A key file inside the gallery's own folder is refused: a key stored beside the gallery
    protects nothing.
    """
    if key_file is not None:
        path = Path(key_file)
        if gallery is not None and "://" not in gallery and not gallery.startswith("milvus-lite:"):
            if path.resolve().parent == Path(gallery).resolve().parent:
                raise InputError(f"--key-file {str(path)!r} lies in the gallery's folder; keep the key away "
                                 f"from the gallery (another disk, a secret store)")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"--key-file {str(path)!r}: cannot read it: {e.strerror or e}") from None
        return parse_key(data, f"--key-file {str(path)!r}")
    text = os.environ.get(ENV)
    if text is None or not text.strip():
        return None
    return parse_key(text.encode("ascii", "replace"), f"${ENV}")


def new_gallery_id() -> bytes:
    return os.urandom(16)


class TemplateCipher:
    """Seal and open a gallery's values, bound to the gallery and the row (see the module doc)."""

    def __init__(self, key: bytes, gallery_id: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise InputError(f"a gallery key is {KEY_BYTES} bytes")
        self.gallery_id = bytes(gallery_id)

        def derive(info: bytes) -> bytes:
            return HKDF(hashes.SHA256(), KEY_BYTES, salt=self.gallery_id, info=info).derive(key)

        from cryptography.exceptions import InvalidTag

        self._aead = AESGCM(derive(b"faceprint/1 aes-gcm"))
        self._decrypt = self._aead.decrypt
        self._invalid = (InvalidTag, ValueError)
        self._mac = derive(b"faceprint/1 hmac-name")
        self._prefix = b"faceprint/1|" + self.gallery_id + b"|"

    def _ad(self, kind: str, row: str) -> bytes:
        return self._prefix + f"{kind}|{row}".encode()

    def seal(self, kind: str, row: str, data: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, self._ad(kind, row))

    def open(self, kind: str, row: str, blob: bytes, where: str = "") -> bytes:
        try:  # the hot path of loading a large gallery: kept lean
            return self._decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._prefix + f"{kind}|{row}".encode())
        except self._invalid:
            raise GalleryDamagedError(f"gallery {where}: a sealed {kind} (row {row}) does not open with this "
                                      f"key: the file was altered or rows were moved") from None

    def lookup(self, name: str) -> str:
        """The lookup column's value for a (normalised) name."""
        return "h:" + hmac.new(self._mac, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def key_check(self) -> bytes:
        return self.seal("key-check", "0", _CHECK)

    def verify(self, check: bytes, where: str) -> None:
        from cryptography.exceptions import InvalidTag

        check = bytes(check)
        try:
            ok = self._aead.decrypt(check[:NONCE_BYTES], check[NONCE_BYTES:], self._ad("key-check", "0")) == _CHECK
        except (InvalidTag, ValueError):
            ok = False
        if not ok:
            raise GalleryKeyError(f"gallery {where} is encrypted with another key; give the key it was made "
                                  f"with (${ENV} or --key-file)")
