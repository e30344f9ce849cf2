"""Across cells, two things a teleconsultation must keep for good (issues 15 and 17):

- its opinion report verifies after the consulting cell rotated its signing key: Zaozhuang
  restarts with RHIP_SIGNING_KEY=B and its old key retired; a report signed with the old key
  (a replica not yet restarted) is accepted by Xuzhou, which fetches the key by its id from
  Zaozhuang's published keys, and verifies offline with them; a key Zaozhuang never held is
  refused;
- the ids of an agreement and a request across cells are UUIDv7 from the first attempt: a
  retry after a lost answer names the same teleconsultation, and a later request sorts after.

Two cells per backend behind a gateway, this module's own (it restarts Zaozhuang)."""

from __future__ import annotations

import base64
import os
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from archives.two_cells import TIMEOUT, TwoCells
from google.protobuf.timestamp_pb2 import Timestamp
from referral.test_teleconsultation_across_cells import (  # the module's helpers and platform
    XZ,
    ZZ,
    _agreement,
    _answer_lost,
    _api,
    _digest,
    _get,
    _login,
    _request,
    _resident,
    _tele_peers,
    cells,
)
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as pb
from rhip.kit.authn import acting_as
from rhip.kit.config import load_settings
from rhip.kit.errors import FailedPrecondition
from rhip.referral.teleconsults.domain import TState
from rhip.referral.teleconsults.signing import ReportSigner, signature_valid
from support.cells import start_cell
from support.errors import expect_error

__all__ = ["cells"]  # the platform fixture, one per module


def _uuid7_ms(name: str) -> int:
    """The Unix milliseconds of a UUIDv7 resource name (``…/{id}``)."""
    value = uuid.UUID(name.rsplit("/", 1)[1])
    assert value.version == 7, name
    return value.int >> 80


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_ids_across_cells_are_uuid7_of_the_first_attempt_and_the_same_on_retry(
    cells: TwoCells,
) -> None:
    t, api = cells, _api(cells)
    xz, clinic_doctor, _ = _login(t, "xz-doctor-3", XZ)
    zz, zz_doctor, _ = _login(t, "zz-doctor-5", ZZ)
    clinic, hospital = clinic_doctor.tenant_id, zz_doctor.tenant_id
    started = _now_ms()
    agreement = _agreement(t, clinic, hospital)
    assert started <= _uuid7_ms(agreement.name) <= _now_ms()
    resident = _resident(t, xz, "32031219900505052")
    sent = _request(resident, hospital, str(uuid.uuid4()))
    first = _now_ms()
    with _answer_lost(_tele_peers(t, XZ), "open_teleconsultation"):
        expect_error(
            lambda: api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    lost = _now_ms()
    time.sleep(0.05)
    # The retry: the id the other cell holds, with the time of the first attempt.
    requested = api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT)
    assert first <= _uuid7_ms(requested.name) <= lost
    assert _get(t, requested.name, zz).state == tpb.TELECONSULTATION_STATE_REQUESTED
    # A later request sorts after it: both cells list it first (newest first, by id).
    later = api.RequestTeleconsultation(
        _request(resident, hospital, str(uuid.uuid4())), metadata=xz, timeout=TIMEOUT
    )
    assert requested.name < later.name
    for md, tenant in ((xz, clinic), (zz, hospital)):
        listed = [
            tc.name
            for tc in api.ListTeleconsultations(
                pb.ListTeleconsultationsRequest(parent=f"tenants/{tenant}"), metadata=md,
                timeout=TIMEOUT,
            ).teleconsultations
        ]  # fmt: skip
        assert listed.index(later.name) < listed.index(requested.name)


def _restart_rotated(t: TwoCells, code: str) -> bytes:
    """Restart the cell ``code`` on its port with a new signing key, its old one retired;
    the old signing secret (its cell secret) is returned."""
    old = t.cells[code]
    settings, port = old.cell.settings, old.cell.port
    assert settings.secret_key is not None and settings.signing_key is None
    old.channel.close()
    old.cell.stop(0)
    rotated = load_settings(
        {
            **settings.env,
            "RHIP_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
            "RHIP_RETIRED_SIGNING_KEYS": base64.b64encode(settings.secret_key).decode(),
        }
    )
    t.cells[code] = start_cell(rotated, f"127.0.0.1:{port}")
    return settings.secret_key


def _published(t: TwoCells, code: str) -> pb.ReportSigningKey:
    """The cell's published report keys, once the gateway reaches it again."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return _api(t).GetReportSigningKey(
                pb.GetReportSigningKeyRequest(), metadata=[("x-rhip-region", code)],
                timeout=TIMEOUT, wait_for_ready=True,
            )  # fmt: skip
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_report_signed_before_the_consulting_cell_rotated_its_key_still_verifies(
    cells: TwoCells,
) -> None:
    t, api = cells, _api(cells)
    xz, clinic_doctor, _ = _login(t, "xz-doctor-3", XZ)
    zz, zz_doctor, zz_token = _login(t, "zz-doctor-5", ZZ)
    before = _published(t, ZZ)
    assert [k.key_id for k in before.keys] == [before.key_id] and before.keys[0].current
    _agreement(t, clinic_doctor.tenant_id, zz_doctor.tenant_id)
    resident = _resident(t, xz, "32031219900606063")
    opened = api.RequestTeleconsultation(
        _request(resident, zz_doctor.tenant_id, str(uuid.uuid4())), metadata=xz, timeout=TIMEOUT
    ).name
    api.AcceptTeleconsultation(
        pb.AcceptTeleconsultationRequest(
            name=opened, professional_title="主任医师", independent_practice_since="2010-09-01"
        ),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    when = Timestamp()
    when.FromDatetime(datetime.now(UTC) + timedelta(hours=2))
    api.ScheduleTeleconsultation(
        pb.ScheduleTeleconsultationRequest(name=opened, scheduled_time=when), metadata=xz
    )
    api.StartTeleconsultation(pb.StartTeleconsultationRequest(name=opened), metadata=zz)
    api.EndTeleconsultation(pb.EndTeleconsultationRequest(name=opened), metadata=xz)

    old_secret = _restart_rotated(t, ZZ)
    after = _published(t, ZZ)
    old_key = ReportSigner(old_secret)
    assert after.key_id != before.key_id and after.public_key != before.public_key
    assert [(k.key_id, k.current) for k in after.keys] == [
        (after.key_id, True), (before.key_id, False),
    ]  # fmt: skip
    assert after.keys[1].public_key == before.public_key == old_key.public_key

    teleconsults = t.cells[ZZ].cell.part("referral").teleconsults
    with acting_as(zz_doctor, zz_token):
        here = teleconsults.get(opened)
        signed = datetime.now(UTC)
        digest = _digest(here, "建议住院观察", signed)

        def relayed(signer: ReportSigner) -> dict[str, object]:
            return {
                "text": "建议住院观察", "physician": zz_doctor.subject, "digest": digest,
                "inpatient": False, "signature": signer.sign(digest), "key_id": signer.key_id,
                "sign_time": signed.isoformat(),
            }  # fmt: skip

        # A key Zaozhuang never held: Xuzhou finds no such published key and refuses.
        with pytest.raises(FailedPrecondition) as refused:
            stranger = ReportSigner(os.urandom(32))
            moved = replace(here, state=TState.REPORTED, report=relayed(stranger))
            teleconsults.tele_peers.relay("320312", moved)
        assert refused.value.reason == "REPORT_SIGNATURE_INVALID"
        # Signed by the retired key (a Zaozhuang replica not yet restarted): accepted.
        teleconsults.tele_peers.relay(
            "320312", replace(here, state=TState.REPORTED, report=relayed(old_key))
        )
    kept = _get(t, opened, xz).report
    assert kept.key_id == before.key_id and _get(t, opened, xz).state == (
        tpb.TELECONSULTATION_STATE_REPORTED
    )
    # Offline, by its key id, with what Zaozhuang publishes now.
    published = {k.key_id: k.public_key for k in after.keys}
    assert signature_valid(published[kept.key_id], kept.signature, kept.digest)
    assert not signature_valid(after.public_key, kept.signature, kept.digest)
