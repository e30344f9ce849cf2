"""Teleconsultation ⇄ protobuf: the only place the teleconsultation domain meets its wire
types (the servicer's answers, and what one cell sends another across cells)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.kit.errors import Violations
from rhip.kit.requests import parse_resource_name
from rhip.kit.timestamps import from_timestamp, to_timestamp
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation, TState

STATES_BACK = {s: getattr(tpb, f"TELECONSULTATION_STATE_{s.name}") for s in TState}
STATES = {v: k for k, v in STATES_BACK.items()}


def agreement_to_pb(a: Agreement) -> tpb.CooperationAgreement:
    message = tpb.CooperationAgreement(
        name=f"cooperationAgreements/{a.agreement_id}",
        inviting_tenant=f"tenants/{a.inviting_tenant_id}",
        invited_tenant=f"tenants/{a.invited_tenant_id}",
        scope=a.scope_text,
        start_date=a.start_date.isoformat(),
        end_date=a.end_date.isoformat(),
        liability=a.liability,
        create_time=to_timestamp(a.create_time),
    )
    if a.peer_side == "invited":  # across cells: the other institution's region
        message.invited_region = a.peer_region
    elif a.peer_side == "inviting":
        message.inviting_region = a.peer_region
    return message


def tc_to_pb(t: Teleconsultation) -> tpb.Teleconsultation:
    f = t.form
    message = tpb.Teleconsultation(
        name=f"teleconsultations/{t.teleconsultation_id}",
        inviting_tenant=f"tenants/{t.inviting_tenant_id}",
        invited_tenant=f"tenants/{t.invited_tenant_id}",
        resident=f"residents/{t.resident_id}",
        reason=f.get("reason", ""), purpose=f.get("purpose", ""),
        record_summary=f.get("record_summary", ""), specialty=f.get("specialty", ""),
        title_wanted=f.get("title_wanted", ""),
        consent=tpb.TeleconsultationConsent(**t.consent),
        agreement=f"cooperationAgreements/{t.agreement_id}",
        state=STATES_BACK[t.state],
        consulting_physician=t.physician, reason_closed=t.reason_closed,
        recording=t.recording, decision=t.decision,
        create_time=to_timestamp(t.create_time), update_time=to_timestamp(t.update_time),
        consulting_physician_title=f.get("consultant", {}).get("title", ""),
        consulting_physician_practice_since=f.get("consultant", {}).get("practice_since", ""),
        # Accepted before registrations existed: a declaration.
        consulting_physician_credentials=(
            f["consultant"].get("source", "declared") if f.get("consultant") else ""
        ),
    )  # fmt: skip
    for field, value in (
        ("proposed_time", datetime.fromisoformat(f["proposed_time"]) if f.get("proposed_time") else None),
        ("scheduled_time", t.scheduled_time),
    ):  # fmt: skip
        stamp = to_timestamp(value)
        if stamp is not None:
            getattr(message, field).CopyFrom(stamp)
    if t.peer_side == "invited":
        message.invited_region = t.peer_region
    elif t.peer_side == "inviting":
        message.inviting_region = t.peer_region
    if t.report:
        r = t.report
        message.report.CopyFrom(
            tpb.OpinionReport(
                text=r["text"], physician=r["physician"], digest=r["digest"],
                signature=r["signature"], key_id=r["key_id"], inpatient=r["inpatient"],
                sign_time=to_timestamp(datetime.fromisoformat(r["sign_time"])),
            )
        )  # fmt: skip
    return message


def _id(name: str, collection: str, field: str, checks: Violations) -> str:
    return checks.check(parse_resource_name, name, collection, field) or ""


def agreement_from_pb(a: tpb.CooperationAgreement, checks: Violations) -> dict[str, str]:
    """The agreement another cell recorded, as create_agreement's values (its id in ``id``)."""
    return {
        "id": _id(a.name, "cooperationAgreements", "agreement.name", checks),
        "inviting_tenant": a.inviting_tenant, "invited_tenant": a.invited_tenant,
        "invited_region": a.invited_region, "scope": a.scope, "liability": a.liability,
        "start_date": a.start_date, "end_date": a.end_date,
    }  # fmt: skip


def tc_from_pb(t: tpb.Teleconsultation, checks: Violations) -> dict[str, Any]:
    """The teleconsultation another cell holds (its request, or its state after a move), as
    plain values; what the move or the opening takes is checked where it is used."""
    prefix = "teleconsultation."
    values: dict[str, Any] = {
        "id": _id(t.name, "teleconsultations", prefix + "name", checks),
        "inviting_tenant_id": _id(t.inviting_tenant, "tenants", prefix + "inviting_tenant", checks),
        "invited_tenant_id": _id(t.invited_tenant, "tenants", prefix + "invited_tenant", checks),
        "resident_id": _id(t.resident, "residents", prefix + "resident", checks),
        "agreement_id": _id(t.agreement, "cooperationAgreements", prefix + "agreement", checks),
        "form": {
            "reason": t.reason, "purpose": t.purpose, "record_summary": t.record_summary,
            "specialty": t.specialty, "title_wanted": t.title_wanted,
        },
        "consent": {
            "signer": t.consent.signer, "consent_date": t.consent.consent_date,
            "reference": t.consent.reference,
        },
        "state": STATES.get(t.state),
        "physician": t.consulting_physician,
        "consultant": {
            "title": t.consulting_physician_title,
            "practice_since": t.consulting_physician_practice_since,
            "source": t.consulting_physician_credentials,
        },
        "reason_closed": t.reason_closed, "recording": t.recording, "decision": t.decision,
        "proposed_time": None, "scheduled_time": None, "update_time": None, "report": {},
    }  # fmt: skip
    for field in ("proposed_time", "scheduled_time", "update_time"):
        if t.HasField(field):
            values[field] = checks.check(from_timestamp, getattr(t, field), prefix + field)
    if t.HasField("report"):
        r = t.report
        signed = (
            checks.check(from_timestamp, r.sign_time, prefix + "report.sign_time")
            if r.HasField("sign_time")
            else None
        )
        values["report"] = {
            "text": r.text, "physician": r.physician, "digest": r.digest, "inpatient": r.inpatient,
            "signature": r.signature, "key_id": r.key_id,
            "sign_time": signed.isoformat() if signed else "",
        }  # fmt: skip
    return values
