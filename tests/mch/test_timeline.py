"""Maternal and child health on the lifetime timeline (#16, DOMAIN §3): mch's events reach emr's
index through mch's outbox (the ``mch-timeline`` delivery) — the mother's pregnancy, visits,
risk grade changes, termination and delivery, the child's enrolment, visits and birth
certificate — each with the institution's name and the clinical date, shown only to callers
who may read the record at mch, and exactly once however often an event is delivered.
One cell per backend for the module (with its own account, the feed's token, and every
service); each test works on residents of its own."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import grpc
from conftest import make_settings
from google.protobuf.timestamp_pb2 import Timestamp
from mch import timeline_support
from mch.bmc_support import Bmc, deliver, issue, make_bmc
from mch.conftest import Mch, days_ago, rid
from mch.timeline_support import CELL_ID, CELL_SECRET, cell_stub, timeline, wait
from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.cell import build_cell
from rhip.kit.outbox_delivery import DeliveryFailed, Message
from rhip.kit.tenancy import tenant_scope
from support.errors import expect_error

# The module's cell, one per backend (timeline_support.py).
fed_cell, fed = timeline_support.fed_cell, timeline_support.fed
HOSPITAL, CENTRE = "徐州市泉山区人民医院", "泉山社区卫生服务中心"
PREGNANCY_READ = "rhip.api.mch.v1.MchService/GetPregnancy"


def _oldest_first(entries: list[epb.TimelineEntry]) -> list[tuple[str, str, str]]:
    return [(e.kind, e.clinical_date, e.tenant_display_name) for e in reversed(entries)]


def _mother(mch: Mch) -> tuple[pb.Pregnancy, pb.Delivery]:
    """The woman's pregnancy at the county hospital: registered 161 days ago, a visit, three
    gradings (yellow, yellow again, purple), the delivery an hour ago, the home visit today."""
    md = mch.md("qs-hosp-doctor")
    p = mch.register(by="qs-hosp-doctor", lmp_days_ago=217, registration_date=days_ago(161))
    mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name, visit=pb.AntenatalVisit(visit_date=days_ago(100)), request_id=rid()
        ),
        metadata=md,
    )
    for criteria, day in ((["Y-AGE-35"], 90), (["Y-AGE-35"], 80), (["P-HBV"], 70)):
        mch.api.AssessPregnancyRisk(
            mpb.AssessPregnancyRiskRequest(
                mother=mch.residents["woman"], assessment_date=days_ago(day), criteria=criteria,
                request_id=rid(),
            ),
            metadata=md,
        )  # fmt: skip
    delivery = deliver(mch)
    mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=p.name, kind=pb.VISIT_KIND_POSTPARTUM_HOME,
            visit=pb.AntenatalVisit(visit_date=days_ago(0)), request_id=rid(),
        ),
        metadata=md,
    )  # fmt: skip
    return p, delivery


def _certificates(bmc: Bmc, newborn: str) -> None:
    """Issued, replaced, reissued, and the reissued one voided (X320101001…004)."""
    md = bmc.md("qs-hosp-doctor")
    first = issue(bmc, newborn, "X320101001")
    replaced = bmc.api.ReplaceBirthCertificate(
        spb.ReplaceBirthCertificateRequest(
            name=first.name, number="X320101002", ground=bpb.REPLACEMENT_GROUND_DAMAGED,
            request_id=rid(),
        ),
        metadata=md,
    )  # fmt: skip
    loss = bpb.LossDeclaration(written_declaration_ref="遗失声明-1")
    reissued = bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=replaced.name, number="X320101003", loss_declaration=loss, request_id=rid()
        ),
        metadata=md,
    )
    bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=reissued.name, reason="信息错误", request_id=rid()),
        metadata=md,
    )


def test_mother_and_child_events_reach_the_timeline_of_those_who_read_them_at_mch(
    fed: Mch,
) -> None:
    mch = fed
    bmc = make_bmc(mch)
    bmc.down_to_hospital("X320101001", 3)
    p, delivery = _mother(mch)
    woman = mch.residents["woman"]
    # The mother's timeline at the hospital that manages the pregnancy: each event once, in
    # the order it was recorded, with the hospital's name and the day it happened. The second
    # yellow grading changed nothing and is not there; purple joins yellow (DOMAIN §3.2).
    born = delivery.delivery_date
    mother = [
        ("PREGNANCY_REGISTERED", days_ago(161), HOSPITAL),
        ("ANTENATAL_VISIT", days_ago(100), HOSPITAL),
        ("RISK_YELLOW", days_ago(90), HOSPITAL),
        ("RISK_PURPLE", days_ago(70), HOSPITAL),
        ("DELIVERY_RECORDED", born, HOSPITAL),
        ("POSTPARTUM_HOME_VISIT", days_ago(0), HOSPITAL),
    ]
    wait(lambda: len(timeline(mch, woman, "qs-hosp-doctor")) >= len(mother))
    entries = timeline(mch, woman, "qs-hosp-doctor")
    assert _oldest_first(entries) == mother
    assert entries[-1].target == p.name and entries[1].target == delivery.name
    assert {e.tenant for e in entries} == {mch.tenant("qs-hosp")}
    assert entries[0].occur_time.ToSeconds() >= entries[-1].occur_time.ToSeconds()

    # The community centre may not read that pregnancy at mch, so it sees none of its entries
    # on the woman's timeline (which it does reach: it registered her).
    expect_error(
        lambda: mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md(
            "qs-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )  # fmt: skip
    assert timeline(mch, woman, "qs-doctor") == []

    # A pregnancy of another woman ends early.
    other = mch.register(who="woman2", by="qs-hosp-doctor", lmp_days_ago=60)
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=other.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )

    # The child: enrolled and visited at the community centre; certified at the hospital.
    baby = delivery.newborns[0].resident
    record = mch.api.EnrollChild(
        mpb.EnrollChildRequest(child=baby, request_id=rid()), metadata=mch.md("qs-doctor")
    )
    mch.api.RecordChildVisit(
        mpb.RecordChildVisitRequest(
            parent=record.name, visit=cpb.ChildVisit(visit_date=days_ago(0)), request_id=rid()
        ),
        metadata=mch.md("qs-doctor"),
    )
    _certificates(bmc, delivery.newborns[0].name)
    today = date.today().isoformat()
    certificates = [
        ("BIRTH_CERTIFICATE_ISSUED", today, HOSPITAL),
        ("BIRTH_CERTIFICATE_REPLACED", today, HOSPITAL),
        ("BIRTH_CERTIFICATE_REISSUED", today, HOSPITAL),
        ("BIRTH_CERTIFICATE_VOIDED", today, HOSPITAL),
    ]
    wait(lambda: len(timeline(mch, baby, "qs-hosp-doctor")) >= len(certificates))
    assert _oldest_first(timeline(mch, baby, "qs-hosp-doctor")) == certificates
    # The centre reads the child's record, not the hospital's certificates; and the reverse.
    wait(lambda: len(timeline(mch, baby, "qs-doctor")) >= 2)
    child = timeline(mch, baby, "qs-doctor")
    assert _oldest_first(child) == [
        ("CHILD_ENROLLED", today, CENTRE), ("CHILD_VISIT", days_ago(0), CENTRE),
    ]  # fmt: skip
    assert child[-1].target == record.name and child[0].target.startswith(record.name + "/")
    wait(lambda: len(timeline(mch, mch.residents["woman2"], "qs-hosp-doctor")) >= 2)
    assert _oldest_first(timeline(mch, mch.residents["woman2"], "qs-hosp-doctor")) == [
        ("PREGNANCY_REGISTERED", today, HOSPITAL), ("PREGNANCY_TERMINATED", days_ago(1), HOSPITAL),
    ]  # fmt: skip


def test_events_arrive_once_through_outages_and_redeliveries_and_refused_writes_queue_nothing(
    fed: Mch,
) -> None:
    mch = fed
    delivery = timeline_support.delivery(mch)
    assert mch.running.cell.part("mch").usecases.timeline
    assert "mch-timeline" in mch.running.cell.built["mch"].outboxes
    working = delivery.sender
    assert working is not None
    tries: list[str] = []
    twice: set[str] = set()

    def flaky(message: Message) -> None:
        """emr away for the first try; afterwards every event sent twice (a lost answer)."""
        tries.append(message.event_id)
        if len(tries) == 1:
            raise DeliveryFailed("emr answered UNAVAILABLE")
        working(message)
        working(message)
        twice.add(message.event_id)

    delivery.sender = flaky
    woman = mch.residents["woman3"]
    try:
        p = mch.register(who="woman3", by="qs-hosp-doctor", lmp_days_ago=70)
        # Refused writes (a second open pregnancy; a visit before the registration) roll back
        # with their events.
        expect_error(
            lambda: mch.register(who="woman3", by="qs-hosp-doctor", lmp_days_ago=70),
            grpc.StatusCode.ALREADY_EXISTS,
        )
        expect_error(
            lambda: mch.api.RecordAntenatalVisit(
                mpb.RecordAntenatalVisitRequest(
                    parent=p.name, visit=pb.AntenatalVisit(visit_date=days_ago(30))
                ),
                metadata=mch.md("qs-hosp-doctor"),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        mch.api.RecordAntenatalVisit(
            mpb.RecordAntenatalVisitRequest(
                parent=p.name, visit=pb.AntenatalVisit(visit_date=days_ago(0)), request_id=rid()
            ),
            metadata=mch.md("qs-hosp-doctor"),
        )
        wait(lambda: len(twice) == 2)  # both events, each sent twice
    finally:
        delivery.sender = working
    kinds = [e.kind for e in timeline(mch, woman, "qs-hosp-doctor")]
    assert kinds == ["ANTENATAL_VISIT", "PREGNANCY_REGISTERED"]  # each once
    assert tries[0] == tries[1]  # the event emr missed was tried again after the outage


def test_emr_refuses_a_bad_clinical_date_or_institution_name_from_mch(fed: Mch) -> None:
    mch = fed
    stub, md = cell_stub(mch)
    when = Timestamp()
    when.GetCurrentTime()
    scope = tenant_scope("320311", mch.world.tenants["qs-hosp"])

    def entry(**changes: str) -> ipb.SourceTimelineEntry:
        values = {
            "event_id": str(uuid.uuid4()), "source": "mch", "resident": mch.residents["man"],
            "kind": "ANTENATAL_VISIT", "target": "pregnancies/p", "tenant": mch.tenant("qs-hosp"),
            "read_method": PREGNANCY_READ, "tenant_display_name": HOSPITAL,
            "clinical_date": "2026-01-05",
        }  # fmt: skip
        values.update(changes)
        return ipb.SourceTimelineEntry(occur_time=when, scope_paths=[scope], **values)

    for changes, field in (
        ({"clinical_date": "2026-1-5"}, "entries[0].clinical_date"),
        ({"tenant_display_name": "院" * 201}, "entries[0].tenant_display_name"),
        ({"tenant_display_name": "医院\n"}, "entries[0].tenant_display_name"),
        ({"read_method": "rhip.api.mch.v1.MchService/ListPregnancies"}, "entries[0].read_method"),
    ):
        request = ipb.RecordTimelineEntriesRequest(entries=[entry(**changes)])
        expect_error(
            lambda r=request: stub.RecordTimelineEntries(r, metadata=md),
            grpc.StatusCode.INVALID_ARGUMENT,
            field=field,
        )
    good = ipb.RecordTimelineEntriesRequest(entries=[entry()])
    assert stub.RecordTimelineEntries(good, metadata=md).recorded == 1
    assert stub.RecordTimelineEntries(good, metadata=md).recorded == 0  # a replay
    [shown] = timeline(mch, mch.residents["man"], "qs-hosp-doctor")
    assert (shown.clinical_date, shown.tenant_display_name) == ("2026-01-05", HOSPITAL)


def test_a_cell_without_emr_runs_no_mch_timelinedelivery(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url, RHIP_MCH_DATABASE_URL=f"sqlite:///{tmp_path / 'mch2'}.db",
        RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET,
    )  # fmt: skip
    cell = build_cell(settings, ("identity", "mch"))
    try:
        part = cell.part("mch")
        assert part.timeline is None and not part.usecases.timeline
        assert not part.certificates.timeline
        assert "mch-timeline" not in cell.built["mch"].outboxes
    finally:
        cell.stop(0)
