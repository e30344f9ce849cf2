"""Proto ⇄ domain conversion of child transfers and the vision record (for the servicer)."""

from __future__ import annotations

from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import child_transfer_pb2 as tpb
from rhip.mch.child_transfers.domain import (
    ChildDocument,
    ChildTransfer,
    TransferKind,
    TransferState,
)
from rhip.mch.child_transfers.usecases import VisionRecord
from rhip.mch.children.convert import FINDINGS
from rhip.mch.convert import ts

STATES = {
    TransferState.PENDING: tpb.CHILD_TRANSFER_STATE_PENDING,
    TransferState.ACCEPTED: tpb.CHILD_TRANSFER_STATE_ACCEPTED,
    TransferState.DECLINED: tpb.CHILD_TRANSFER_STATE_DECLINED,
    TransferState.WITHDRAWN: tpb.CHILD_TRANSFER_STATE_WITHDRAWN,
    TransferState.HANDING_OVER: tpb.CHILD_TRANSFER_STATE_HANDING_OVER,
}
STATES_BACK = {v: k for k, v in STATES.items()}
KINDS = {
    TransferKind.TRANSFER: tpb.CHILD_TRANSFER_KIND_TRANSFER,
    TransferKind.SCHOOL_HANDOVER: tpb.CHILD_TRANSFER_KIND_SCHOOL_HANDOVER,
}


def child_transfer_to_pb(t: ChildTransfer) -> tpb.ChildTransfer:
    return tpb.ChildTransfer(
        name=f"childTransfers/{t.transfer_id}",
        child_record=f"childRecords/{t.record_id}",
        child=f"residents/{t.resident_id}",
        source_tenant=f"tenants/{t.source_tenant_id}",
        target_tenant=f"tenants/{t.target_tenant_id}",
        state=STATES[t.state],
        kind=KINDS[t.kind],
        guardian_consent_reference=t.consent_reference,
        consent_date=t.consent_date.isoformat(),
        reason=t.reason,
        decline_reason=t.decline_reason,
        moved_visits=t.moved_visits,
        create_time=ts(t.create_time),
        decide_time=ts(t.decide_time),
        withdraw_reason=t.withdraw_reason,
        target_tenant_display_name=t.target_name,
        peer_region=t.peer_region,
    )


def document_of(document: resident_pb2.IdentityDocument) -> ChildDocument | None:
    """The child's document as sent, or None when the request has none."""
    if not document.number:
        return None
    return ChildDocument(int(document.type), document.number, document.issuing_country)


def vision_record_to_pb(v: VisionRecord) -> tpb.ChildVisionRecord:
    r = v.record
    return tpb.ChildVisionRecord(
        name=f"childRecords/{r.record_id}/visionRecord",
        child=f"residents/{r.resident_id}",
        managing_tenant=f"tenants/{r.tenant_id}",
        birth_date=r.birth_date.isoformat(),
        entries=[
            tpb.VisionEntry(
                visit=f"childRecords/{e.record_id}/visits/{e.visit_id}",
                visit_date=e.visit_date.isoformat(),
                age_days=e.age_days,
                slot=e.slot,
                tenant=f"tenants/{e.tenant_id}",
                eye=[cpb.EyeResult(item=k, finding=FINDINGS[f]) for k, f in e.eye.items()],
                acuity_left=e.acuity_left,
                acuity_right=e.acuity_right,
                referral=e.referral,
            )
            for e in v.entries
        ],
        open_referral=f"childRecords/{r.record_id}/visits/{r.open_referral}"
        if r.open_referral
        else "",
        transfers=[f"childTransfers/{t}" for t in v.transfers],
    )
