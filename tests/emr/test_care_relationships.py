"""Care relationships beyond the managing institution (issue 16, docs/domain §8): a dynamic
e-health-card scan at the institution in the last 24 hours, an open referral, an open
teleconsultation. Each opens the resident's documents of other institutions while it holds
and not after; every read is audited with the relationship it rested on. On SQLite and
PostgreSQL, with identity, archives, referral and emr in one real cell."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import grpc
import pytest
from emr.helpers import Emr, summary
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.identity.v1 import resident_service_pb2 as rpb_service
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as ref_service
from rhip.api.referral.v1 import referral_service_pb2_grpc, teleconsultation_service_pb2_grpc
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as tele_service
from support.errors import expect_error
from support.residents import dynamic_qr
from support.residents import stub as resident_stub

DENIED = grpc.StatusCode.PERMISSION_DENIED
# Referrals run only in a cell with its own account (the referral service writes to archives).
pytestmark = pytest.mark.cell_env(
    RHIP_CELL_CLIENT_ID="cell-320000", RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789"
)


def _get(emr: Emr, name: str, who: str) -> dpb.ClinicalDocument:
    return emr.api.GetDocument(pb.GetDocumentRequest(name=name), metadata=emr.md(who))


def _bases(emr: Emr) -> list[str]:
    events = emr.api.SearchAuditEvents(
        pb.SearchAuditEventsRequest(
            parent="regions/320311", resident=emr.residents["man"], action="document.read"
        ),
        metadata=emr.md("qs-admin"),
    ).events
    return [e.detail.get("basis", e.basis) for e in events if e.outcome == "OK"]


@pytest.fixture
def shared(emr: Emr) -> str:
    """A summary of the man sent by the Quanshan hospital's HIS; the second hospital has no
    basis to read it yet."""
    name = emr.submit(summary(emr.numbers["man"])).name
    expect_error(lambda: _get(emr, name, "hosp2-doctor"), DENIED)
    return name


def test_a_card_scan_at_the_institution_opens_the_documents_for_24_hours(
    emr: Emr, shared: str
) -> None:
    payload = dynamic_qr(emr.running.channel, emr.residents["man"], emr.md("qs-doctor"))
    residents = resident_stub(emr.running.channel)
    scanned = residents.VerifyHealthCardQrCode(
        rpb_service.VerifyHealthCardQrCodeRequest(payload=payload), metadata=emr.md("hosp2-doctor")
    )
    assert scanned.resident == emr.residents["man"]
    assert _get(emr, shared, "hosp2-doctor").name == shared
    assert "care_relationship:card_scan" in _bases(emr)
    presence = residents.CheckHealthCardPresence(
        rpb_service.CheckHealthCardPresenceRequest(name=f"{emr.residents['man']}/healthCard"),
        metadata=emr.md("hosp2-doctor"),
    )
    assert presence.present and presence.last_scan_time.seconds > 0
    # The scan was at the second hospital only: the first one's presence is its own.
    elsewhere = residents.CheckHealthCardPresence(
        rpb_service.CheckHealthCardPresenceRequest(name=f"{emr.residents['man']}/healthCard"),
        metadata=emr.md("hosp-doctor"),
    )
    assert not elsewhere.present
    cards = emr.running.cell.part("identity").cards.residents
    real = cards.clock
    cards.clock = lambda: real() + timedelta(hours=24, seconds=1)
    try:
        expect_error(lambda: _get(emr, shared, "hosp2-doctor"), DENIED)
    finally:
        cards.clock = real


def test_presence_is_asked_by_an_institution_about_itself_within_72_hours(emr: Emr) -> None:
    residents = resident_stub(emr.running.channel)
    card = f"{emr.residents['man']}/healthCard"
    expect_error(
        lambda: residents.CheckHealthCardPresence(
            rpb_service.CheckHealthCardPresenceRequest(name=card, within_hours=73),
            metadata=emr.md("qs-doctor"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "HOURS_RANGE",
        "within_hours",
    )
    expect_error(
        lambda: residents.CheckHealthCardPresence(
            rpb_service.CheckHealthCardPresenceRequest(name=card), metadata=emr.md("qs-admin")
        ),
        DENIED,
        "TENANT_REQUIRED",
    )


def _referral(emr: Emr) -> rpb.Referral:
    api = referral_service_pb2_grpc.ReferralServiceStub(emr.running.channel)
    draft = api.CreateReferral(
        ref_service.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP, resident=emr.residents["man"],
                receiving_tenant=emr.tenant("hosp2"), receiving_department="心内科",
                outward=rpb.OutwardForm(
                    initial_impression="高血压控制不佳", reason="需上级医院调整方案",
                    past_history="高血压5年", treatment_so_far="氨氯地平",
                    referring_doctor="社区医生", referring_doctor_phone="0516-83000000",
                ),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat(),
                    reference="转诊同意书-emr",
                ),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("qs-doctor"),
    )  # fmt: skip
    return api.SubmitReferral(
        ref_service.SubmitReferralRequest(name=draft.name, request_id=str(uuid.uuid4())),
        metadata=emr.md("qs-doctor"),
    )


def test_an_open_referral_opens_the_documents_to_the_receiver_until_it_is_rejected(
    emr: Emr, shared: str
) -> None:
    referral = _referral(emr)
    assert _get(emr, shared, "hosp2-doctor").name == shared
    assert f"care_relationship:{referral.name}" in _bases(emr)
    referral_service_pb2_grpc.ReferralServiceStub(emr.running.channel).RejectReferral(
        ref_service.RejectReferralRequest(
            name=referral.name, reason="本院心内科床位已满", request_id=str(uuid.uuid4())
        ),
        metadata=emr.md("hosp2-doctor"),
    )
    expect_error(lambda: _get(emr, shared, "hosp2-doctor"), DENIED)


def test_an_open_teleconsultation_opens_the_documents_until_it_is_cancelled(
    emr: Emr, shared: str
) -> None:
    api = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(emr.running.channel)
    today = date.today()
    api.CreateCooperationAgreement(
        tele_service.CreateCooperationAgreementRequest(
            agreement=tpb.CooperationAgreement(
                inviting_tenant=f"tenants/{emr.world.tenants['qs-chc']}",
                invited_tenant=emr.tenant("hosp2"), scope="心血管会诊", liability="按协议",
                start_date=today.isoformat(), end_date=(today + timedelta(days=30)).isoformat(),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("qs-admin"),
    )  # fmt: skip
    consult = api.RequestTeleconsultation(
        tele_service.RequestTeleconsultationRequest(
            teleconsultation=tpb.Teleconsultation(
                invited_tenant=emr.tenant("hosp2"), resident=emr.residents["man"],
                reason="血压波动", purpose="调整用药", record_summary="高血压5年",
                specialty="心血管内科", title_wanted="主任医师",
                consent=tpb.TeleconsultationConsent(
                    signer="patient", consent_date=today.isoformat(), reference="会诊同意书-emr"
                ),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("qs-doctor"),
    )  # fmt: skip
    assert _get(emr, shared, "hosp2-doctor").name == shared
    assert f"care_relationship:{consult.name}" in _bases(emr)
    api.CancelTeleconsultation(
        tele_service.CancelTeleconsultationRequest(
            name=consult.name, reason="患者已转诊", request_id=str(uuid.uuid4())
        ),
        metadata=emr.md("qs-doctor"),
    )
    expect_error(lambda: _get(emr, shared, "hosp2-doctor"), DENIED)


def test_a_list_with_nothing_of_another_institution_rests_on_no_basis(emr: Emr) -> None:
    """The timeline asks for a basis (consents, break-glass, the care relationships over gRPC)
    only when the resident has a document of another institution it could open: the hospital's
    clinician, though present at a card scan, reads a timeline holding only the hospital's own
    documents as its own, and the read is audited so."""
    own = emr.submit(summary(emr.numbers["man"], "MZ-OWN")).name  # the hospital's HIS
    payload = dynamic_qr(emr.running.channel, emr.residents["man"], emr.md("qs-doctor"))
    resident_stub(emr.running.channel).VerifyHealthCardQrCode(
        rpb_service.VerifyHealthCardQrCodeRequest(payload=payload), metadata=emr.md("hosp-doctor")
    )
    listed = emr.api.ListTimeline(
        pb.ListTimelineRequest(parent=emr.residents["man"]), metadata=emr.md("hosp-doctor")
    )
    assert own in {e.target for e in listed.entries}
    events = emr.api.SearchAuditEvents(
        pb.SearchAuditEventsRequest(
            parent="regions/320311", resident=emr.residents["man"], action="timeline.read"
        ),
        metadata=emr.md("qs-admin"),
    ).events
    assert [e.detail.get("basis", e.basis) for e in events if e.outcome == "OK"] == ["own"]
