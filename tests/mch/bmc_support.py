"""Birth-certificate test helpers: the BirthCertificateService stub beside the mch fixture, and
stock moved down the hierarchy through the public API (js-admin province 320000 → xz-admin city
320300 → qs-admin county 320311 → the Quanshan county hospital, qualified to issue)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from mch.conftest import Mch, error_info, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc

PROVINCE, CITY, COUNTY = "regions/320000", "regions/320300", "regions/320311"
ADMINS = {PROVINCE: "js-admin", CITY: "xz-admin", COUNTY: "qs-admin"}


@dataclass
class Bmc:
    mch: Mch
    api: birth_certificate_service_pb2_grpc.BirthCertificateServiceStub

    def md(self, who: str) -> list[tuple[str, str]]:
        return self.mch.md(who)

    @property
    def hosp(self) -> str:
        return self.mch.tenant("qs-hosp")

    def receive(
        self, first: str, quantity: int, edition: int = 7, who: str = "js-admin", key: str = ""
    ) -> bpb.StockMovement:
        return self.api.ReceiveBlankStock(
            spb.ReceiveBlankStockRequest(
                region=PROVINCE, edition=edition, first_serial=first, quantity=quantity,
                delivery_note="NHC-2026-001", request_id=key or rid(),
            ),
            metadata=self.md(who),
        )  # fmt: skip

    def transfer(
        self, source: str, target: str, first: str, quantity: int, edition: int = 7,
        who: str = "", key: str = "",
    ) -> bpb.StockTransfer:  # fmt: skip
        return self.api.CreateStockTransfer(
            spb.CreateStockTransferRequest(
                transfer=bpb.StockTransfer(
                    from_holder=source, to_holder=target, edition=edition, first_serial=first,
                    quantity=quantity,
                ),
                request_id=key or rid(),
            ),
            metadata=self.md(who or ADMINS[source]),
        )  # fmt: skip

    def confirm(self, name: str, who: str) -> bpb.StockTransfer:
        return self.api.ConfirmStockTransfer(
            spb.ConfirmStockTransferRequest(name=name), metadata=self.md(who)
        )

    def down_to_hospital(self, first: str, quantity: int, edition: int = 7) -> None:
        """Receive ``quantity`` serials at the province and move all of them to qs-hosp."""
        self.receive(first, quantity, edition)
        for source, target, who in (
            (PROVINCE, CITY, "xz-admin"),
            (CITY, COUNTY, "qs-admin"),
            (COUNTY, self.hosp, "qs-hosp-doctor"),
        ):
            t = self.transfer(source, target, first, quantity, edition)
            self.confirm(t.name, who)

    def serial(self, serial: str, who: str = "js-admin") -> bpb.BlankSerial:
        return self.api.GetBlankSerial(
            spb.GetBlankSerialRequest(name=f"blankSerials/{serial}"), metadata=self.md(who)
        )

    def report(self, parent: str, who: str = "js-admin") -> dict[str, bpb.StockBalance]:
        reply = self.api.GetStockReport(
            spb.GetStockReportRequest(parent=parent), metadata=self.md(who)
        )
        return {b.holder: b for b in reply.holders}


def make_bmc(mch: Mch) -> Bmc:
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE)
    return Bmc(
        mch, birth_certificate_service_pb2_grpc.BirthCertificateServiceStub(mch.running.channel)
    )


def refused(call, code: grpc.StatusCode, reason: str = ""):  # type: ignore[no-untyped-def]
    """Runs ``call``; asserts it fails with ``code`` (and ``reason``); returns (info, fields)."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, caught.value.details()
    info, fields = error_info(caught.value)
    if reason:
        assert info is not None and info.reason == reason, (info, caught.value.details())
    return info, fields


def assert_balanced(bmc: Bmc, parent: str = PROVINCE) -> dict[str, bpb.StockBalance]:
    rows = bmc.report(parent)
    for row in rows.values():
        assert row.balanced, row
    return rows
