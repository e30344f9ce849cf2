"""Rules of migration across cells that need no second cell: the transfer state machine with
HANDING_OVER, the gateway's allowance for cell accounts, and who may call a cross_cell method."""

from __future__ import annotations

import pytest
from rhip.archives.transfers.domain import TransferState, require_transfer_move
from rhip.gateway.guard import Guard
from rhip.kit.apis import cell_internal_methods, cross_cell_methods, methods
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import FailedPrecondition, PermissionDenied

ARCHIVES = "/rhip.api.archives.v1.ArchivesService/"
PEER = "/rhip.api.archives.v1.ArchivesPeerService/"
JS, SD = "rhip-identity/320000", "rhip-identity/370000"


def _sa(tenant: str, region: str, issuer: str) -> Principal:
    return Principal("sa:cell-x", PrincipalKind.SERVICE_ACCOUNT, tenant, region, issuer=issuer)


def test_handing_over_can_only_complete() -> None:
    require_transfer_move(TransferState.PENDING, TransferState.HANDING_OVER)
    require_transfer_move(TransferState.HANDING_OVER, TransferState.COMPLETED)
    for target in (TransferState.DECLINED, TransferState.PENDING):
        with pytest.raises(FailedPrecondition) as error:
            require_transfer_move(TransferState.HANDING_OVER, target)
        assert error.value.reason == "TRANSFER_STATE"


def test_the_cross_cell_methods_are_the_peer_service_and_marked_in_proto() -> None:
    peer_methods = {
        path for path, info in methods().items() if info.service.endswith("PeerService")
    }
    assert cross_cell_methods() == peer_methods
    assert {m.rsplit("/", 1)[-1] for m in peer_methods if m.startswith(PEER)} == {
        "OpenRecordTransfer",
        "ImportHealthRecord",
        "CloseRecordTransfer",
        "RelayRecordTransferDecision",
        "WithdrawRecordTransfer",
    }


def test_the_cell_internal_methods_are_the_internal_services_and_marked_in_proto() -> None:
    internal = {
        path for path, info in methods().items() if info.service.endswith("InternalService")
    }
    assert cell_internal_methods() == internal
    assert internal == {
        "/rhip.api.archives.v1.ArchivesInternalService/CreateReferralFollowUpTask",
        "/rhip.api.archives.v1.ArchivesInternalService/RecordReferralEvent",
        "/rhip.api.archives.v1.ArchivesInternalService/ListReferralSuggestions",
        "/rhip.api.emr.v1.EmrInternalService/RecordTimelineEntries",
        "/rhip.api.emr.v1.EmrInternalService/RescopeTimelineEntries",
    }
    assert not internal & cross_cell_methods()


def test_gateway_lets_cell_accounts_call_cross_cell_methods_anywhere_and_nothing_else() -> None:
    guard = Guard()
    cell = _sa("", "370000", SD)
    tenant_account = _sa("t1", "370402", SD)
    assert guard.allows(cell, "320311", PEER + "ImportHealthRecord")
    assert not guard.allows(cell, "320311", ARCHIVES + "GetHealthRecord")
    assert guard.allows(cell, "370402", ARCHIVES + "GetHealthRecord")  # its home, as before
    assert not guard.allows(tenant_account, "320311", PEER + "ImportHealthRecord")
    # Without a tenant but not a cell account by name: no cross-cell reach either.
    stray = Principal("sa:other", PrincipalKind.SERVICE_ACCOUNT, "", "370000", issuer=SD)
    assert not guard.allows(stray, "320311", PEER + "ImportHealthRecord")
    doctor = Principal("user:d", PrincipalKind.PRACTITIONER, "t1", "370402", issuer=SD)
    assert not guard.allows(doctor, "320311", PEER + "OpenRecordTransfer")


@pytest.mark.parametrize(
    ("caller", "original"),
    [
        (_sa("", "370000", JS), None),  # no original caller
        (_sa("", "320000", JS), _sa("t", "320311", JS)),  # this cell's own account
        (_sa("t9", "370402", SD), _sa("t", "370402", SD)),  # a tenant's service account
        (_sa("", "370000", SD), _sa("t", "320311", JS)),  # original from another cell
        (
            Principal("user:d", PrincipalKind.PRACTITIONER, "t", "370402", issuer=SD),
            _sa("t", "370402", SD),
        ),
    ],
)
def test_only_another_cells_account_with_its_own_caller_passes(
    caller: Principal, original: Principal | None
) -> None:
    with acting_as(caller, "token", original), pytest.raises(PermissionDenied) as error:
        require_peer_cell(JS)
    assert error.value.reason == "CROSS_CELL_CALLER"
    ok_caller = _sa("", "370000", SD)
    ok_original = Principal("user:d", PrincipalKind.PRACTITIONER, "t", "370402", issuer=SD)
    with acting_as(ok_caller, "token", ok_original):
        assert require_peer_cell(JS) == (ok_caller, ok_original)
