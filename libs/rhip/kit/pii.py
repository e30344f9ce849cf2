"""Personal identifiers at rest (docs/architecture.md §5): ID and phone numbers are stored sealed
with AES-GCM and found again through a keyed hash (HMAC-SHA-256), so the database never holds
them in the clear and an exact lookup needs no decryption.

Both keys are derived from the cell secret with HKDF under their own labels; the label carries
a version so a key can be rotated by re-sealing under the next label.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEAL_LABEL = b"rhip/pii/aes-gcm/v1"
LOOKUP_LABEL = b"rhip/pii/hmac-sha256/v1"


def derive_key(secret: bytes, label: bytes, length: int = 32) -> bytes:
    """A key for one purpose, derived from the cell secret (HKDF-SHA-256)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label).derive(secret)


class PiiVault:
    """Seals, opens and hashes personal identifiers. ``context`` binds a sealed value to where
    it belongs (a resident id), so a value copied to another row does not open."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, SEAL_LABEL))
        self._lookup_key = derive_key(secret, LOOKUP_LABEL)

    def seal(self, value: str, context: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], context.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """The keyed hash of an exact value (hex); without the cell secret it reveals nothing,
        not even to a dictionary of every possible ID number."""
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()
