"""The annual over-quota rule of blank stock (DOMAIN §4.4, Jiangxi: requests ≤ 120 % of last
year's live births): switched on here for Jiangsu at 200 %; a request that takes a region's
requests of the year above the quota waits for an administrator above the sender, and nothing
moves until then."""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.bmc_support import CITY, COUNTY, PROVINCE, Bmc, assert_balanced, make_bmc, refused
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.identity.directory.usecases import bootstrap_admin
from support.cells import PASSWORD

C = grpc.StatusCode


@pytest.fixture
def mch_env() -> dict[str, str]:
    return {"RHIP_MCH_BMC_QUOTA_PROVINCES": "320000", "RHIP_MCH_BMC_QUOTA_PERCENT": "200"}


def _births_last_year(mch: Mch, babies: int) -> None:
    """One delivery of ``babies`` live births at the Quanshan county hospital last June."""
    day = date(date.today().year - 1, 6, 15)
    born = Timestamp()
    born.FromDatetime(datetime(day.year, day.month, day.day, 8, tzinfo=UTC))
    mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=day.isoformat(),
                mode=pb.DELIVERY_MODE_CAESAREAN,
                newborns=[
                    pb.Newborn(birth_order=i + 1, sex=pb.NEWBORN_SEX_FEMALE, birth_time=born,
                               weight_g=2500, length_cm=47, apgar_1min=9, live_birth=True)
                    for i in range(babies)
                ],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    _births_last_year(mch, 5)  # quota of the city and of the county: 5 × 200 % = 10
    return make_bmc(mch)


def test_a_request_above_the_quota_waits_for_approval_from_above(bmc: Bmc) -> None:
    bmc.receive("X320000001", 30)
    bmc.confirm(bmc.transfer(PROVINCE, CITY, "X320000001", 10).name, "xz-admin")
    within = bmc.transfer(CITY, COUNTY, "X320000001", 6)
    assert within.state == bpb.STOCK_TRANSFER_STATE_PENDING and not within.over_quota
    bmc.confirm(within.name, "qs-admin")
    above = bmc.transfer(CITY, COUNTY, "X320000007", 4)
    assert above.state == bpb.STOCK_TRANSFER_STATE_PENDING  # 6 + 4 = 10: at the quota
    bmc.confirm(above.name, "qs-admin")
    # The province's own extra request for the city: 10 + 1 > 10.
    waiting = bmc.transfer(PROVINCE, CITY, "X320000011", 1)
    assert waiting.state == bpb.STOCK_TRANSFER_STATE_AWAITING_APPROVAL
    assert waiting.over_quota and waiting.quota == 10
    # Nothing moved: the serial is still the province's, and the city cannot confirm.
    assert bmc.serial("X320000011").state == bpb.BLANK_SERIAL_STATE_RECEIVED
    refused(lambda: bmc.confirm(waiting.name, "xz-admin"), C.FAILED_PRECONDITION,
            "BMC_TRANSFER_STATE")  # fmt: skip
    approve = spb.ApproveStockTransferRequest(name=waiting.name, reason="二孩政策出生数上升")
    # Not the requester, not the city below.
    refused(lambda: bmc.api.ApproveStockTransfer(approve, metadata=bmc.md("js-admin")),
            C.PERMISSION_DENIED, "BMC_APPROVAL_ABOVE")  # fmt: skip
    refused(lambda: bmc.api.ApproveStockTransfer(approve, metadata=bmc.md("xz-admin")),
            C.PERMISSION_DENIED)  # fmt: skip
    assert_balanced(bmc)


def test_the_approval_allocates_atomically_and_the_receiver_then_confirms(bmc: Bmc) -> None:
    second = bootstrap_admin(bmc.mch.running.usecases, "js-admin2", "江苏省管理员乙", PASSWORD)
    assert second.region_code == "320000"
    bmc.receive("X320000001", 30)
    bmc.confirm(bmc.transfer(PROVINCE, CITY, "X320000001", 8).name, "xz-admin")
    waiting = bmc.transfer(PROVINCE, CITY, "X320000009", 5)  # 8 + 5 > 10
    assert waiting.state == bpb.STOCK_TRANSFER_STATE_AWAITING_APPROVAL
    approve = spb.ApproveStockTransferRequest(name=waiting.name, reason=" ")
    _, fields = refused(
        lambda: bmc.api.ApproveStockTransfer(approve, metadata=bmc.md("js-admin2")),
        C.INVALID_ARGUMENT,
    )
    assert [f for f, _ in fields] == ["reason"]
    approve.reason = "二孩政策出生数上升"
    approved = bmc.api.ApproveStockTransfer(approve, metadata=bmc.md("js-admin2"))
    assert approved.state == bpb.STOCK_TRANSFER_STATE_PENDING and approved.approved_by
    assert bmc.serial("X320000013").state == bpb.BLANK_SERIAL_STATE_ALLOCATED
    refused(lambda: bmc.api.ApproveStockTransfer(approve, metadata=bmc.md("js-admin2")),
            C.FAILED_PRECONDITION, "BMC_TRANSFER_STATE")  # fmt: skip
    assert bmc.confirm(waiting.name, "xz-admin").confirmed_quantity == 5
    rows = assert_balanced(bmc)
    assert rows[CITY].in_stock == 13 and rows[PROVINCE].transferred_out == 13
    # Without the rule (the default), the same request would not have waited: see
    # test_certificates_stock, where no transfer ever waits.
