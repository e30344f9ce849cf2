"""Signing keys and access tokens.

Keys are Ed25519, kept in the identity database with the private half encrypted (AES-GCM
under the cell secret). Rotation makes a new key current; a retired key stays in the JWKS
until every token it signed has expired, so rotation never logs anybody out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from rhip.identity.auth.store import TokenRepository
from rhip.kit.authn import ALGORITHM, AUDIENCE, PrincipalKind, public_key_from_jwk
from rhip.kit.db import Database, utc
from rhip.kit.ids import new_id


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def public_jwk(kid: str, public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kid": kid,
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(raw),
        "alg": ALGORITHM,
        "use": "sig",
    }


@dataclass(frozen=True)
class _Key:
    kid: str
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey
    jwk: dict[str, str]
    create_time: datetime
    retire_time: datetime | None


class KeyRing:
    """The cell's signing keys, cached in memory and re-read when an unknown kid shows up."""

    def __init__(
        self,
        db: Database,
        secret_key: bytes,
        access_ttl: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._aead = AESGCM(secret_key)
        self._ttl = access_ttl
        self._clock = clock
        self._keys: list[_Key] = []
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")

    # -- key material ----------------------------------------------------------------------
    def _seal(self, kid: str, private: Ed25519PrivateKey) -> bytes:
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, raw, kid.encode())

    def _open(self, kid: str, sealed: bytes) -> Ed25519PrivateKey:
        raw = self._aead.decrypt(sealed[:12], sealed[12:], kid.encode())
        return Ed25519PrivateKey.from_private_bytes(raw)

    def _load(self) -> None:
        with self._db.read() as tx:
            rows = TokenRepository(tx).signing_keys()
        self._keys = [
            _Key(
                kid=row.kid,
                private=self._open(row.kid, row.private_key) if row.retire_time is None else None,
                public=public_key_from_jwk(json.loads(row.public_jwk)),
                jwk=json.loads(row.public_jwk),
                create_time=utc(row.create_time),  # type: ignore[arg-type]
                retire_time=utc(row.retire_time),
            )
            for row in rows
        ]
        self._loaded_at = time.monotonic()

    def ensure_key(self) -> None:
        """Load the keys; create the first one if the cell has none."""
        with self._lock:
            self._load()
            if not any(k.retire_time is None for k in self._keys):
                self._create_locked()

    def rotate(self) -> tuple[str, datetime]:
        with self._lock:
            return self._create_locked()

    def _create_locked(self) -> tuple[str, datetime]:
        private = Ed25519PrivateKey.generate()
        now = self._clock()
        raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        kid = _b64url(hashlib.sha256(raw_public).digest())[:22]
        with self._db.transaction() as tx:
            repo = TokenRepository(tx)
            repo.add_signing_key(
                kid,
                self._seal(kid, private),
                json.dumps(public_jwk(kid, private.public_key())),
                now,
            )
            repo.retire_signing_keys(except_kid=kid, now=now)
        self._load()
        return kid, now

    # -- use -----------------------------------------------------------------------------
    def current(self) -> _Key:
        for key in self._keys:
            if key.retire_time is None and key.private is not None:
                return key
        self.ensure_key()
        return self.current()

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """KeySource for the verifier: re-reads the table (at most once a second) on a miss,
        so a key rotated by another replica is found."""
        for key in self._keys:
            if key.kid == kid:
                return key.public
        if time.monotonic() - self._loaded_at >= 1.0:
            with self._lock:
                self._load()
            for key in self._keys:
                if key.kid == kid:
                    return key.public
        return None

    def jwks(self) -> list[dict[str, str]]:
        """Keys whose tokens may still be valid: current first, retired ones until expiry."""
        now = self._clock()
        self._load()
        return [
            key.jwk
            for key in self._keys
            if key.retire_time is None or key.retire_time + self._ttl > now
        ]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expire_time: datetime


class TokenIssuer:
    def __init__(self, keys: KeyRing, issuer: str, ttl: timedelta) -> None:
        self._keys = keys
        self._issuer = issuer
        self._ttl = ttl

    def issue(
        self,
        subject: str,
        kind: PrincipalKind,
        tenant_id: str,
        region_code: str,
        now: datetime,
        session_id: str = "",
    ) -> IssuedToken:
        """``session_id``: the login session (the refresh-token family) the token belongs to,
        the ``sid`` claim that SignOut revokes; none for sessions that cannot refresh."""
        key = self._keys.current()
        assert key.private is not None  # current() only returns keys that can sign
        expire = now + self._ttl
        claims = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "kind": kind.value,
            "tid": tenant_id,
            "reg": region_code,
            "iat": int(now.timestamp()),
            "exp": int(expire.timestamp()),
            "jti": new_id(),
        }
        if session_id:
            claims["sid"] = session_id
        token = jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})
        return IssuedToken(token, datetime.fromtimestamp(int(expire.timestamp()), UTC))
