"""Teleconsultation (docs/domain §5.2, §9; issue 17): agreements by regional administrators;
§10 scenario 23 (no consent → CONSENT_REQUIRED, no agreement → AGREEMENT_REQUIRED, a decline
without a reason refused); the whole flow to the inviting physician's decision, with the
opinion report signed by the consulting physician and verifiable by anyone with the published
key; the recording's retention (an earlier delete refused and audited)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.timestamp_pb2 import Timestamp
from referral.conftest import Referrals
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc, user_pb2
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as pb
from rhip.api.referral.v1 import teleconsultation_service_pb2_grpc
from rhip.kit.config import ConfigError
from rhip.kit.schema import audit_event
from rhip.referral.settings import load_practice_years, load_recording_days
from sqlalchemy import select
from support.errors import expect_error


def _stub(r: Referrals) -> teleconsultation_service_pb2_grpc.TeleconsultationServiceStub:
    return teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(r.running.channel)


def _agreement(r: Referrals, who: str = "qs-admin", **changes: str) -> tpb.CooperationAgreement:
    values = {
        "inviting_tenant": r.tenant("qs-chc"),
        "invited_tenant": r.tenant("qs-hosp"),
        "scope": "远程会诊、远程影像诊断",
        "start_date": (date.today() - timedelta(days=1)).isoformat(),
        "end_date": (date.today() + timedelta(days=365)).isoformat(),
        "liability": "邀请方承担诊疗决定责任；受邀方对会诊意见负责",
    }
    values.update(changes)
    return _stub(r).CreateCooperationAgreement(
        pb.CreateCooperationAgreementRequest(agreement=tpb.CooperationAgreement(**values)),
        metadata=r.md(who),
    )


def _request(r: Referrals, **changes) -> pb.RequestTeleconsultationRequest:  # type: ignore[no-untyped-def]
    values = {
        "invited_tenant": r.tenant("qs-hosp"),
        "resident": r.resident,
        "reason": "血压控制不佳，疑继发性高血压",
        "purpose": "明确诊断，调整方案",
        "record_summary": "高血压5年，三联用药血压仍160/100",
        "specialty": "心血管内科",
        "title_wanted": "主任医师",
        "consent": tpb.TeleconsultationConsent(
            signer="patient", consent_date=date.today().isoformat(), reference="知情同意书-7"
        ),
    }
    values.update(changes)
    return pb.RequestTeleconsultationRequest(teleconsultation=tpb.Teleconsultation(**values))


def _accept(name: str, **changes: str) -> pb.AcceptTeleconsultationRequest:
    values = {"professional_title": "主任医师", "independent_practice_since": "2010-09-01"}
    values.update(changes)
    return pb.AcceptTeleconsultationRequest(name=name, **values)


def test_scenario_23_consent_and_agreement_are_required_and_a_decline_needs_a_reason(
    referrals: Referrals,
) -> None:
    r = referrals
    api, clinic = _stub(r), r.md("qs-doctor")
    # No agreement with the invited institution.
    expect_error(
        lambda: api.RequestTeleconsultation(_request(r), metadata=clinic),
        grpc.StatusCode.FAILED_PRECONDITION,
        "AGREEMENT_REQUIRED",
    )
    # Clinicians do not record agreements; the county administrator does.
    expect_error(lambda: _agreement(r, "qs-doctor"), grpc.StatusCode.PERMISSION_DENIED)
    expect_error(lambda: _agreement(r, "nj-admin"), grpc.StatusCode.PERMISSION_DENIED)
    _agreement(r)
    # No consent on file.
    expect_error(
        lambda: api.RequestTeleconsultation(
            _request(r, consent=tpb.TeleconsultationConsent()), metadata=clinic
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_REQUIRED",
        "teleconsultation.consent",
    )
    expect_error(
        lambda: api.RequestTeleconsultation(
            _request(r, consent=tpb.TeleconsultationConsent(signer="guardian")), metadata=clinic
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_REQUIRED",
    )
    assert not api.ListTeleconsultations(
        pb.ListTeleconsultationsRequest(parent=r.tenant("qs-chc")), metadata=clinic
    ).teleconsultations  # nothing written
    requested = api.RequestTeleconsultation(_request(r), metadata=clinic)
    assert requested.state == tpb.TELECONSULTATION_STATE_REQUESTED
    hosp = r.md("qs-hosp-doctor")
    expect_error(
        lambda: api.DeclineTeleconsultation(
            pb.DeclineTeleconsultationRequest(name=requested.name), metadata=hosp
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
        "reason",
    )
    declined = api.DeclineTeleconsultation(
        pb.DeclineTeleconsultationRequest(name=requested.name, reason="本周无相关专家"),
        metadata=hosp,
    )
    assert declined.state == tpb.TELECONSULTATION_STATE_DECLINED
    assert declined.reason_closed == "本周无相关专家"


def test_an_agreement_out_of_force_does_not_cover_a_request(referrals: Referrals) -> None:
    r = referrals
    ended = (date.today() - timedelta(days=1)).isoformat()
    _agreement(r, start_date="2020-01-01", end_date=ended)
    expect_error(
        lambda: _stub(r).RequestTeleconsultation(_request(r), metadata=r.md("qs-doctor")),
        grpc.StatusCode.FAILED_PRECONDITION,
        "AGREEMENT_REQUIRED",
    )
    expect_error(
        lambda: _agreement(r, start_date="2026-02-01", end_date="2026-01-01"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DATE_ORDER",
        "agreement.end_date",
    )


def test_a_teleconsultation_from_request_to_decision_with_a_verifiable_signed_report(
    referrals: Referrals,
) -> None:
    r = referrals
    api, clinic, hosp = _stub(r), r.md("qs-doctor"), r.md("qs-hosp-doctor")
    _agreement(r)
    t = api.RequestTeleconsultation(_request(r), metadata=clinic)
    expect_error(  # the inviting side does not accept its own invitation
        lambda: api.AcceptTeleconsultation(_accept(t.name), metadata=clinic),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    expect_error(  # another institution sees nothing
        lambda: api.GetTeleconsultation(
            pb.GetTeleconsultationRequest(name=t.name), metadata=r.md("ts-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    accepted = api.AcceptTeleconsultation(_accept(t.name), metadata=hosp)
    physician = f"user:{r.world.users['qs-hosp-doctor']}"
    assert accepted.consulting_physician == physician
    assert accepted.consulting_physician_title == "主任医师"
    assert accepted.consulting_physician_practice_since == "2010-09-01"
    when = Timestamp()
    when.FromDatetime(datetime.now(UTC) + timedelta(hours=2))
    api.ScheduleTeleconsultation(
        pb.ScheduleTeleconsultationRequest(name=t.name, scheduled_time=when), metadata=clinic
    )
    expect_error(  # no cancellation without a reason; none once the session started
        lambda: api.CancelTeleconsultation(
            pb.CancelTeleconsultationRequest(name=t.name), metadata=clinic
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    api.StartTeleconsultation(pb.StartTeleconsultationRequest(name=t.name), metadata=hosp)
    expect_error(
        lambda: api.CancelTeleconsultation(
            pb.CancelTeleconsultationRequest(name=t.name, reason="改期"), metadata=clinic
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TELECONSULTATION_STATE",
    )
    api.EndTeleconsultation(
        pb.EndTeleconsultationRequest(name=t.name, recording="rec://320000/tc/1"), metadata=hosp
    )
    report = pb.SubmitOpinionReportRequest(
        name=t.name, report=tpb.OpinionReport(text="考虑原发性醛固酮增多症，建议查肾素-醛固酮")
    )
    expect_error(  # the inviting clinician cannot sign the consultant's report
        lambda: api.SubmitOpinionReport(report, metadata=clinic),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    reported = api.SubmitOpinionReport(report, metadata=hosp)
    assert reported.state == tpb.TELECONSULTATION_STATE_REPORTED
    signed = reported.report
    assert signed.physician == physician and len(signed.digest) == 64
    # Anyone verifies the signature with the published key (no token).
    key = api.GetReportSigningKey(pb.GetReportSigningKeyRequest())
    assert key.key_id == signed.key_id
    raw = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
    signature = base64.urlsafe_b64decode(signed.signature + "=" * (-len(signed.signature) % 4))
    Ed25519PublicKey.from_public_bytes(raw).verify(signature, signed.digest.encode())
    expect_error(  # only the inviting side decides
        lambda: api.DecideTeleconsultation(
            pb.DecideTeleconsultationRequest(name=t.name, decision="采纳"), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    closed = api.DecideTeleconsultation(
        pb.DecideTeleconsultationRequest(name=t.name, decision="采纳会诊意见，转上级医院检查"),
        metadata=clinic,
    )
    assert closed.state == tpb.TELECONSULTATION_STATE_CLOSED
    # Both institutions keep it on file.
    for who, tenant in (("qs-doctor", "qs-chc"), ("qs-hosp-doctor", "qs-hosp")):
        listed = api.ListTeleconsultations(
            pb.ListTeleconsultationsRequest(parent=r.tenant(tenant)), metadata=r.md(who)
        )
        assert [x.name for x in listed.teleconsultations] == [t.name]

    # The recording is kept 3 years: deleting it now is refused, and the refusal audited.
    expect_error(
        lambda: api.DeleteTeleconsultationRecording(
            pb.DeleteTeleconsultationRecordingRequest(name=t.name), metadata=hosp
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RETENTION_PERIOD",
    )
    db = r.running.cell.part("referral").db
    with db.engine.connect() as conn:
        outcomes = conn.execute(
            select(audit_event.c.outcome).where(
                audit_event.c.action == "teleconsult.recording_delete",
                audit_event.c.target == t.name,
            )
        ).all()
    assert [o.outcome for o in outcomes] == ["DENIED"]
    kept = api.GetTeleconsultation(pb.GetTeleconsultationRequest(name=t.name), metadata=clinic)
    assert kept.recording == "rec://320000/tc/1"


def test_recording_retention_is_configurable_upward_only() -> None:
    assert load_recording_days({}) == 1095
    assert load_recording_days({"RHIP_REFERRAL_RECORDING_RETENTION_DAYS": "3650"}) == 3650
    with pytest.raises(ConfigError, match="RHIP_REFERRAL_RECORDING_RETENTION_DAYS"):
        load_recording_days({"RHIP_REFERRAL_RECORDING_RETENTION_DAYS": "30"})


def test_requests_with_bad_fields_name_them_and_write_nothing(referrals: Referrals) -> None:
    r = referrals
    _agreement(r)
    error = expect_error(
        lambda: _stub(r).RequestTeleconsultation(
            _request(r, reason="", specialty="x" * 51, resident="people/1"),
            metadata=r.md("qs-doctor"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {v.field for v in error.violations} >= {
        "teleconsultation.reason",
        "teleconsultation.specialty",
        "teleconsultation.resident",
    }


def _years_ago(years: int, days: int = 0) -> str:
    today = date.today()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        then = today.replace(year=today.year - years, day=28)
    return (then + timedelta(days=days)).isoformat()


def test_the_consulting_physician_meets_the_staffing_rule(referrals: Referrals) -> None:
    """docs/domain §5.2: the invited side's physician has ≥ 3 years of independent practice
    and (issue 17) the title the request asks for; bad declarations name their fields."""
    r = referrals
    api, clinic, hosp = _stub(r), r.md("qs-doctor"), r.md("qs-hosp-doctor")
    _agreement(r)
    t = api.RequestTeleconsultation(_request(r, title_wanted="副主任医师及以上"), metadata=clinic)
    error = expect_error(
        lambda: api.AcceptTeleconsultation(
            pb.AcceptTeleconsultationRequest(name=t.name), metadata=hosp
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {v.field for v in error.violations} == {
        "professional_title",
        "independent_practice_since",
    }
    for changes, reason in (
        ({"professional_title": "专家"}, "TITLE_UNKNOWN"),
        ({"independent_practice_since": "2010-13-01"}, None),
        ({"independent_practice_since": _years_ago(0, days=2)}, "DATE_IN_FUTURE"),
    ):
        bad = expect_error(
            lambda changes=changes: api.AcceptTeleconsultation(  # type: ignore[misc]
                _accept(t.name, **changes), metadata=hosp
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            reason,
        )
        assert [v.field for v in bad.violations] == list(changes)
    # A day short of three years of independent practice: refused, nothing changes.
    expect_error(
        lambda: api.AcceptTeleconsultation(
            _accept(t.name, independent_practice_since=_years_ago(3, days=1)), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "PRACTICE_YEARS_REQUIRED",
    )
    # Below the title the request asks for (副主任医师 or above): refused.
    expect_error(
        lambda: api.AcceptTeleconsultation(
            _accept(t.name, professional_title="主治医师"), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "TITLE_BELOW_REQUESTED",
    )
    unchanged = api.GetTeleconsultation(pb.GetTeleconsultationRequest(name=t.name), metadata=hosp)
    assert unchanged.state == tpb.TELECONSULTATION_STATE_REQUESTED
    assert not unchanged.consulting_physician
    # Exactly three years, as 副主任医师: accepted, the declaration kept for the inviting side.
    since = _years_ago(3)
    accepted = api.AcceptTeleconsultation(
        _accept(t.name, professional_title="副主任医师", independent_practice_since=since),
        metadata=hosp,
    )
    assert accepted.state == tpb.TELECONSULTATION_STATE_ACCEPTED
    seen = api.GetTeleconsultation(pb.GetTeleconsultationRequest(name=t.name), metadata=clinic)
    assert (seen.consulting_physician_title, seen.consulting_physician_practice_since) == (
        "副主任医师",
        since,
    )
    assert seen.consulting_physician_credentials == "declared"  # no registration on file
    db = r.running.cell.part("referral").db
    with db.engine.connect() as conn:  # the declaration is in the audit trail
        details = conn.execute(
            select(audit_event.c.detail).where(
                audit_event.c.action == "teleconsult.accept", audit_event.c.target == t.name
            )
        ).all()
    assert len(details) == 1 and "副主任医师" in details[0].detail and since in details[0].detail


def _register_practice(r: Referrals, title: str, since: str) -> None:
    """The county administrator records the hospital doctor's practice registration."""
    identity_service_pb2_grpc.IdentityServiceStub(r.running.channel).SetPractitionerRegistration(
        id_pb.SetPractitionerRegistrationRequest(
            name=f"users/{r.world.users['qs-hosp-doctor']}",
            registration=user_pb2.PractitionerRegistration(
                professional_title=title, independent_practice_since=since,
                certificate_number="110320000012345",
            ),
        ),
        metadata=r.md("qs-admin"),
    )  # fmt: skip


def test_the_staffing_rule_reads_the_practice_registration_in_identity(
    referrals: Referrals,
) -> None:
    """With a registration on file, the rule is checked against it, not against what the
    physician declares: a contradicting declaration is refused, an empty one takes the
    registration, and the teleconsultation says the credentials were registered."""
    r = referrals
    api, clinic, hosp = _stub(r), r.md("qs-doctor"), r.md("qs-hosp-doctor")
    _agreement(r)
    t = api.RequestTeleconsultation(_request(r, title_wanted="副主任医师及以上"), metadata=clinic)
    _register_practice(r, "主治医师", _years_ago(12))
    # The registration says 主治医师: the request wants 副主任医师 or above.
    expect_error(
        lambda: api.AcceptTeleconsultation(
            pb.AcceptTeleconsultationRequest(name=t.name), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "TITLE_BELOW_REQUESTED",
    )
    # Declaring more than the registration says is refused, naming the field.
    mismatch = expect_error(
        lambda: api.AcceptTeleconsultation(
            _accept(t.name, independent_practice_since=_years_ago(12)), metadata=hosp
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DECLARATION_MISMATCH",
    )
    assert [v.field for v in mismatch.violations] == ["professional_title"]
    _register_practice(r, "主任医师", _years_ago(12))
    accepted = api.AcceptTeleconsultation(
        pb.AcceptTeleconsultationRequest(name=t.name), metadata=hosp
    )
    assert accepted.state == tpb.TELECONSULTATION_STATE_ACCEPTED
    assert (
        accepted.consulting_physician_title,
        accepted.consulting_physician_practice_since,
        accepted.consulting_physician_credentials,
    ) == ("主任医师", _years_ago(12), "registered")


def test_a_practice_registration_is_validated_and_only_for_practitioners(
    referrals: Referrals,
) -> None:
    r = referrals
    ids = identity_service_pb2_grpc.IdentityServiceStub(r.running.channel)
    doctor = f"users/{r.world.users['qs-hosp-doctor']}"

    def register(name: str, **fields: str):  # type: ignore[no-untyped-def]
        return ids.SetPractitionerRegistration(
            id_pb.SetPractitionerRegistrationRequest(
                name=name, registration=user_pb2.PractitionerRegistration(**fields)
            ),
            metadata=r.md("qs-admin"),
        )

    bad = expect_error(
        lambda: register(doctor, professional_title="专家", independent_practice_since="2031-01-01",
                         certificate_number="12-34"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )  # fmt: skip
    assert {v.field for v in bad.violations} == {
        "registration.professional_title",
        "registration.independent_practice_since",
        "registration.certificate_number",
    }
    expect_error(
        lambda: register(
            f"users/{r.world.users['qs-admin']}", professional_title="主任医师",
            independent_practice_since="2008-09-01",
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "USER_NOT_PRACTITIONER",
    )  # fmt: skip
    user = register(
        doctor, professional_title="副主任医师", independent_practice_since="2015-03-01"
    )
    assert user.practitioner_registration.professional_title == "副主任医师"
    assert user.practitioner_registration.independent_practice_since == "2015-03-01"
    # Another city's administrator does not reach the doctor.
    expect_error(
        lambda: ids.SetPractitionerRegistration(
            id_pb.SetPractitionerRegistrationRequest(
                name=doctor,
                registration=user_pb2.PractitionerRegistration(
                    professional_title="主任医师", independent_practice_since="2008-09-01"
                ),
            ),
            metadata=r.md("nj-admin"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


@pytest.mark.cell_env(RHIP_REFERRAL_CONSULTANT_PRACTICE_YEARS="10")
def test_the_staffing_rule_is_configurable_upward_only(referrals: Referrals) -> None:
    assert load_practice_years({}) == 3
    with pytest.raises(ConfigError, match="RHIP_REFERRAL_CONSULTANT_PRACTICE_YEARS"):
        load_practice_years({"RHIP_REFERRAL_CONSULTANT_PRACTICE_YEARS": "2"})
    r = referrals
    api, hosp = _stub(r), r.md("qs-hosp-doctor")
    _agreement(r)
    t = api.RequestTeleconsultation(_request(r), metadata=r.md("qs-doctor"))
    expect_error(
        lambda: api.AcceptTeleconsultation(
            _accept(t.name, independent_practice_since=_years_ago(9)), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "PRACTICE_YEARS_REQUIRED",
    )
    assert api.AcceptTeleconsultation(_accept(t.name), metadata=hosp).consulting_physician
