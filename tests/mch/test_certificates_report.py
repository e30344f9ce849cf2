"""The monthly birth-certificate report per region subtree and institution: issued by type,
voided, blanks voided and lost, stock on hand; a region sees its subtree only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
from mch.bmc_support import CITY, COUNTY, PROVINCE, Bmc, deliver, issue, make_bmc, refused
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb

C = grpc.StatusCode
THIS_MONTH = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 20)
    return made


def _report(bmc: Bmc, parent: str, who: str = "js-admin", month: str = THIS_MONTH):  # type: ignore[no-untyped-def]
    return bmc.api.GetBirthCertificateReport(
        spb.GetBirthCertificateReportRequest(parent=parent, month=month), metadata=bmc.md(who)
    )


def test_the_month_counts_issues_by_type_voids_losses_and_stock(bmc: Bmc) -> None:
    twins = deliver(bmc.mch, babies=2).newborns
    a = issue(bmc, twins[0].name, "X320101001")
    issue(bmc, twins[1].name, "X320101002")
    bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=a.name, number="X320101003", request_id=rid(),
            loss_declaration=bpb.LossDeclaration(written_declaration_ref="书面声明"),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    bmc.api.VoidBlankSerial(
        spb.VoidBlankSerialRequest(name="blankSerials/X320101004", reason="卡纸", witness="王芳",
                                   request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    bmc.api.ReportBlankSerialsLost(
        spb.ReportBlankSerialsLostRequest(
            holder=bmc.hosp, first_serial="X320101019", quantity=2, police_report_ref="报案1",
            newspaper_notice_ref="声明1", request_id=rid(),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    for parent, who in ((PROVINCE, "js-admin"), (CITY, "xz-admin"), (COUNTY, "qs-admin"),
                        (bmc.hosp, "qs-hosp-doctor")):  # fmt: skip
        t = _report(bmc, parent, who).total
        assert (t.first_issued, t.reissues, t.replacements) == (2, 1, 0), parent
        assert (t.voided_issued, t.voided_blank, t.lost, t.in_stock) == (1, 1, 2, 14), parent
    rows = {r.holder: r for r in _report(bmc, PROVINCE).holders}
    assert rows[bmc.hosp].first_issued == 2 and rows[bmc.hosp].in_stock == 14
    # Another month is empty but for the stock on hand now.
    empty = _report(bmc, PROVINCE, month="2024-01").total
    assert (empty.first_issued, empty.in_stock) == (0, 14)


def test_the_report_is_of_the_callers_subtree_and_months_are_checked(bmc: Bmc) -> None:
    for parent, who in ((COUNTY, "nj-admin"), (bmc.hosp, "qs-doctor"), (CITY, "qs-admin")):
        refused(lambda p=parent, w=who: _report(bmc, p, w), C.PERMISSION_DENIED)
    future = (datetime.now(UTC) + timedelta(days=62)).strftime("%Y-%m")
    for month in ("2026-13", "26-01", future):
        refused(lambda m=month: _report(bmc, PROVINCE, month=m), C.INVALID_ARGUMENT)
    assert _report(bmc, "regions/320100", "nj-admin").total.in_stock == 0
