"""The birth-certificate part of the security world: blank stock received by the Jiangsu
province and moved down to the Quanshan community health centre (T1, xz-doctor-1, qualified to
issue by the county administrator), each level confirming through the gateway; T1's serials,
the county → T1 transfer and (once issued) T1's certificate are the targets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc, mch_service_pb2_grpc
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from security.world_mch import WOMEN

FIRST = "S320000001"  # a letter no demo stock uses
QUANTITY = 20


def build_bmc_world(world: Any, call: Callable[..., Any], t1: str, t1_scope: str) -> None:
    channel = world.platform.channel
    quals = qualification_service_pb2_grpc.QualificationServiceStub(channel)
    bmc = birth_certificate_service_pb2_grpc.BirthCertificateServiceStub(channel)
    call(
        quals.GrantQualification,
        qpb.GrantQualificationRequest(
            tenant=f"tenants/{t1}", kind=qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE
        ),
        "qs-admin",
    )
    call(
        bmc.ReceiveBlankStock,
        spb.ReceiveBlankStockRequest(
            region="regions/320000", edition=7, first_serial=FIRST, quantity=QUANTITY,
            delivery_note="安全测试", request_id=str(uuid.uuid4()),
        ),
        "js-admin",
    )  # fmt: skip
    transfer = None
    for source, target, sender, receiver in (
        ("regions/320000", "regions/320300", "js-admin", "xz-admin"),
        ("regions/320300", "regions/320311", "xz-admin", "qs-admin"),
        ("regions/320311", f"tenants/{t1}", "qs-admin", "xz-doctor-1"),
    ):
        transfer = call(
            bmc.CreateStockTransfer,
            spb.CreateStockTransferRequest(
                transfer=bpb.StockTransfer(
                    from_holder=source, to_holder=target, edition=7, first_serial=FIRST,
                    quantity=QUANTITY,
                ),
                request_id=str(uuid.uuid4()),
            ),
            sender,
        )  # fmt: skip
        call(
            bmc.ConfirmStockTransfer, spb.ConfirmStockTransferRequest(name=transfer.name), receiver
        )
    assert transfer is not None
    county = "86/32/3203/320311"
    world.add("stock_transfer", transfer.name, (county, t1_scope), "320311")
    world.add("blank_serial", f"blankSerials/{FIRST}", t1_scope, "320311", marker=False)
    # T1's newborn (world_mch's delivery) gets its certificate on the second serial; the first
    # stays a blank in stock.
    mch = mch_service_pb2_grpc.MchServiceStub(channel)
    delivery = call(
        mch.GetDelivery,
        mpb.GetDeliveryRequest(name=world.targets["delivery"][0].value),
        "xz-doctor-1",
    )
    newborn = delivery.newborns[0].name
    world.add("newborn", newborn, t1_scope, "320311", marker=False)
    issued = call(
        bmc.IssueBirthCertificate,
        spb.IssueBirthCertificateRequest(
            certificate=bpb.BirthCertificate(
                number="S320000002", newborn=newborn, child_name="隔离新生儿",
                health=bpb.NEWBORN_HEALTH_GOOD, father_unknown_statement=True,
                applicant=bpb.CertificateApplicant(kind=bpb.APPLICANT_KIND_MOTHER),
                mother=bpb.CertificateParent(
                    nationality="中国", address="江苏省徐州市泉山区",
                    document_type=bpb.PARENT_DOCUMENT_TYPE_RESIDENT_ID,
                    document_number=WOMEN[1],  # the delivery's mother (world_mch)
                ),
            ),
            request_id=str(uuid.uuid4()),
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.add("birth_certificate", issued.name, t1_scope, "320311")
    # National reporting is watched by the province's own administrators only.
    world.add("province", "regions/320000", "86/32", "320000", marker=False)
    # A county designates its birth-certificate issuer (T1's county here: it holds the
    # qualification); the designation is read and changed at county level only.
    call(
        bmc.DesignateBirthCertificateIssuer,
        spb.DesignateBirthCertificateIssuerRequest(
            region="regions/320311", issuer=f"tenants/{t1}", document_ref="泉卫〔2026〕1号",
            request_id=str(uuid.uuid4()),
        ),
        "qs-admin",
    )  # fmt: skip
    world.add("county", "regions/320311", "86/32/3203/320311", "320311", marker=False)
