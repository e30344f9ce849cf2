"""Signing-key rotation (rhip.kit.signing_keys): sign with key A, rotate to B with A retired,
and what A signed (an e-health-card payload, a birth certificate's printed code, an opinion
report) still verifies offline with the published keys, while new ones are signed by B; a key
the cell never held is refused; a bad retired key stops the start naming the variable; the
personal-data keys do not follow the rotation."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest
from rhip.cli import main
from rhip.kit.authn import public_key_from_jwk
from rhip.kit.config import ConfigError, load_settings
from rhip.kit.healthcard import CardSigner, QrClaims, QrOutcome, QrRejected, QrType, verify_offline
from rhip.kit.pii import PiiVault
from rhip.kit.signed_codes import CodeSigner, key_from_jwk, verify_code
from rhip.kit.signing_keys import SigningSecrets, signing_secrets
from rhip.mch.certificates.verification import SIGNING_LABEL
from rhip.referral.teleconsults.signing import ReportSigner, signature_valid

A, B, C = (bytes([n]) * 32 for n in (0xA1, 0xB2, 0xC3))
ROTATED = SigningSecrets(B, (A,))


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _claims(kid: str) -> QrClaims:
    return QrClaims("AB" * 32, QrType.STATIC, 0, "320000", 1, "-", kid)


def _published(jwks: list[dict[str, str]]) -> dict:  # type: ignore[type-arg]
    """What a scanner makes of the published JSON Web Keys (as the RPCs send them, JSON)."""
    return {k["kid"]: public_key_from_jwk(k) for k in map(json.loads, map(json.dumps, jwks))}


def test_a_card_payload_signed_before_a_rotation_still_verifies_offline() -> None:
    before = CardSigner(A)
    old = before.sign(_claims(before.kid))
    after = CardSigner(A, ROTATED)  # the cell secret stays A; B signs, A is retired
    jwks = after.public_jwks()
    assert [k["kid"] for k in jwks] == [after.kid, before.kid] and after.kid != before.kid
    published = _published(jwks)
    assert verify_offline(old, published, time.time()).kid == before.kid
    new = after.sign(_claims(after.kid))
    assert verify_offline(new, published, time.time()).kid == after.kid
    assert verify_offline(new, {after.kid: published[after.kid]}, time.time())
    # The card id is the cell secret's, not the signing key's: the same for life.
    assert after.card_id("resident-1") == before.card_id("resident-1")
    # A key the cell never held: refused, whatever kid the payload names.
    stranger = CardSigner(C)
    with pytest.raises(QrRejected) as unknown:
        verify_offline(stranger.sign(_claims(stranger.kid)), published, time.time())
    assert unknown.value.outcome is QrOutcome.FORGED
    # Without the retired key (before this change), the old payload no longer verified.
    with pytest.raises(QrRejected):
        verify_offline(old, {after.kid: published[after.kid]}, time.time())


def test_a_printed_certificate_code_signed_before_a_rotation_still_verifies() -> None:
    fields = ("BMC1", "X320101001", "ab" * 32, "320000")
    old = CodeSigner(A, SIGNING_LABEL).sign(fields)
    after = CodeSigner(ROTATED, SIGNING_LABEL)
    published = {k["kid"]: key_from_jwk(json.dumps(k)) for k in after.public_jwks()}
    assert len(published) == 2 and next(iter(published)) == after.kid
    assert verify_code(old, published, 4) == list(fields)
    assert verify_code(old, after.keys, 4) == list(fields)  # the service's own check
    new = after.sign(fields)
    assert new.split(":")[4] == after.kid and verify_code(new, published, 4) == list(fields)
    assert verify_code(CodeSigner(C, SIGNING_LABEL).sign(fields), published, 4) is None
    # A signature of a retired key under the current key's id is refused too.
    body, signature = old.rsplit(":", 1)
    relabelled = body.replace(CodeSigner(A, SIGNING_LABEL).kid, after.kid) + ":" + signature
    assert verify_code(relabelled, published, 4) is None


def test_an_opinion_report_signed_before_a_rotation_still_verifies_by_its_key_id() -> None:
    digest = "0f" * 32
    before = ReportSigner(A)
    signature, kid = before.sign(digest), before.key_id
    after = ReportSigner(ROTATED)
    published = after.published()
    assert list(published) == [after.key_id, kid] and after.key_id.startswith("report-")
    assert signature_valid(published[kid], signature, digest)
    assert after.public_key_of(kid) == before.public_key and after.public_key_of("report-x") == ""
    assert not signature_valid(published[after.key_id], signature, digest)
    assert signature_valid(after.public_key, after.sign(digest), digest)
    assert ReportSigner(C).key_id not in published


def test_without_a_rotation_the_keys_are_those_of_the_cell_secret() -> None:
    """A cell that sets neither RHIP_SIGNING_KEY nor retired keys signs exactly as before."""
    settings = load_settings({"RHIP_SECRET_KEY": _b64(A)})
    secrets = signing_secrets(settings, A)
    assert secrets == SigningSecrets(A)
    assert CardSigner(A, secrets).kid == CardSigner(A).kid
    assert [k["kid"] for k in CardSigner(A, secrets).public_jwks()] == [CardSigner(A).kid]
    rotated = load_settings(
        {
            "RHIP_SECRET_KEY": _b64(A),
            "RHIP_SIGNING_KEY": _b64(B),
            "RHIP_RETIRED_SIGNING_KEYS": f" {_b64(A)} , {_b64(C)}",
        }
    )
    assert signing_secrets(rotated, A) == SigningSecrets(B, (A, C))
    assert str(A) not in repr(rotated) and str(B) not in repr(rotated)  # secrets never printed


def test_personal_data_keys_do_not_follow_the_signing_rotation() -> None:
    """Digests and sealed values are the cell secret's (RHIP_SECRET_KEY), which a signing
    rotation leaves alone: what was stored before is found and opened after."""
    vault = PiiVault(A)
    sealed = vault.seal("32031119800101001X", "resident-1")
    settings = load_settings(
        {
            "RHIP_SECRET_KEY": _b64(A),
            "RHIP_SIGNING_KEY": _b64(B),
            "RHIP_RETIRED_SIGNING_KEYS": _b64(A),
        }
    )
    assert settings.secret_key == A
    after = PiiVault(settings.secret_key)
    assert after.lookup_hash("32031119800101001X") == vault.lookup_hash("32031119800101001X")
    assert after.open(sealed, "resident-1") == "32031119800101001X"


@pytest.mark.parametrize(
    ("retired", "message"),
    [
        ("not base64!", "RHIP_RETIRED_SIGNING_KEYS entry 1 must be base64"),
        (f"{_b64(A)},{_b64(b'short')}", "RHIP_RETIRED_SIGNING_KEYS entry 2 must decode to 32"),
        (f"{_b64(A)},,{_b64(C)}", "RHIP_RETIRED_SIGNING_KEYS: entry 2 is empty"),
        (f"{_b64(A)},{_b64(A)}", "RHIP_RETIRED_SIGNING_KEYS: entry 2 repeats"),
        (_b64(B), "RHIP_RETIRED_SIGNING_KEYS: entry 1 is the current signing secret"),
    ],
)
def test_a_bad_retired_key_fails_fast_naming_the_variable_not_the_value(
    retired: str, message: str
) -> None:
    env = {"RHIP_SECRET_KEY": _b64(A), "RHIP_SIGNING_KEY": _b64(B)}
    with pytest.raises(ConfigError, match=message) as error:
        load_settings({**env, "RHIP_RETIRED_SIGNING_KEYS": retired})
    assert _b64(A) not in str(error.value) and _b64(B) not in str(error.value)


def test_a_bad_signing_key_fails_fast_and_the_cell_secret_cannot_be_current_and_retired() -> None:
    with pytest.raises(ConfigError, match="RHIP_SIGNING_KEY must decode to 32 bytes"):
        load_settings({"RHIP_SECRET_KEY": _b64(A), "RHIP_SIGNING_KEY": _b64(b"short")})
    with pytest.raises(ConfigError, match="entry 1 is the current signing secret"):
        load_settings({"RHIP_SECRET_KEY": _b64(A), "RHIP_RETIRED_SIGNING_KEYS": _b64(A)})
    # In development the cell secret may come from a file, known only at the start.
    settings = load_settings({"RHIP_RETIRED_SIGNING_KEYS": _b64(A)})
    with pytest.raises(ConfigError, match="lists the current signing secret"):
        signing_secrets(settings, A)


def test_a_bad_retired_key_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RHIP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RHIP_SECRET_KEY", _b64(os.urandom(32)))
    monkeypatch.setenv("RHIP_RETIRED_SIGNING_KEYS", "c2hvcnQ=")  # "short"
    assert main(["serve", "--services", "identity", "--listen", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err
    assert "configuration error: RHIP_RETIRED_SIGNING_KEYS entry 1 must decode to 32 bytes" in err
    assert not (tmp_path / "320000").exists()  # stopped before any database was made
