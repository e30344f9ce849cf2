"""A record bundle nested thousands of levels deep (issue 12, item 4) is INVALID_ARGUMENT
``BUNDLE_INVALID`` at the destination cell, not a RecursionError answered INTERNAL, and
changes nothing on either side."""

from __future__ import annotations

import grpc
import pytest
from archives.two_cells import TwoCells, _get, _record_in_xuzhou, _request
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import RhipError


def test_a_deeply_nested_bundle_is_refused_and_changes_nothing(two_cells: TwoCells) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    transfer_id = transfer.name.removeprefix("recordTransfers/")
    # The Jiangsu cell's cross-cell client, serving a Xuzhou clinician.
    token = xz[0][1].removeprefix("Bearer ")
    cells = t.cells["320000"].cell.part("archives").usecases.cells
    depth = 50_000
    caller = Principal("user:xz", PrincipalKind.PRACTITIONER, "t", "320311")
    for bundle in (
        b'{"format": "rhip.archives.bundle.v2", "record": ' + b"[" * depth + b"]" * depth + b"}",
        b"[" * depth + b"]" * depth,
        b'{"format": "rhip.archives.bundle.v2", "record": {"record_number": 7}}',
    ):
        with acting_as(caller, token), pytest.raises(RhipError) as error:
            cells._call(
                "370402",
                "ImportHealthRecord",
                apb.ImportHealthRecordRequest(transfer_id=transfer_id, bundle=bundle),
            )
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT, error.value
        assert error.value.reason == "BUNDLE_INVALID"
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_PENDING
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_PENDING
    assert not t.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=zz
    ).records
