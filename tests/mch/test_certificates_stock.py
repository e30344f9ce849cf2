"""Blank birth-certificate stock (DOMAIN §4.4): ranges arrive at the province and move one level
down at a time, each move confirmed by the receiving side; one state and holder per serial with
its full register history; voids with a witness, losses with police and newspaper references,
destruction only by a provincial record; balances that add up at every level."""

from __future__ import annotations

import grpc
import pytest
from mch.bmc_support import CITY, COUNTY, PROVINCE, Bmc, assert_balanced, make_bmc, refused
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb

C = grpc.StatusCode


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    return make_bmc(mch)


def test_stock_moves_level_by_level_and_every_balance_adds_up(bmc: Bmc) -> None:
    bmc.receive("X320000001", 100)
    t1 = bmc.transfer(PROVINCE, CITY, "X320000001", 50)
    assert t1.state == bpb.STOCK_TRANSFER_STATE_PENDING and t1.last_serial == "X320000050"
    # Until the city confirms, the province still holds the serials, as ALLOCATED.
    pending = bmc.serial("X320000001")
    assert pending.state == bpb.BLANK_SERIAL_STATE_ALLOCATED and pending.holder == PROVINCE
    done = bmc.confirm(t1.name, "xz-admin")
    assert done.state == bpb.STOCK_TRANSFER_STATE_CONFIRMED and done.confirmed_quantity == 50
    t2 = bmc.transfer(CITY, COUNTY, "X320000001", 30)
    bmc.confirm(t2.name, "qs-admin")
    t3 = bmc.transfer(COUNTY, bmc.hosp, "X320000001", 20)
    bmc.confirm(t3.name, "qs-hosp-doctor")
    serial = bmc.serial("X320000001", "qs-hosp-doctor")
    assert serial.state == bpb.BLANK_SERIAL_STATE_IN_STOCK and serial.holder == bmc.hosp
    assert [m.kind for m in serial.history] == [
        bpb.STOCK_MOVEMENT_KIND_RECEIPT,
        *[bpb.STOCK_MOVEMENT_KIND_TRANSFER] * 3,
    ]
    assert [m.to_holder for m in serial.history][1:] == [CITY, COUNTY, bmc.hosp]
    rows = assert_balanced(bmc)
    assert (rows[PROVINCE].received, rows[PROVINCE].transferred_out) == (100, 50)
    assert rows[PROVINCE].in_stock == 50
    assert (rows[CITY].received, rows[CITY].transferred_out, rows[CITY].in_stock) == (50, 30, 20)
    assert (rows[COUNTY].received, rows[COUNTY].in_stock) == (30, 10)
    assert (rows[bmc.hosp].received, rows[bmc.hosp].in_stock) == (20, 20)
    # The county sees its subtree only; the institution its own stock only.
    assert set(bmc.report(COUNTY, "qs-admin")) == {COUNTY, bmc.hosp}
    assert set(bmc.report(bmc.hosp, "qs-hosp-doctor")) == {bmc.hosp}


def test_only_the_receiving_side_confirms_and_a_retry_is_harmless(bmc: Bmc) -> None:
    bmc.receive("X320000001", 10)
    t = bmc.transfer(PROVINCE, CITY, "X320000001", 10)
    for who in ("js-admin", "qs-admin"):
        refused(lambda who=who: bmc.confirm(t.name, who), C.PERMISSION_DENIED)
    first = bmc.confirm(t.name, "xz-admin")
    assert bmc.confirm(t.name, "xz-admin") == first
    assert_balanced(bmc)


def test_stock_moves_one_level_down_inside_the_senders_area(bmc: Bmc) -> None:
    bmc.receive("X320000001", 10)
    refused(lambda: bmc.transfer(PROVINCE, COUNTY, "X320000001", 5), C.FAILED_PRECONDITION,
            "BMC_TRANSFER_LEVEL")  # fmt: skip
    refused(lambda: bmc.transfer(PROVINCE, "regions/330100", "X320000001", 5),
            C.FAILED_PRECONDITION, "BMC_TRANSFER_LEVEL")  # fmt: skip
    # A city administrator does not hand out the province's stock, nor Nanjing Xuzhou's.
    refused(lambda: bmc.transfer(PROVINCE, CITY, "X320000001", 5, who="xz-admin"),
            C.PERMISSION_DENIED)  # fmt: skip
    t = bmc.transfer(PROVINCE, CITY, "X320000001", 10)
    bmc.confirm(t.name, "xz-admin")
    refused(lambda: bmc.transfer(CITY, COUNTY, "X320000001", 5, who="nj-admin"),
            C.PERMISSION_DENIED)  # fmt: skip
    t = bmc.transfer(CITY, COUNTY, "X320000001", 10)
    bmc.confirm(t.name, "qs-admin")
    # Only institutions qualified to issue birth certificates receive blanks.
    refused(lambda: bmc.transfer(COUNTY, bmc.mch.tenant("qs-chc"), "X320000001", 5),
            C.PERMISSION_DENIED, "QUALIFICATION_REQUIRED")  # fmt: skip
    # Serials the sender does not hold (more than it has, or already passed on).
    refused(lambda: bmc.transfer(COUNTY, bmc.hosp, "X320000001", 11), C.FAILED_PRECONDITION,
            "BMC_SERIALS_NOT_AVAILABLE")  # fmt: skip
    refused(lambda: bmc.transfer(CITY, COUNTY, "X320000001", 1), C.FAILED_PRECONDITION,
            "BMC_SERIALS_NOT_AVAILABLE")  # fmt: skip
    assert_balanced(bmc)


def test_void_loss_and_destruction_follow_the_state_machine(bmc: Bmc) -> None:
    bmc.down_to_hospital("X320000001", 10)
    bmc.receive("W320000001", 5, edition=6)  # superseded edition, still at the province
    void = spb.VoidBlankSerialRequest(name="blankSerials/X320000001", reason="打印错位",
                                      witness="王芳", request_id=rid())  # fmt: skip
    # Handled where it is kept: the county above does not void the hospital's blanks.
    refused(lambda: bmc.api.VoidBlankSerial(void, metadata=bmc.md("qs-admin")),
            C.PERMISSION_DENIED)  # fmt: skip
    done = bmc.api.VoidBlankSerial(void, metadata=bmc.md("qs-hosp-doctor"))
    assert done.state == bpb.BLANK_SERIAL_STATE_VOID_BLANK
    again = spb.VoidBlankSerialRequest(name=void.name, reason="x", witness="y", request_id=rid())
    info, _ = refused(lambda: bmc.api.VoidBlankSerial(again, metadata=bmc.md("qs-hosp-doctor")),
                      C.FAILED_PRECONDITION, "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    assert info.metadata["state"] == "VOID_BLANK"
    lost = spb.ReportBlankSerialsLostRequest(
        holder=bmc.hosp, first_serial="X320000008", quantity=3, police_report_ref="泉公备2026-17",
        newspaper_notice_ref="徐州日报2026-12-01 A4", request_id=rid(),
    )  # fmt: skip
    moved = bmc.api.ReportBlankSerialsLost(lost, metadata=bmc.md("qs-hosp-doctor"))
    assert moved.quantity == 3 and moved.state == bpb.BLANK_SERIAL_STATE_LOST
    # Lost ones are terminal: reporting one of them again fails and changes nothing.
    lost.first_serial, lost.quantity, lost.request_id = "X320000007", 2, rid()
    refused(lambda: bmc.api.ReportBlankSerialsLost(lost, metadata=bmc.md("qs-hosp-doctor")),
            C.FAILED_PRECONDITION, "BMC_SERIALS_NOT_AVAILABLE")  # fmt: skip
    assert bmc.serial("X320000007").state == bpb.BLANK_SERIAL_STATE_IN_STOCK

    def destroy(first: str, quantity: int, who: str = "js-admin", region: str = PROVINCE):  # type: ignore[no-untyped-def]
        return bmc.api.RecordBlankDestruction(
            spb.RecordBlankDestructionRequest(
                region=region, first_serial=first, quantity=quantity,
                record_number="苏卫销字2026-3", witness="李军", request_id=rid(),
            ),
            metadata=bmc.md(who),
        )  # fmt: skip

    # In-stock blanks of the current edition are not destroyed; nor by a city.
    refused(lambda: destroy("X320000001", 2), C.FAILED_PRECONDITION, "BMC_NOT_DESTROYABLE")
    assert bmc.serial("X320000002").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
    refused(lambda: destroy("X320000001", 1, "xz-admin", CITY), C.INVALID_ARGUMENT,
            "BMC_PROVINCE_REQUIRED")  # fmt: skip
    assert destroy("X320000001", 1).state == bpb.BLANK_SERIAL_STATE_DESTROYED
    assert destroy("W320000001", 5).quantity == 5
    history = bmc.serial("X320000001").history
    assert [m.kind for m in history][-2:] == [
        bpb.STOCK_MOVEMENT_KIND_VOID_BLANK,
        bpb.STOCK_MOVEMENT_KIND_DESTRUCTION,
    ]
    assert history[-2].witness == "王芳" and history[-1].reference == "苏卫销字2026-3"
    rows = assert_balanced(bmc)
    hosp = rows[bmc.hosp]
    assert (hosp.in_stock, hosp.lost, hosp.destroyed, hosp.void_blank) == (6, 3, 1, 0)
    assert rows[PROVINCE].destroyed == 5


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_serial": "x320000001"}, "first_serial"),  # lower case
        ({"first_serial": "320000001"}, "first_serial"),  # nine digits, no letter
        ({"first_serial": "X32000001"}, "first_serial"),  # eight digits
        ({"edition": 8}, "edition"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"region": "regions/320300"}, "region"),  # stock arrives at a province
    ],
)
def test_bad_receipts_are_invalid_and_write_nothing(bmc: Bmc, fields: dict, field: str) -> None:
    request = spb.ReceiveBlankStockRequest(
        region=PROVINCE, edition=7, first_serial="X320000001", quantity=10, request_id=rid()
    )
    for key, value in fields.items():
        setattr(request, key, value)
    _, violations = refused(
        lambda: bmc.api.ReceiveBlankStock(request, metadata=bmc.md("js-admin")),
        C.INVALID_ARGUMENT,
    )
    assert [f for f, _ in violations] == [field]
    assert bmc.report(PROVINCE)[PROVINCE].received == 0


def test_an_overlapping_range_is_invalid_and_a_replay_is_idempotent(bmc: Bmc) -> None:
    key = rid()
    first = bmc.receive("X320000001", 10, key=key)
    assert bmc.receive("X320000001", 10, key=key).name == first.name
    _, violations = refused(lambda: bmc.receive("X320000005", 10), C.INVALID_ARGUMENT,
                            "BMC_RANGE_OVERLAP")  # fmt: skip
    assert [f for f, _ in violations] == ["first_serial"]
    assert bmc.report(PROVINCE)[PROVINCE].received == 10
    refused(lambda: bmc.transfer(PROVINCE, CITY, "X320000001", -1), C.INVALID_ARGUMENT)


def test_other_regions_and_institutions_see_nothing(bmc: Bmc) -> None:
    bmc.down_to_hospital("X320000001", 5)
    for who in ("nj-admin", "qs-doctor", "nj-doctor"):
        refused(lambda who=who: bmc.serial("X320000001", who), C.PERMISSION_DENIED)
        refused(lambda who=who: bmc.report(bmc.hosp, who), C.PERMISSION_DENIED)
    refused(lambda: bmc.report(CITY, "qs-admin"), C.PERMISSION_DENIED)
    refused(lambda: bmc.report(PROVINCE, "qs-hosp-doctor"), C.PERMISSION_DENIED)
    listed = bmc.api.ListStockTransfers(
        spb.ListStockTransfersRequest(parent=bmc.hosp), metadata=bmc.md("qs-hosp-doctor")
    ).transfers
    assert [t.to_holder for t in listed] == [bmc.hosp]
    refused(
        lambda: bmc.api.ListStockTransfers(
            spb.ListStockTransfersRequest(parent=bmc.hosp), metadata=bmc.md("nj-admin")
        ),
        C.PERMISSION_DENIED,
    )
