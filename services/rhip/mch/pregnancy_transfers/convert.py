"""Proto ⇄ domain conversion of pregnancy transfers (for the servicer)."""

from __future__ import annotations

from rhip.api.mch.v1 import pregnancy_transfer_pb2 as tpb
from rhip.mch.convert import ts
from rhip.mch.pregnancy_transfers.domain import Party, PregnancyTransfer, TransferState

STATES = {
    TransferState.PENDING: tpb.PREGNANCY_TRANSFER_STATE_PENDING,
    TransferState.ACCEPTED: tpb.PREGNANCY_TRANSFER_STATE_ACCEPTED,
    TransferState.DECLINED: tpb.PREGNANCY_TRANSFER_STATE_DECLINED,
    TransferState.WITHDRAWN: tpb.PREGNANCY_TRANSFER_STATE_WITHDRAWN,
}
STATES_BACK = {v: k for k, v in STATES.items()}
PARTIES = {
    Party.SOURCE: tpb.PREGNANCY_TRANSFER_PARTY_SOURCE,
    Party.TARGET: tpb.PREGNANCY_TRANSFER_PARTY_TARGET,
}


def pregnancy_transfer_to_pb(t: PregnancyTransfer) -> tpb.PregnancyTransfer:
    return tpb.PregnancyTransfer(
        name=f"pregnancyTransfers/{t.transfer_id}",
        pregnancy=f"pregnancies/{t.pregnancy_id}",
        resident=f"residents/{t.resident_id}",
        source_tenant=f"tenants/{t.source_tenant_id}",
        target_tenant=f"tenants/{t.target_tenant_id}",
        requested_by=PARTIES[t.requested_by],
        state=STATES[t.state],
        reason=t.reason,
        decline_reason=t.decline_reason,
        withdraw_reason=t.withdraw_reason,
        create_time=ts(t.create_time),
        decide_time=ts(t.decide_time),
        target_tenant_display_name=t.target_name,
    )
