"""Token abuse against every RPC that needs a token, at the gateway and at the Jiangsu cell
itself: the Jiangsu province administrator's genuine claims, re-signed with the Shandong
cell's key (naming either issuer), edited under the genuine signature, expired, for another
audience, unsigned (``alg: none``), HMAC-signed with the cell's public key, signed by a key
no cell has, and not a token at all. Every one is UNAUTHENTICATED, never OK, whatever the
call; the genuine token, sent the same way, is not.

Over the gateway's HTTP/JSON listener too, for every RPC with a binding: the same forgeries
and no Authorization header at all are each 401 with a JSON UNAUTHENTICATED status (on SQLite:
they are refused at the gateway, before any cell or database)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import Counter
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rhip.kit.apis import PLATFORM_APIS
from security.catalog import rule_for
from security.conftest import report
from security.http_caller import HttpCaller, binding_of, fits
from security.platform import JIANGSU, SHANDONG
from security.requests import aimed
from security.rpcs import Caller, Rpc
from security.world import World

UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any], key: bytes | None = None) -> str:
    """A JWT assembled by hand (PyJWT refuses to make these): no signature, or HS256 with
    ``key`` as the HMAC secret."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    if key is None:
        return head + "."
    return head + "." + _b64(hmac.new(key, head.encode(), hashlib.sha256).digest())


def forgeries(world: World) -> dict[str, str]:
    """Name → token, each built from the genuine claims of js-admin."""
    genuine = dict(world.admin)["authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(genuine, options={"verify_signature": False})
    header = jwt.get_unverified_header(genuine)
    cells = world.platform.cells
    jiangsu, shandong = (
        cells[JIANGSU].cell.part("identity").keys.current(),
        cells[SHANDONG].cell.part("identity").keys.current(),
    )
    now = int(time.time())

    def signed(key: Any, kid: str, **changes: Any) -> str:
        return jwt.encode(
            {**claims, "jti": str(uuid.uuid4()), **changes},
            key,
            algorithm="EdDSA",
            headers={"kid": kid},
        )

    public_pem = jiangsu.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    public_raw = jiangsu.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    head, payload, signature = genuine.split(".")
    edited = {**claims, "region": "370000", "tid": "", "sub": claims["sub"]}
    edited["sub"] = "user:" + str(uuid.uuid4())
    return {
        "foreign cell key, foreign issuer": signed(
            shandong.private, shandong.kid, iss=f"rhip-identity/{SHANDONG}"
        ),
        "foreign cell key, own issuer": signed(shandong.private, shandong.kid),
        "foreign cell key under the own kid": signed(shandong.private, jiangsu.kid),
        "a key no cell has": signed(Ed25519PrivateKey.generate(), jiangsu.kid),
        "expired": signed(
            jiangsu.private, jiangsu.kid, iat=now - 7200, nbf=now - 7200, exp=now - 3600
        ),
        "not yet valid": signed(
            jiangsu.private, jiangsu.kid, iat=now + 3600, nbf=now + 3600, exp=now + 7200
        ),
        "other audience": signed(jiangsu.private, jiangsu.kid, aud="another-platform"),
        "no expiry": signed(jiangsu.private, jiangsu.kid, exp=None),
        "edited claims, genuine signature": f"{head}.{_b64(json.dumps(edited).encode())}.{signature}",
        "genuine claims, signature of another token": f"{head}.{payload}.{_b64(b'x' * 64)}",
        "alg none": _unsigned({**header, "alg": "none"}, claims),
        "alg None, empty signature": _unsigned({**header, "alg": "None"}, claims),
        "HS256 with the public key (PEM)": _unsigned(
            {**header, "alg": "HS256"}, claims, public_pem
        ),
        "HS256 with the public key (raw)": _unsigned(
            {**header, "alg": "HS256"}, claims, public_raw
        ),
        "not a JWT": "not-a-token",
        "empty": "",
    }


def test_no_forged_token_is_accepted_anywhere(world: World, rpcs: list[Rpc]) -> None:
    tokens = forgeries(world)
    # The Jiangsu cell's own address too: a cell trusts no network position.
    channels = {"gateway": world.platform.channel, "cell": world.platform.cell_channel(JIANGSU)}
    answers: Counter[str] = Counter()
    wrong: list[str] = []
    callers = {where: Caller(channel) for where, channel in channels.items()}
    covered = 0
    for rpc in rpcs:
        rule = rule_for(rpc.full_name)
        if rule.access == "public":
            continue
        covered += 1
        path, kind = (rule.targets or (("", "cell"),))[0]
        request = aimed(rpc, path, world.targets[kind][0].value)
        for where, through in callers.items():
            if where == "cell" and rpc.full_name.split(".")[2] in PLATFORM_APIS:
                continue  # served by the gateway only (the resident locator)
            for name, token in tokens.items():
                md = [("authorization", f"Bearer {token}"), ("x-rhip-region", "320311")]
                outcome = through.call(rpc, request, md, label=name)
                answers[outcome.code.name] += 1
                if outcome.code is not UNAUTH:
                    wrong.append(
                        f"{where} {rpc.name} with {name}: {outcome.code.name} {outcome.details[:100]}"
                    )
    # Control: the genuine token of the same claims gets past authentication everywhere.
    genuine = [*world.admin, ("x-rhip-region", "320311")]
    for where, through in callers.items():
        for rpc in rpcs[:20]:
            if rule_for(rpc.full_name).access in ("read", "list"):
                outcome = through.call(rpc, aimed(rpc, "", ""), genuine, label="genuine")
                assert outcome.code is not UNAUTH, f"{where} {rpc.name}: {outcome.details}"
    faults = [f for c in callers.values() for f in c.faults]
    report(
        "token-abuse", world.platform.backend, Counter(), rpcs=covered, forgeries=len(tokens),
        requests=sum(answers.values()), accepted=len(wrong), internal=len(faults), answers=dict(answers),
    )  # fmt: skip
    assert not faults, "\n".join(faults[:20])
    assert not wrong, f"{len(wrong)} forged calls not refused as UNAUTHENTICATED:\n" + "\n".join(
        wrong[:40]
    )


# Refused at the gateway before any cell is asked: the cells' database changes nothing (the
# gRPC test above runs on PostgreSQL too).
@pytest.mark.sqlite_only
def test_no_forged_or_missing_token_is_accepted_over_http(world: World, rpcs: list[Rpc]) -> None:
    through = HttpCaller(world.platform.http_port)
    tokens: dict[str, str | None] = {**forgeries(world), "no Authorization header": None}
    wrong: list[str] = []
    covered = 0
    for rpc in rpcs:
        rule = rule_for(rpc.full_name)
        if rule.access == "public" or binding_of(rpc) is None:
            continue
        covered += 1
        # A target the binding's path can carry (else the router refuses it, token or not).
        aims = rule.targets or (("", "cell"),)
        candidates = [aimed(rpc, p, t.value) for p, kind in aims for t in world.targets[kind]]
        request = next((r for r in candidates if fits(rpc, r)), candidates[0])
        for name, token in tokens.items():
            md = [("x-rhip-region", "320311")]
            if token is not None:
                md.append(("authorization", f"Bearer {token}"))
            outcome = through.call(rpc, request, md, label=name)
            if outcome.code is not UNAUTH or outcome.status != 401:
                wrong.append(f"{rpc.name} with {name}: HTTP {outcome.status} {outcome.code.name}")
    # Control: the genuine token gets past authentication over HTTP as well.
    genuine = through.call(
        rpcs_named(rpcs, "ListTenants"),
        aimed(rpcs_named(rpcs, "ListTenants"), "parent", "regions/320311"),
        list(world.admin),
    )
    assert genuine.ok, genuine
    report(
        "token-abuse-http", world.platform.backend, through.counts, rpcs=covered,
        forgeries=len(tokens), accepted=len(wrong), internal=len(through.faults),
    )  # fmt: skip
    assert covered >= 80
    assert not through.faults, "\n".join(through.faults[:20])
    assert not wrong, f"{len(wrong)} calls not refused with 401:\n" + "\n".join(wrong[:40])


def rpcs_named(rpcs: list[Rpc], name: str) -> Rpc:
    return next(rpc for rpc in rpcs if rpc.name == name)
