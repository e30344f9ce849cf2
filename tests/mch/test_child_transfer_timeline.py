"""A child's past on the lifetime timeline follows its record (#16 "filtered by the same rules
as the sources", DOMAIN §3.3): when a transfer is accepted, the new institution sees on the
timeline the child's earlier enrolment and visits — which it now reads at mch — and the old one
sees exactly what mch still shows it (not the record, so none of them; the certificates stay
with their issuer). The change travels through mch's outbox after the entries it follows: a
redelivery changes nothing, and emr away during the transfer catches up once it is back. One
fed cell per backend for the module (timeline_support.py)."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import grpc
from mch import timeline_support
from mch.child_support import enroll, record_visit
from mch.conftest import Mch, days_ago, rid
from mch.timeline_support import cell_stub, timeline, wait
from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.mch.v1 import child_transfer_pb2 as tpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.kit.outbox_delivery import DeliveryFailed, Message
from rhip.kit.tenancy import tenant_scope
from support.errors import expect_error
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

fed_cell, fed = timeline_support.fed_cell, timeline_support.fed
CENTRE, TONGSHAN = "泉山社区卫生服务中心", "铜山镇卫生院"
CHILD_READ = "rhip.api.mch.v1.MchService/GetChildRecord"
# Who may look: the old institution, the new one, and a hospital of the old one's county that
# never cared for the child.
CALLERS = ("qs-doctor", "ts-doctor", "qs-hosp-doctor")


def _child(mch: Mch, seq: str) -> str:
    """A child about two months old registered by ID number at the Quanshan centre, who has
    since presented at the Tongshan township hospital too (the family moved there)."""
    birth = date.today() - timedelta(days=60)
    number = with_check(f"320311{birth:%Y%m%d}{seq}")
    residents = resident_stub(mch.running.channel)
    child = residents.RegisterResident(
        register_request(number, name="王小明", region="320311"), metadata=mch.md("qs-doctor")
    ).resident.name
    for who in ("ts-doctor", "qs-hosp-doctor"):
        residents.RegisterResident(
            register_request(number, name="王小明", region="320311"), metadata=mch.md(who)
        )
    return child


def _record_at_centre(mch: Mch, seq: str) -> tuple[str, str]:
    """(the child, its record): enrolled and visited twice at the Quanshan centre."""
    child = _child(mch, seq)
    record = enroll(mch, child).name
    record_visit(mch, record, days_ago(30), weight_kg=4.6)
    record_visit(mch, record, days_ago(2), weight_kg=5.3)
    return child, record


def _transfer(mch: Mch, record: str) -> tpb.ChildTransfer:
    asked = mch.api.RequestChildTransfer(
        mpb.RequestChildTransferRequest(
            name=record, target_tenant=mch.tenant("ts-th"), guardian_consent_reference="GC-7",
            consent_date=days_ago(1), reason="the family moved to Tongshan", request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    done = mch.api.AcceptChildTransfer(
        mpb.AcceptChildTransferRequest(name=asked.name), metadata=mch.md("ts-doctor")
    )
    assert done.state == tpb.CHILD_TRANSFER_STATE_ACCEPTED
    return done


def _reads_record(mch: Mch, record: str, who: str) -> bool:
    try:
        mch.api.GetChildRecord(mpb.GetChildRecordRequest(name=record), metadata=mch.md(who))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, error.details()
        return False
    return True


def _seen(mch: Mch, child: str) -> dict[str, list[tuple[str, str, str]]]:
    """Each caller's view of the child's mch entries, oldest first."""
    return {
        who: [(e.kind, e.clinical_date, e.tenant_display_name) for e in timeline(mch, child, who)][
            ::-1
        ]
        for who in CALLERS
    }


def _as_mch_reads(mch: Mch, record: str, entries: list) -> dict[str, list]:
    """What each caller should see of ``entries``: all of them where it reads the record at
    mch, none elsewhere."""
    return {who: entries if _reads_record(mch, record, who) else [] for who in CALLERS}


def test_after_a_transfer_the_new_institution_sees_the_childs_past_and_the_old_one_what_mch_shows(
    fed: Mch,
) -> None:
    mch = fed
    child, record = _record_at_centre(mch, "015")
    before = [
        ("CHILD_ENROLLED", date.today().isoformat(), CENTRE),
        ("CHILD_VISIT", days_ago(30), CENTRE),
        ("CHILD_VISIT", days_ago(2), CENTRE),
    ]
    wait(lambda: len(timeline(mch, child, "qs-doctor")) == 3)
    assert _seen(mch, child) == {"qs-doctor": before, "ts-doctor": [], "qs-hosp-doctor": []}

    _transfer(mch, record)
    # The new institution sees the child's past, recorded by the centre, as it reads it at mch;
    # the centre no longer reads the record, nor sees it on the timeline.
    wait(lambda: len(timeline(mch, child, "ts-doctor")) == 3)
    seen = _seen(mch, child)
    assert seen == {"qs-doctor": [], "ts-doctor": before, "qs-hosp-doctor": []}
    assert seen == _as_mch_reads(mch, record, before)
    # What the new institution records next joins them; the centre still sees none of it.
    record_visit(mch, record, days_ago(0), who="ts-doctor", weight_kg=5.4)
    after = [*before, ("CHILD_VISIT", days_ago(0), TONGSHAN)]
    wait(lambda: len(timeline(mch, child, "ts-doctor")) == 4)
    assert _seen(mch, child) == _as_mch_reads(mch, record, after)
    assert _seen(mch, child)["ts-doctor"] == after


def test_a_redelivered_change_changes_nothing_and_only_the_cell_sends_one(fed: Mch) -> None:
    mch = fed
    sender = timeline_support.delivery(mch)
    working = sender.sender
    assert working is not None
    twice: list[str] = []

    def answers_lost(message: Message) -> None:
        """Every event sent twice: emr's answer was lost and the delivery tried again."""
        working(message)
        working(message)
        twice.append(message.kind)

    sender.sender = answers_lost
    try:
        child, record = _record_at_centre(mch, "023")
        _transfer(mch, record)
        wait(lambda: "timeline.rescope" in twice)
    finally:
        sender.sender = working
    wait(lambda: len(timeline(mch, child, "ts-doctor")) == 3)
    assert [e.kind for e in timeline(mch, child, "ts-doctor")].count("CHILD_VISIT") == 2
    assert timeline(mch, child, "qs-doctor") == []

    # The same change sent again, even after a later one (an answer that arrives late), and
    # a change for another record change nothing.
    stub, md = cell_stub(mch)
    centre = tenant_scope("320311", mch.world.tenants["qs-chc"])
    back = ipb.RescopeTimelineEntriesRequest(
        event_id=str(uuid.uuid4()), source="mch", resident=child, read_method=CHILD_READ,
        target=record, scope_paths=[centre],
    )  # fmt: skip
    assert stub.RescopeTimelineEntries(back, metadata=md).rescoped == 3
    assert stub.RescopeTimelineEntries(back, metadata=md).rescoped == 0
    assert len(timeline(mch, child, "qs-doctor")) == 3
    tongshan = tenant_scope("320312", mch.world.tenants["ts-th"])
    again = ipb.RescopeTimelineEntriesRequest(
        event_id=str(uuid.uuid4()), source="mch", resident=child, read_method=CHILD_READ,
        target=record, scope_paths=[tongshan],
    )  # fmt: skip
    assert stub.RescopeTimelineEntries(again, metadata=md).rescoped == 3
    assert stub.RescopeTimelineEntries(back, metadata=md).rescoped == 0  # late: nothing
    other = ipb.RescopeTimelineEntriesRequest(
        event_id=str(uuid.uuid4()), source="mch", resident=child, read_method=CHILD_READ,
        target=record + "0", scope_paths=[centre],
    )  # fmt: skip
    assert stub.RescopeTimelineEntries(other, metadata=md).rescoped == 0
    assert timeline(mch, child, "qs-doctor") == [] and len(timeline(mch, child, "ts-doctor")) == 3

    # Only this cell's account; bad changes are refused field by field, nothing applied.
    expect_error(
        lambda: stub.RescopeTimelineEntries(again, metadata=mch.md("ts-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    for changes, field in (
        ({"target": "childRecords"}, "target"),
        ({"target": "childRecords/"}, "target"),
        ({"target": "childRecords/x/visits"}, "target"),
        ({"read_method": "rhip.api.archives.v1.ArchivesService/GetHealthRecord"}, "read_method"),
        ({"source": "identity"}, "source"),
        ({"resident": "people/1"}, "resident"),
        ({"event_id": ""}, "event_id"),
        ({"scope_paths": []}, "scope_paths"),
        ({"scope_paths": ["32/0311"]}, "scope_paths"),
        ({"scope_paths": ["86/32//x"]}, "scope_paths"),
    ):
        bad = ipb.RescopeTimelineEntriesRequest()
        bad.CopyFrom(back)
        bad.event_id = str(uuid.uuid4())
        for name, value in changes.items():
            if name == "scope_paths":
                del bad.scope_paths[:]
                bad.scope_paths.extend(value)
            else:
                setattr(bad, name, value)
        expect_error(
            lambda r=bad: stub.RescopeTimelineEntries(r, metadata=md),
            grpc.StatusCode.INVALID_ARGUMENT,
            field=field,
        )
    assert timeline(mch, child, "qs-doctor") == [] and len(timeline(mch, child, "ts-doctor")) == 3


def test_emr_away_during_the_transfer_catches_up_once_it_is_back(fed: Mch) -> None:
    mch = fed
    sender = timeline_support.delivery(mch)
    working = sender.sender
    tries: list[str] = []

    def emr_down(message: Message) -> None:
        tries.append(message.event_id)
        raise DeliveryFailed("emr answered UNAVAILABLE")

    sender.sender = emr_down
    try:
        child, record = _record_at_centre(mch, "031")
        _transfer(mch, record)
        record_visit(mch, record, days_ago(0), who="ts-doctor", weight_kg=5.4)
        wait(lambda: len(tries) >= 1)
        assert all(timeline(mch, child, who) == [] for who in CALLERS)
    finally:
        sender.sender = working  # emr is back: the retries (backoff of a few seconds) land
    wait(lambda: len(timeline(mch, child, "ts-doctor")) == 4)
    time.sleep(2)  # later passes find nothing left to send: each entry once
    expected = [
        ("CHILD_ENROLLED", date.today().isoformat(), CENTRE),
        ("CHILD_VISIT", days_ago(30), CENTRE),
        ("CHILD_VISIT", days_ago(2), CENTRE),
        ("CHILD_VISIT", days_ago(0), TONGSHAN),
    ]
    assert _seen(mch, child) == _as_mch_reads(mch, record, expected)
    assert _seen(mch, child)["ts-doctor"] == expected


def test_a_timeline_entry_is_shown_only_by_its_own_records_change(fed: Mch) -> None:
    """The change takes in the record and what lies under it, nothing of another record whose
    id merely starts alike, nor another read method's entries of the child."""
    mch = fed
    child, record = _record_at_centre(mch, "049")
    wait(lambda: len(timeline(mch, child, "qs-doctor")) == 3)
    stub, md = cell_stub(mch)
    tongshan = tenant_scope("320312", mch.world.tenants["ts-th"])
    for target, method in (
        (record[:-1], CHILD_READ),  # a prefix of the id, not the record
        (record, "rhip.api.mch.v1.MchService/GetPregnancy"),
    ):
        change = ipb.RescopeTimelineEntriesRequest(
            event_id=str(uuid.uuid4()), source="mch", resident=child, read_method=method,
            target=target, scope_paths=[tongshan],
        )  # fmt: skip
        assert stub.RescopeTimelineEntries(change, metadata=md).rescoped == 0
    assert len(timeline(mch, child, "qs-doctor")) == 3 and timeline(mch, child, "ts-doctor") == []
