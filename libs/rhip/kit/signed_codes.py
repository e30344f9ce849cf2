"""Signed codes printed on paper documents (the birth certificate's, DOMAIN §4.6): the fields
that identify the document, the signing key's id and an Ed25519 signature over both, joined by
``:``. The crypto is the e-health card's (rhip.kit.healthcard): keys derived from the cell's
signing secrets under their own HKDF label (rhip.kit.signing_keys: the current one signs, the
retired ones go on verifying), the same key ids and the same published JSON Web Keys, so a
scanner holding the cell's public keys checks a code offline, one printed before a rotation
too. Whether the document is still valid (not voided or replaced) needs the issuing cell's
verification."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rhip.kit.signing_keys import Ed25519Keyring, SigningSecrets


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CodeSigner:
    """One cell's signing keys for one kind of document (``label`` names the kind): the
    current key signs, every key of the ring (current and retired) verifies by its id."""

    def __init__(self, secret: bytes | SigningSecrets, label: bytes) -> None:
        self.ring = Ed25519Keyring(secret, label)
        self.public = self.ring.public
        self.kid = self.ring.kid

    @property
    def keys(self) -> Mapping[str, Ed25519PublicKey]:
        """Every key a code of this kind may name (current and retired), by id."""
        return self.ring.keys

    def sign(self, fields: Sequence[str]) -> str:
        """``field:…:field:kid:signature``; fields must not contain ``:``."""
        if any(":" in f for f in fields):
            raise ValueError("a signed-code field contains ':'")
        body = ":".join((*fields, self.kid))
        return f"{body}:{_b64url(self.ring.sign(body.encode()))}"

    def public_jwk(self) -> dict[str, str]:
        """The current key as a JSON Web Key."""
        return self.ring.public_jwks()[0]

    def public_jwks(self) -> list[dict[str, str]]:
        """Every key that verifies this kind's codes, the current one first."""
        return self.ring.public_jwks()


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
