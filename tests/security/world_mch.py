"""The mch part of the security world: owner data of the Quanshan community health centre
(T1, xz-doctor-1) for the mch and qualification RPCs, made by its legitimate owners through
the gateway: T1's midwifery qualification (granted by the county administrator), an open
pregnancy with a visit, graded orange by the county's maternal–child hospital (which files a
high-risk report to the county), a delivered pregnancy whose delivery registered a newborn,
that newborn's child health record (and its vision record), a second child of T1 whose
transfer to the maternal–child hospital is pending (both institutions are its parties), and
the open pregnancy's pending transfer to the same hospital."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import qualification_service_pb2_grpc, resident_pb2
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day
from support.residents import pb as rpb
from support.residents import register_request, stub, with_check

# Female (even sequence digit) synthetic ID numbers of Quanshan, not real people.
WOMEN = (with_check("32031119930405062"), with_check("32031119940506084"))


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def build_mch_world(
    world: Any, call: Callable[..., Any], t1: str, t1_scope: str, mch_hospital: str,
    hospital_scope: str,
) -> None:  # fmt: skip
    """``call(method, request, who)`` as world.build_world makes its calls; ``t1`` the owner's
    tenant id; ``mch_hospital`` the tenant id of xz-doctor-5 (the county's maternal–child
    hospital, tertiary), which grades the owner's woman, and ``hospital_scope`` its scope."""
    channel = world.platform.channel
    quals = qualification_service_pb2_grpc.QualificationServiceStub(channel)
    mch = mch_service_pb2_grpc.MchServiceStub(channel)
    residents = stub(channel)
    granted = call(
        quals.GrantQualification,
        qpb.GrantQualificationRequest(
            tenant=f"tenants/{t1}", kind=qpb.QUALIFICATION_KIND_MIDWIFERY
        ),
        "qs-admin",
    )
    world.add("qualification", granted.name, t1_scope, "320311")
    women = [
        call(
            residents.RegisterResident,
            register_request(number, name=name, region="320311"),
            "xz-doctor-1",
        ).resident
        for number, name in zip(WOMEN, ("隔离孕妇甲", "隔离孕妇乙"), strict=True)
    ]
    open_one = call(
        mch.RegisterPregnancy,
        mpb.RegisterPregnancyRequest(
            resident=women[0].name, handbook_number=f"SEC-{uuid.uuid4().hex[:12]}",
            registration_date=_days_ago(60), lmp_date=_days_ago(150),
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.add("pregnancy", open_one.name, t1_scope, "320311")
    world.markers[open_one.handbook_number] = world.targets["pregnancy"][-1]
    visit = call(
        mch.RecordAntenatalVisit,
        mpb.RecordAntenatalVisitRequest(
            parent=open_one.name, visit=pb.AntenatalVisit(visit_date=_days_ago(30), weight_kg=60)
        ),
        "xz-doctor-1",
    )
    world.add("antenatal_visit", visit.name, t1_scope, "320311")
    # The county's maternal–child hospital (xz-doctor-5, tertiary) grades her orange: a
    # high-risk report goes to the county (86/32/3203/320311). Risk grading is granted to an
    # institution that provides midwifery only (rhip.kit.qualification_rules).
    for kind in (qpb.QUALIFICATION_KIND_MIDWIFERY, qpb.QUALIFICATION_KIND_RISK_GRADING):
        call(
            quals.GrantQualification,
            qpb.GrantQualificationRequest(tenant=f"tenants/{mch_hospital}", kind=kind),
            "qs-admin",
        )
    call(
        mch.AssessPregnancyRisk,
        mpb.AssessPregnancyRiskRequest(mother=women[0].name, criteria=["O-HEART"]),
        "xz-doctor-5",
    )
    report = call(
        mch.ListRiskReports, mpb.ListRiskReportsRequest(parent="regions/320311"), "qs-admin"
    ).reports[0]
    world.add("risk_report", report.name, t1_scope.rsplit("/", 1)[0], "320311")
    delivered = call(
        mch.RegisterPregnancy,
        mpb.RegisterPregnancyRequest(
            resident=women[1].name, handbook_number=f"SEC-{uuid.uuid4().hex[:12]}",
            registration_date=_days_ago(200), lmp_date=_days_ago(270),
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.markers[delivered.name.rsplit("/", 1)[-1]] = world.targets["pregnancy"][-1]
    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(hours=2))
    delivery = call(
        mch.RecordDelivery,
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=women[1].name, delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                mode=pb.DELIVERY_MODE_VAGINAL,
                newborns=[
                    pb.Newborn(
                        birth_order=1, sex=pb.NEWBORN_SEX_MALE, birth_time=born, weight_g=3300,
                        length_cm=50, apgar_1min=9, live_birth=True,
                    )
                ],
            )
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.add("delivery", delivery.name, t1_scope, "320311")
    # The newborn enrolled in T1's child health management, with its newborn visit.
    child = call(
        mch.EnrollChild, mpb.EnrollChildRequest(child=delivery.newborns[0].resident), "xz-doctor-1"
    )
    world.add("child_record", child.name, t1_scope, "320311")
    call(
        mch.RecordChildVisit,
        mpb.RecordChildVisitRequest(
            parent=child.name, visit=cpb.ChildVisit(visit_date=_days_ago(0), weight_kg=3.3)
        ),
        "xz-doctor-1",
    )
    world.add("child_vision_record", f"{child.name}/visionRecord", t1_scope, "320311", marker=False)
    # A second child of T1, asked to move to the maternal–child hospital: the transfer and the
    # child's record are seen by both institutions.
    twin = call(
        residents.RegisterNewborn,
        rpb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="隔离新生儿乙", sex=resident_pb2.SEX_FEMALE,
                birth_date=_days_ago(40), mother=women[1].name,
            ),
        ),
        "xz-doctor-1",
    )  # fmt: skip
    moving = call(mch.EnrollChild, mpb.EnrollChildRequest(child=twin.name), "xz-doctor-1")
    parties = (t1_scope, hospital_scope)
    world.add("transferred_child_record", moving.name, parties, "320311")
    transfer = call(
        mch.RequestChildTransfer,
        mpb.RequestChildTransferRequest(
            name=moving.name, target_tenant=f"tenants/{mch_hospital}",
            guardian_consent_reference="SEC-GC-1", consent_date=_days_ago(1),
            reason="the family moved",
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.add("child_transfer", transfer.name, parties, "320311")
    # The open pregnancy, asked to move to the maternal–child hospital: the transfer is seen by
    # both institutions (the pregnancy by T1 only until the hospital accepts).
    moving_pregnancy = call(
        mch.RequestPregnancyTransfer,
        mpb.RequestPregnancyTransferRequest(
            pregnancy=open_one.name, target_tenant=f"tenants/{mch_hospital}",
            reason="she moved",
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.add("pregnancy_transfer", moving_pregnancy.name, parties, "320311")
