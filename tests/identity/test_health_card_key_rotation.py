"""A signing-key rotation of a running cell (rhip.kit.signing_keys), on SQLite and PostgreSQL:
the cell restarts with RHIP_SIGNING_KEY=B and its old key retired; a static e-health-card code
made before still scans VALID at the cell and verifies offline with the published keys, new
codes are signed by B, a code of a key the cell never held is FORGED, and the residents stored
before are still found by their ID numbers (the keyed digests did not follow the rotation)."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

from conftest import make_settings
from rhip.api.identity.v1 import health_card_pb2 as card_pb
from rhip.kit.authn import public_key_from_jwk
from rhip.kit.config import load_settings
from rhip.kit.healthcard import CardSigner, QrClaims, parse, verify_offline
from support.cells import RunningCell, build_world, start_cell
from support.residents import XUZHOU_MAN, pb, register_request, stub

STATIC = card_pb.QR_CODE_TYPE_STATIC


def _stop(running: RunningCell) -> None:
    running.channel.close()
    running.cell.stop(0)


def _static_code(running: RunningCell, card_name: str) -> str:
    return (
        stub(running.channel)
        .CreateHealthCardQrCode(
            pb.CreateHealthCardQrCodeRequest(name=card_name, type=STATIC),
            metadata=running.md("qs-doctor"),
        )
        .payload
    )


def _scan(running: RunningCell, payload: str) -> int:
    return (
        stub(running.channel)
        .VerifyHealthCardQrCode(
            pb.VerifyHealthCardQrCodeRequest(payload=payload), metadata=running.md("qs-doctor")
        )
        .outcome
    )


def _published(running: RunningCell) -> list[dict[str, str]]:
    keys = stub(running.channel).GetHealthCardKeys(pb.GetHealthCardKeysRequest())  # no token
    return [json.loads(k) for k in keys.keys_json]


def test_codes_made_before_a_rotation_still_verify_and_new_ones_use_the_new_key(
    tmp_path: Path, database_url: str
) -> None:
    old_secret = make_settings(tmp_path, database_url).env["RHIP_SECRET_KEY"]
    before = make_settings(tmp_path, database_url, RHIP_SECRET_KEY=old_secret)
    running = start_cell(before)
    try:
        build_world(running)
        api, md = stub(running.channel), running.md("qs-doctor")
        resident = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident
        card = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident.name), metadata=md)
        old_code = _static_code(running, card.name)
        (old_key,) = _published(running)
    finally:
        _stop(running)

    new_secret = base64.b64encode(os.urandom(32)).decode()
    after = load_settings(
        {**before.env, "RHIP_SIGNING_KEY": new_secret, "RHIP_RETIRED_SIGNING_KEYS": old_secret}
    )
    running = start_cell(after)
    try:
        published = _published(running)
        # The new key first (it signs), then the retired one, each with its kid.
        assert [k["kid"] for k in published][1:] == [old_key["kid"]]
        assert published[1] == old_key and published[0]["kid"] != old_key["kid"]
        keys = {k["kid"]: public_key_from_jwk(k) for k in published}
        # What was made before: offline with the published keys, and at the cell.
        assert verify_offline(old_code, keys, time.time()).kid == old_key["kid"]
        assert _scan(running, old_code) == card_pb.QR_VERIFY_OUTCOME_VALID
        new_code = _static_code(running, card.name)
        assert parse(new_code)[0].kid == published[0]["kid"]
        assert _scan(running, new_code) == card_pb.QR_VERIFY_OUTCOME_VALID
        # Same card id for life: the card-id key is the cell secret's, not the signing key's.
        assert parse(new_code)[0].card_id == parse(old_code)[0].card_id == card.card_id
        # A key the cell never held.
        claims = parse(old_code)[0]
        stranger = CardSigner(os.urandom(32))
        forged = stranger.sign(QrClaims(**{**claims.__dict__, "kid": stranger.kid}))
        assert _scan(running, forged) == card_pb.QR_VERIFY_OUTCOME_FORGED
        # The keyed digest of the ID number still matches: registering the same person again
        # finds the resident stored before the rotation.
        again = stub(running.channel).RegisterResident(
            register_request(XUZHOU_MAN), metadata=running.md("qs-doctor")
        )
        assert not again.created and again.resident.name == resident.name
    finally:
        _stop(running)
