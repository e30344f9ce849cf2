"""Signed codes printed on paper documents (the birth certificate's, DOMAIN §4.6): the fields
that identify the document, the signing key's id and an Ed25519 signature over both, joined by
``:``. The crypto is the e-health card's (rhip.kit.healthcard): a key derived from the cell
secret under its own HKDF label, the same key ids and the same published JSON Web Keys, so a
scanner holding the cell's public keys checks a code offline. Whether the document is still
valid (not voided or replaced) needs the issuing cell's verification."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rhip.kit.healthcard import key_id
from rhip.kit.pii import derive_key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CodeSigner:
    """One cell's signing key for one kind of document (``label`` names the kind)."""

    def __init__(self, secret: bytes, label: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(derive_key(secret, label))
        self.public = self._private.public_key()
        self.kid = key_id(self.public)

    def sign(self, fields: Sequence[str]) -> str:
        """``field:…:field:kid:signature``; fields must not contain ``:``."""
        if any(":" in f for f in fields):
            raise ValueError("a signed-code field contains ':'")
        body = ":".join((*fields, self.kid))
        return f"{body}:{_b64url(self._private.sign(body.encode()))}"

    def public_jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kid": self.kid, "kty": "OKP", "crv": "Ed25519", "x": _b64url(raw),
                "alg": "EdDSA", "use": "sig"}  # fmt: skip


def key_from_jwk(jwk: Mapping[str, str] | str) -> Ed25519PublicKey:
    """The public key of a published JSON Web Key (a dict or its JSON text)."""
    data = json.loads(jwk) if isinstance(jwk, str) else jwk
    return Ed25519PublicKey.from_public_bytes(_unb64url(data["x"]))


def verify_code(
    payload: str, keys: Mapping[str, Ed25519PublicKey], fields: int
) -> list[str] | None:
    """The ``fields`` signed fields of a code whose signature verifies with one of ``keys``
    (by key id); None for anything else (malformed, unknown key, forged)."""
    parts = payload.strip().split(":")
    if len(parts) != fields + 2 or len(payload) > 1000:
        return None
    *values, kid, signature = parts
    key = keys.get(kid)
    if key is None:
        return None
    try:
        key.verify(_unb64url(signature), ":".join((*values, kid)).encode())
    except (InvalidSignature, ValueError, binascii.Error):
        return None
    return values
