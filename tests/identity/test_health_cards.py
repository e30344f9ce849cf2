"""Electronic health cards over gRPC on SQLite and PostgreSQL: issue, stable id, dynamic and
static payloads, offline verification with the published key, and every refusal reason."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
from rhip.api.identity.v1 import health_card_pb2 as card_pb
from rhip.identity.settings import load_identity_settings
from rhip.kit.authn import public_key_from_jwk
from rhip.kit.config import Settings
from rhip.kit.healthcard import CardSigner, QrClaims, QrType, parse, verify_offline
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import XUZHOU_MAN, pb, register_request, stub

DYNAMIC = card_pb.QR_CODE_TYPE_DYNAMIC
STATIC = card_pb.QR_CODE_TYPE_STATIC


def _carded(running: RunningCell) -> tuple[str, card_pb.HealthCard]:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    resident = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident
    card = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident.name), metadata=md)
    return resident.name, card


def _qr(running: RunningCell, card: card_pb.HealthCard, qr_type: int = DYNAMIC) -> str:
    return (
        stub(running.channel)
        .CreateHealthCardQrCode(
            pb.CreateHealthCardQrCodeRequest(name=card.name, type=qr_type),
            metadata=running.md("qs-doctor"),
        )
        .payload
    )


def _scan(running: RunningCell, payload: str, who: str = "ts-doctor"):  # type: ignore[no-untyped-def]
    return stub(running.channel).VerifyHealthCardQrCode(
        pb.VerifyHealthCardQrCodeRequest(payload=payload), metadata=running.md(who)
    )


def test_card_id_is_64_hex_and_stable_across_reissue(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    resident, card = _carded(running)
    assert len(card.card_id) == 64 and int(card.card_id, 16) >= 0
    assert card.state == card_pb.HEALTH_CARD_STATE_ACTIVE and card.generation == 1
    again = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident), metadata=md)
    assert again.generation == 1  # idempotent while active
    old_payload = _qr(running, card)
    revoked = api.RevokeHealthCard(
        pb.RevokeHealthCardRequest(name=card.name, reason="lost phone"), metadata=md
    )
    assert revoked.state == card_pb.HEALTH_CARD_STATE_REVOKED
    assert _scan(running, old_payload).outcome == card_pb.QR_VERIFY_OUTCOME_REVOKED
    expect_error(
        lambda: api.CreateHealthCardQrCode(
            pb.CreateHealthCardQrCodeRequest(name=card.name, type=DYNAMIC), metadata=md
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CARD_NOT_ACTIVE",
    )
    reissued = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident), metadata=md)
    assert reissued.card_id == card.card_id and reissued.generation == 2
    assert _scan(running, old_payload).outcome == card_pb.QR_VERIFY_OUTCOME_REVOKED
    assert _scan(running, _qr(running, reissued)).outcome == card_pb.QR_VERIFY_OUTCOME_VALID


def test_dynamic_payload_is_single_use_and_enrolls_the_scanning_tenant(
    running: RunningCell, world: World
) -> None:
    resident, card = _carded(running)
    payload = _qr(running, card)
    # Nanjing cannot see the Xuzhou resident until the resident shows the code there.
    expect_error(
        lambda: stub(running.channel).GetResident(
            pb.GetResidentRequest(name=resident), metadata=running.md("nj-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    first = _scan(running, payload, "nj-doctor")
    assert first.outcome == card_pb.QR_VERIFY_OUTCOME_VALID and first.resident == resident
    assert first.card_id == card.card_id and first.type == DYNAMIC
    assert _scan(running, payload, "nj-doctor").outcome == card_pb.QR_VERIFY_OUTCOME_REUSED
    seen = stub(running.channel).GetResident(
        pb.GetResidentRequest(name=resident), metadata=running.md("nj-doctor")
    )
    assert seen.name == resident


def test_static_payload_repeats_but_answers_only_those_who_see_the_resident(
    running: RunningCell, world: World
) -> None:
    _, card = _carded(running)
    payload = _qr(running, card, STATIC)
    for _ in range(2):
        assert _scan(running, payload, "qs-doctor").outcome == card_pb.QR_VERIFY_OUTCOME_VALID
    expect_error(lambda: _scan(running, payload, "nj-doctor"), grpc.StatusCode.PERMISSION_DENIED)


def test_forged_expired_malformed_and_wrong_region_payloads(
    running: RunningCell, world: World, settings: Settings
) -> None:
    _, card = _carded(running)
    payload = _qr(running, card)
    claims, _, _ = parse(payload)
    body, signature = payload.rsplit(":", 1)
    tampered = body.replace(
        card.card_id, card.card_id[:-1] + ("0" if card.card_id[-1] != "0" else "1")
    )
    assert _scan(running, f"{tampered}:{signature}").outcome == card_pb.QR_VERIFY_OUTCOME_FORGED
    # Signed with another secret: a look-alike key that the cell does not hold.
    impostor = CardSigner(b"\x01" * 32).sign(claims)
    assert _scan(running, impostor).outcome == card_pb.QR_VERIFY_OUTCOME_FORGED
    # Genuinely signed by this cell's key, but past its time or naming another region.
    assert settings.secret_key is not None
    signer = CardSigner(settings.secret_key)
    past = signer.sign(QrClaims(**{**claims.__dict__, "valid_until": int(time.time()) - 1}))
    assert _scan(running, past).outcome == card_pb.QR_VERIFY_OUTCOME_EXPIRED
    elsewhere = signer.sign(QrClaims(**{**claims.__dict__, "region": "370000"}))
    assert _scan(running, elsewhere).outcome == card_pb.QR_VERIFY_OUTCOME_WRONG_REGION
    assert _scan(running, "E1D10AAC:1").outcome == card_pb.QR_VERIFY_OUTCOME_MALFORMED
    expect_error(lambda: _scan(running, "  "), grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_REQUIRED")


def test_payloads_verify_offline_with_the_published_key(running: RunningCell, world: World) -> None:
    _, card = _carded(running)
    payload = _qr(running, card)
    keys = stub(running.channel).GetHealthCardKeys(pb.GetHealthCardKeysRequest())  # no token
    assert keys.region == "320000"
    jwks = [json.loads(k) for k in keys.keys_json]
    public = {k["kid"]: public_key_from_jwk(k) for k in jwks}
    claims = verify_offline(payload, public, time.time())
    assert claims.card_id == card.card_id and claims.qr_type is QrType.DYNAMIC


def test_dynamic_ttl_follows_region_config(tmp_path: Path, database_url: str) -> None:
    from conftest import make_settings
    from support.cells import build_world, start_cell

    settings = make_settings(
        tmp_path,
        database_url,
        RHIP_CARD_QR_TTL_BY_REGION="320300=30",
        RHIP_CARD_QR_TTL_SECONDS="90",
    )
    options = load_identity_settings(settings.env)
    assert options.card_qr_ttl("320311") == 30 and options.card_qr_ttl("320106") == 90
    running = start_cell(settings)
    try:
        build_world(running)
        _, card = _carded(running)
        code = stub(running.channel).CreateHealthCardQrCode(
            pb.CreateHealthCardQrCodeRequest(name=card.name, type=DYNAMIC),
            metadata=running.md("qs-doctor"),
        )
        left = code.expire_time.ToDatetime(UTC) - datetime.now(UTC)
        assert 25 <= left.total_seconds() <= 30
    finally:
        running.channel.close()
        running.cell.stop(0)
