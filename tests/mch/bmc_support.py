"""Birth-certificate test helpers: the BirthCertificateService stub beside the mch fixture, and
stock moved down the hierarchy through the public API (js-admin province 320000 → xz-admin city
320300 → qs-admin county 320311 → the Quanshan county hospital, qualified to issue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import WOMAN, WOMAN2, WOMAN3, Mch, error_info, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as ppb
from rhip.kit.timestamps import clinical_day

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


def _stamp(hours_ago: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(hours=hours_ago))
    return stamp


# The ID number of each woman of the mch fixture, and the mother of each newborn delivered
# here: a certificate names the delivery's own mother unless a test says otherwise.
ID_NUMBERS = {"woman": WOMAN, "woman2": WOMAN2, "woman3": WOMAN3}
_MOTHER_OF: dict[str, str] = {}


def deliver(mch: Mch, babies: int = 1, woman: str = "woman", hours_ago: float = 1) -> ppb.Delivery:
    """A delivery of ``babies`` live births at the Quanshan county hospital an hour ago (or
    ``hours_ago``)."""
    born = _stamp(hours_ago)
    delivery = mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=ppb.Delivery(
                mother=mch.residents[woman], delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                mode=ppb.DELIVERY_MODE_VAGINAL,
                newborns=[
                    ppb.Newborn(birth_order=i + 1, sex=ppb.NEWBORN_SEX_MALE, birth_time=born,
                                weight_g=3100 + i, length_cm=50, apgar_1min=9, live_birth=True)
                    for i in range(babies)
                ],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    for n in delivery.newborns:
        _MOTHER_OF[n.name] = ID_NUMBERS[woman]
    return delivery


MOTHER = bpb.CertificateParent(
    nationality="中国", ethnicity="汉族", address="江苏省徐州市泉山区解放南路1号",
    document_type=bpb.PARENT_DOCUMENT_TYPE_RESIDENT_ID, document_number=WOMAN,
)  # fmt: skip
FATHER = bpb.CertificateParent(
    name="王强", age=31, nationality="中国", ethnicity="汉族",
    address="江苏省徐州市泉山区解放南路1号", document_type=bpb.PARENT_DOCUMENT_TYPE_RESIDENT_ID,
    document_number="320311199401010011",
)  # fmt: skip


# The mother applies in person (DOMAIN §4.3), as most tests have it.
IN_PERSON = bpb.CertificateApplicant(kind=bpb.APPLICANT_KIND_MOTHER)


def certificate(newborn: str, number: str, **fields) -> bpb.BirthCertificate:  # type: ignore[no-untyped-def]
    mother = bpb.CertificateParent()
    mother.CopyFrom(MOTHER)
    mother.document_number = _MOTHER_OF.get(newborn, WOMAN)
    values = {
        "number": number, "newborn": newborn, "child_name": "王小明",
        "health": bpb.NEWBORN_HEALTH_GOOD, "mother": mother, "father": FATHER,
        "midwife": "张护士", "applicant": IN_PERSON,
    }  # fmt: skip
    if "outside_institution" in fields:  # the child is to be registered in Quanshan
        values["household_region_code"] = "320311"
    values.update(fields)
    return bpb.BirthCertificate(**values)


def issue(bmc: Bmc, newborn: str, number: str, who: str = "qs-hosp-doctor", key: str = "",
          **fields) -> bpb.BirthCertificate:  # type: ignore[no-untyped-def]  # fmt: skip
    return bmc.api.IssueBirthCertificate(
        spb.IssueBirthCertificateRequest(
            certificate=certificate(newborn, number, **fields), request_id=key or rid()
        ),
        metadata=bmc.md(who),
    )


def service_account(mch: Mch, tenant_id: str, name: str) -> list[tuple[str, str]]:
    """Metadata of a new service account of ``tenant_id`` (created by xz-admin), logged in."""
    from rhip.api.identity.v1 import identity_service_pb2 as ipb
    from rhip.api.identity.v1 import user_pb2

    stub = mch.running.stub
    account = stub.CreateServiceAccount(
        ipb.CreateServiceAccountRequest(
            service_account=user_pb2.ServiceAccount(display_name=name, tenant_id=tenant_id),
            request_id=rid(),
        ),
        metadata=mch.md("xz-admin"),
    )
    login = stub.Login(
        ipb.LoginRequest(
            client=ipb.ClientCredentials(
                client_id=account.client_id, client_secret=account.client_secret
            )
        )
    )
    return [("authorization", f"Bearer {login.access_token}")]


def police_tenant(mch: Mch) -> str:
    """A public-security tenant in Tongshan (320312), made by xz-admin through the API."""
    from rhip.api.identity.v1 import identity_service_pb2 as ipb
    from rhip.api.identity.v1 import tenant_pb2

    tenant = mch.running.stub.CreateTenant(
        ipb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name="徐州市公安局铜山分局户政科",
                type=tenant_pb2.TENANT_TYPE_PUBLIC_SECURITY, region_code="320312",
            ),
            request_id=rid(),
        ),
        metadata=mch.md("xz-admin"),
    )  # fmt: skip
    return str(tenant.tenant_id)


def police(mch: Mch) -> list[tuple[str, str]]:
    """The household-registration office's interface: a service account of a public-security
    tenant (role verifier)."""
    return service_account(mch, police_tenant(mch), "公安户籍核验接口")
