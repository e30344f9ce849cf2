"""Isolation of transfers (issue 5): a transfer between two Xuzhou institutions is invisible
and untouchable, through every transfer method, to Zaozhuang clinicians and administrators in
the other cell (also when they aim their call at the Jiangsu cell) and to Nanjing principals in
the same cell; only its own parties move it on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
from archives.helpers import days_ago
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou
from rhip.api.archives.v1 import archives_peer_service_pb2_grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.demo import DEMO_PASSWORD
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft, bootstrap_admin
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import from_rpc_error
from support.residents import XUZHOU_MAN, register_request, stub

Metadata = list[tuple[str, str]]
DENIED = {grpc.StatusCode.PERMISSION_DENIED}
# In the other cell the transfer does not exist at all: its cell-wide administrators learn
# that it is not there (nothing about Jiangsu), everyone else is denied.
ABSENT_OR_DENIED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}


def _nanjing(t: TwoCells) -> None:
    """A Nanjing community health centre, its clinician and the Nanjing city administrator,
    in the Jiangsu cell (created by the province administrator)."""
    uc = t.cells["320000"].usecases
    admin = bootstrap_admin(uc, "js-admin", "江苏省管理员", DEMO_PASSWORD)
    with acting_as(Principal(admin.subject, admin.kind, "", admin.region_code)):
        tenant = uc.create_tenant(
            TenantDraft(
                "鼓楼社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER,
                TenantLevel.PRIMARY, "320106", "",
            ),
            "",
        )  # fmt: skip
        for username, kind, tenant_id, region in (
            ("nj-doctor", PrincipalKind.PRACTITIONER, tenant.tenant_id, ""),
            ("nj-admin", PrincipalKind.REGIONAL_ADMIN, "", "320100"),
        ):
            uc.create_user(
                UserDraft(username, username, kind, tenant_id, region), DEMO_PASSWORD, ""
            )


def _xuzhou_only(t: TwoCells) -> tuple[rec.HealthRecord, apb.RecordTransfer]:
    """Quanshan's record of the man, requested by Tongshan's township hospital."""
    xz = t.md("xz-doctor-1", "320300")
    record = _record_in_xuzhou(t, xz)
    ts = t.md("xz-doctor-2", "320300")
    resident = (
        stub(t.channel)
        .RegisterResident(register_request(XUZHOU_MAN, region="320312"), metadata=ts)
        .resident
    )
    transfer = t.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=resident.name,
            consent=apb.TransferConsent(method="signed_form", consent_date=days_ago(1)),
            reason="迁居铜山", request_id=str(uuid.uuid4()),
        ),
        metadata=ts, timeout=TIMEOUT,
    )  # fmt: skip
    return record, transfer


def _calls(t: TwoCells, transfer: apb.RecordTransfer) -> dict[str, Callable[[Metadata], Any]]:
    """Every transfer method, aimed at ``transfer`` (or at its institutions' lists)."""
    name, transfer_id = transfer.name, transfer.name.removeprefix("recordTransfers/")
    api = t.api
    peer = archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(t.channel)
    return {
        "Get": lambda md: api.GetRecordTransfer(
            apb.GetRecordTransferRequest(name=name), metadata=md
        ),
        "ListSource": lambda md: api.ListRecordTransfers(
            apb.ListRecordTransfersRequest(parent=transfer.source_tenant), metadata=md
        ),
        "ListDestination": lambda md: api.ListRecordTransfers(
            apb.ListRecordTransfersRequest(parent=transfer.destination_tenant), metadata=md
        ),
        "Confirm": lambda md: api.ConfirmRecordTransfer(
            apb.ConfirmRecordTransferRequest(name=name, request_id=str(uuid.uuid4())), metadata=md
        ),
        "Decline": lambda md: api.DeclineRecordTransfer(
            apb.DeclineRecordTransferRequest(name=name, reason="不同意"), metadata=md
        ),
        "Escalate": lambda md: api.EscalateRecordTransfer(
            apb.EscalateRecordTransferRequest(name=name, reason="双方意见不一致"), metadata=md
        ),
        "Approve": lambda md: api.ApproveRecordTransfer(
            apb.ApproveRecordTransferRequest(name=name), metadata=md
        ),
        "Reject": lambda md: api.RejectRecordTransfer(
            apb.RejectRecordTransferRequest(name=name, reason="未实际迁居"), metadata=md
        ),
        "Open": lambda md: peer.OpenRecordTransfer(
            apb.OpenRecordTransferRequest(transfer_id=transfer_id), metadata=md
        ),
        "Import": lambda md: peer.ImportHealthRecord(
            apb.ImportHealthRecordRequest(transfer_id=transfer_id, bundle=b"{}"), metadata=md
        ),
        "Close": lambda md: peer.CloseRecordTransfer(
            apb.CloseRecordTransferRequest(transfer_id=transfer_id, decline_reason="x"),
            metadata=md,
        ),
        "Relay": lambda md: peer.RelayRecordTransferDecision(
            apb.RelayRecordTransferDecisionRequest(
                transfer_id=transfer_id,
                decision=apb.TRANSFER_DECISION_APPROVE,
                side=apb.TRANSFER_SIDE_SOURCE,
            ),
            metadata=md,
        ),
        "Withdraw": lambda md: peer.WithdrawRecordTransfer(
            apb.WithdrawRecordTransferRequest(
                transfer_id=transfer_id,
                destination_tenant=transfer.destination_tenant,
                destination_region="320312",
                reason="WITHDRAWN",
            ),
            metadata=md,
        ),
    }


def _outcome(call: Callable[[Metadata], Any], md: Metadata) -> str | grpc.StatusCode:
    """The status code of a refused call; for a list that answers, what it showed."""
    try:
        reply = call(md)
    except grpc.RpcError as error:
        return from_rpc_error(error).code
    if isinstance(reply, apb.ListRecordTransfersResponse):
        return "listed:" + ",".join(t.name for t in reply.transfers)
    return f"answered:{reply}"


# (username, home region, region the call is aimed at, outcomes allowed)
OUTSIDERS = [
    ("zz-doctor-1", "370400", "", ABSENT_OR_DENIED),
    ("szq-admin", "370400", "", ABSENT_OR_DENIED),
    ("zz-admin", "370400", "", ABSENT_OR_DENIED),
    ("sd-admin", "370000", "", ABSENT_OR_DENIED),
    ("zz-doctor-1", "370400", "320311", DENIED),  # aimed at the Jiangsu cell
    ("sd-admin", "370000", "320311", DENIED),
    ("nj-doctor", "320100", "", DENIED),
    ("nj-admin", "320100", "", DENIED),
]


def test_nobody_outside_the_transfer_gets_lists_or_moves_it(two_cells: TwoCells) -> None:
    t = two_cells
    _nanjing(t)
    record, transfer = _xuzhou_only(t)
    calls = _calls(t, transfer)
    for username, region, aimed_at, allowed in OUTSIDERS:
        md = t.md(username, region) + ([("x-rhip-region", aimed_at)] if aimed_at else [])
        for method, call in calls.items():
            # Lists too: an institution out of reach is refused, not listed empty (AIP-211).
            outcome = _outcome(call, md)
            assert outcome in allowed, (username, aimed_at, method, outcome)
    # Nothing moved; the transfer's own parties still decide it.
    xz = t.md("xz-doctor-1", "320300")
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_PENDING
    held = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert held.state == rec.RECORD_STATE_TRANSFER_PENDING
    done = t.api.ConfirmRecordTransfer(
        apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4())),
        metadata=xz,
    )
    assert done.state == apb.TRANSFER_STATE_COMPLETED
