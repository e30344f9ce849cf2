"""Cross-cell calls carry the service's credential and the original caller, verified on
arrival; only service accounts may speak for someone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rhip.kit.authn import (
    ON_BEHALF_OF_HEADER,
    Principal,
    PrincipalKind,
    acting_as,
    on_behalf_of,
    optional_principal,
)
from rhip.kit.crosscell import CrossCellClient
from rhip.kit.errors import from_rpc_error
from support.probe import PROBE_SERVICE, probe_channel

KEY = Ed25519PrivateKey.generate()


def _token(subject: str, kind: str, region: str = "320311") -> str:
    now = int(time.time())
    claims = {"iss": "rhip-identity/320000", "aud": "rhip", "sub": subject, "kind": kind, "tid": "t1", "reg": region,
              "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _who(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    original = on_behalf_of()
    caller = optional_principal()
    return f"{caller.subject if caller else '-'}|{original.subject if original else '-'}".encode()


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    with probe_channel(
        {"Who": _who}, keys=lambda kid: KEY.public_key() if kid == "k1" else None
    ) as channel:
        yield channel


class _FixedCredentials:
    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token


def test_service_account_carries_the_original_caller(channel: grpc.Channel) -> None:
    client = CrossCellClient(channel, _FixedCredentials(_token("sa:his", "service_account")))  # type: ignore[arg-type]
    doctor = _token("user:doc", "practitioner")
    # While serving the doctor's call, the outbound metadata names the doctor.
    with acting_as(Principal("user:doc", PrincipalKind.PRACTITIONER, "t1", "320311"), doctor):
        metadata = client.metadata("370400")
    assert (ON_BEHALF_OF_HEADER, doctor) in metadata and ("x-rhip-region", "370400") in metadata
    reply = channel.unary_unary(f"/{PROBE_SERVICE}/Who")(b"", metadata=metadata)
    assert reply == b"sa:his|user:doc"


def test_only_service_accounts_speak_for_others_and_the_token_must_verify(
    channel: grpc.Channel,
) -> None:
    call = channel.unary_unary(f"/{PROBE_SERVICE}/Who")
    with pytest.raises(grpc.RpcError) as not_allowed:
        call(b"", metadata=[("authorization", f"Bearer {_token('user:a', 'practitioner')}"),
                            (ON_BEHALF_OF_HEADER, _token("user:b", "practitioner"))])  # fmt: skip
    assert from_rpc_error(not_allowed.value).reason == "ON_BEHALF_OF_NOT_ALLOWED"
    forged = jwt.encode(
        {"sub": "user:b"}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k1"}
    )
    with pytest.raises(grpc.RpcError) as invalid:
        call(b"", metadata=[("authorization", f"Bearer {_token('sa:his', 'service_account')}"),
                            (ON_BEHALF_OF_HEADER, forged)])  # fmt: skip
    assert from_rpc_error(invalid.value).reason == "ON_BEHALF_OF_INVALID"
