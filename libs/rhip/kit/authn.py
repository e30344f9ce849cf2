"""Authentication: verify EdDSA access tokens offline and hold the caller in a contextvar.

Identity signs tokens; every service (and the gateway) verifies them against the public keys
(JWKS) of the cell the token names as issuer, and only for principals that cell may vouch for
(``rhip.kit.trust``). Verification costs about 190 µs of CPU, so verified tokens are cached by
a digest of the token until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from rhip.kit.errors import Unauthenticated

AUDIENCE = "rhip"
ON_BEHALF_OF_HEADER = "x-rhip-on-behalf-of"
ALGORITHM = "EdDSA"


class PrincipalKind(Enum):
    PRACTITIONER = "practitioner"
    REGIONAL_ADMIN = "regional_admin"
    AUDITOR = "auditor"
    SERVICE_ACCOUNT = "service_account"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``subject`` is ``user:{id}`` or ``sa:{id}``."""

    subject: str
    kind: PrincipalKind
    tenant_id: str
    region_code: str
    token_id: str = ""
    expires_at: float = 0.0
    issuer: str = ""  # the issuing cell's identity (``rhip-identity/{cell}``)
    session_id: str = ""  # ``sid``: the login session (SignOut ends it); empty for accounts

    @property
    def is_cell_account(self) -> bool:
        """A cell's own service account (no tenant): it speaks for its cell on cross-cell
        calls. Tenant service accounts always belong to a tenant."""
        return (
            self.kind is PrincipalKind.SERVICE_ACCOUNT
            and not self.tenant_id
            and self.subject.startswith("sa:cell-")
        )

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> Principal:
        try:
            return cls(
                subject=str(claims["sub"]),
                kind=PrincipalKind(claims["kind"]),
                tenant_id=str(claims.get("tid", "")),
                region_code=str(claims["reg"]),
                token_id=str(claims.get("jti", "")),
                expires_at=float(claims["exp"]),  # type: ignore[arg-type]
                issuer=str(claims.get("iss", "")),
                session_id=str(claims.get("sid", "")),
            )
        except (KeyError, ValueError, TypeError):
            raise Unauthenticated("token claims are incomplete", reason="TOKEN_INVALID") from None


_current: ContextVar[Principal | None] = ContextVar("rhip_principal", default=None)
_token: ContextVar[str] = ContextVar("rhip_bearer_token", default="")
_on_behalf_of: ContextVar[Principal | None] = ContextVar("rhip_on_behalf_of", default=None)


def current_principal() -> Principal:
    """The caller of the RPC being served; UNAUTHENTICATED when there is none."""
    principal = _current.get()
    if principal is None:
        raise Unauthenticated("this method needs a bearer token", reason="TOKEN_MISSING")
    return principal


def optional_principal() -> Principal | None:
    return _current.get()


def current_token() -> str:
    """The caller's bearer token (forwarded as the original caller on cross-cell calls)."""
    return _token.get()


def on_behalf_of() -> Principal | None:
    """The original caller when a service account calls on someone's behalf, else None."""
    return _on_behalf_of.get()


@contextmanager
def acting_as(
    principal: Principal | None, token: str = "", original: Principal | None = None
) -> Iterator[None]:
    reset = (_current.set(principal), _token.set(token), _on_behalf_of.set(original))
    try:
        yield
    finally:
        _current.reset(reset[0])
        _token.reset(reset[1])
        _on_behalf_of.reset(reset[2])


KeySource = Callable[[str], Ed25519PublicKey | None]
"""Looks up a public key by ``kid``; None when the key is unknown."""


def public_key_from_jwk(jwk: Mapping[str, str]) -> Ed25519PublicKey:
    key = OKPAlgorithm.from_jwk(json.dumps(dict(jwk)))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("JWK is not an Ed25519 public key")
    return key


class JwksKeySource:
    """A KeySource over a remote JWKS (``fetch`` returns the JWK dicts, or None when it could
    not fetch them: the keys known stay), refreshed when an unknown ``kid`` appears, at most
    once per ``min_refresh_seconds``."""

    def __init__(
        self, fetch: Callable[[], list[Mapping[str, str]] | None], min_refresh_seconds: float = 5
    ):
        self._fetch = fetch
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, kid: str) -> Ed25519PublicKey | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self._min_refresh:
                self._fetched_at = time.monotonic()
                jwks = self._fetch()
                if jwks is not None:
                    self._keys = {jwk["kid"]: public_key_from_jwk(jwk) for jwk in jwks}
        return self._keys.get(kid)


@dataclass(frozen=True)
class SigningKey:
    """A public key and the cell that published it (its routing entry's name, and the
    region code its identity names as issuer)."""

    public: Ed25519PublicKey
    cell: str
    issuer_code: str


class Trust(Protocol):
    """Which keys vouch for whom (``rhip.kit.trust.CellKeys``)."""

    @property
    def version(self) -> int:
        """Changes when a decision made before may no longer hold (routes reloaded)."""
        ...

    def signing_key(self, issuer: object, kid: str) -> SigningKey:
        """The key ``kid`` of the cell ``issuer`` names, or UNAUTHENTICATED."""
        ...

    def check_vouches(self, key: SigningKey, principal: Principal) -> None:
        """UNAUTHENTICATED unless ``key``'s cell may vouch for ``principal``."""
        ...


class TokenVerifier:
    """Verifies access tokens and caches the resulting Principal until the token expires.

    A token verifies with the key of the cell its ``iss`` names, and only for a principal
    that cell vouches for (``trust``). A cached Principal is only reused under the trust
    version it was verified under: after a routing reload a token is checked afresh."""

    def __init__(
        self,
        trust: Trust,
        *,
        cache_size: int = 50_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._trust = trust
        self._cache: OrderedDict[bytes, tuple[Principal, int]] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        version = self._trust.version
        cached = self._cache.get(digest)
        if cached is not None and cached[1] == version and cached[0].expires_at > now:
            return cached[0]
        principal = self._verify_uncached(token, now)
        with self._lock:
            self._cache[digest] = (principal, version)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def _verify_uncached(self, token: str, now: float) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            # The issuer it claims picks whose keys to try; the signature then proves it.
            issuer = _claimed_issuer(token)
        except jwt.DecodeError:
            raise Unauthenticated(
                "the bearer token is malformed", reason="TOKEN_MALFORMED"
            ) from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("the token must be signed with EdDSA", reason="TOKEN_ALGORITHM")
        key = self._trust.signing_key(issuer, str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key.public,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_iat": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", reason="TOKEN_EXPIRED") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(
                "the token signature is not valid", reason="TOKEN_SIGNATURE"
            ) from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not valid", reason="TOKEN_INVALID") from None
        principal = Principal.from_claims(claims)
        if principal.expires_at <= now:
            raise Unauthenticated("the token has expired", reason="TOKEN_EXPIRED")
        self._trust.check_vouches(key, principal)
        return principal


def _claimed_issuer(token: str) -> object:
    """The ``iss`` of a token's payload, its signature unchecked (jwt.DecodeError when the
    payload is not a JSON object). Read by hand: PyJWT's unverified decode costs as much again
    as the verified one that follows."""
    try:
        segment = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, RecursionError):  # binascii, Unicode and JSON errors too
        raise jwt.DecodeError("malformed payload") from None
    if not isinstance(payload, dict):
        raise jwt.DecodeError("the payload is not an object")
    return payload.get("iss")


def bearer_token(metadata: Mapping[str, str]) -> str | None:
    """The token from an ``authorization: Bearer …`` header, None when absent."""
    value = metadata.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <token>'", reason="TOKEN_MALFORMED")
    return token.strip()
