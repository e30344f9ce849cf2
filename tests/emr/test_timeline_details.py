"""Every timeline entry says where and when in a reader's terms (#16): the institution's name
and the clinical date, written with the entry — archives' and referral's in their feed
payloads, emr's by its own ingest — so ListTimeline answers them from the index alone. The
entries stored before get the clinical date from emr's own tables where they hold it exactly
(emr_0004), and none where they do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from archives.helpers import days_ago
from emr.helpers import Emr, lab_report, stamp
from emr.test_timeline_feeds import (  # noqa: F401  (running: the cell with the feed's account)
    RECORD_KINDS,
    _record_with_visits,
    _referral,
    _timeline,
    _wait,
    running,
)
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.emr.server import MIGRATIONS
from rhip.emr.store import timeline
from rhip.kit.db import alembic_config
from sqlalchemy import select, update

CENTRE = "泉山社区卫生服务中心"  # qs-chc, the record's keeper and the referral's sender
HOSPITAL = "徐州市泉山区人民医院"  # hosp, whose HIS sends the lab report
CST = timedelta(hours=8)


def _cst_day(when: datetime) -> str:
    return (when.astimezone(UTC) + CST).date().isoformat()


def _one(entries: list[pb.TimelineEntry], kind: str) -> pb.TimelineEntry:
    [entry] = [e for e in entries if e.kind == kind]
    return entry


def _all_arrived(emr: Emr) -> list[pb.TimelineEntry]:
    wanted = RECORD_KINDS | {"REFERRAL_SUBMITTED"}
    _wait(lambda: wanted <= {e.kind for e in _timeline(emr, "qs-doctor")})
    return _timeline(emr, "qs-doctor")


def test_entries_of_every_source_carry_the_institution_name_and_the_clinical_date(
    emr: Emr,
) -> None:
    # A lab report of a visit two days ago, received now (its effective time: now).
    emr.submit(lab_report(emr.numbers["man"], "LIS-T1", effective_time=stamp(0)))
    _record_with_visits(emr)  # a check-up 3 days ago, a follow-up yesterday, recorded today
    _referral(emr)
    entries = _all_arrived(emr)

    follow_up = _one(entries, "RECORD_FOLLOW_UP")
    assert (follow_up.tenant_display_name, follow_up.clinical_date) == (CENTRE, days_ago(1))
    check_up = _one(entries, "RECORD_CHECK_UP")
    assert (check_up.tenant_display_name, check_up.clinical_date) == (CENTRE, days_ago(3))
    today = _cst_day(datetime.now(UTC))
    created = _one(entries, "RECORD_CREATED")  # its own care: the day it was recorded
    assert (created.tenant_display_name, created.clinical_date) == (CENTRE, today)
    sent = _one(entries, "REFERRAL_SUBMITTED")
    assert (sent.tenant_display_name, sent.clinical_date) == (CENTRE, today)

    lab = _one(_timeline(emr, "hosp-doctor"), "DOCUMENT_KIND_LAB_REPORT")
    assert lab.tenant_display_name == HOSPITAL
    # The encounter's day, not the day the report was issued.
    assert lab.clinical_date == _cst_day(stamp(2).ToDatetime(tzinfo=UTC))
    assert lab.clinical_date != _cst_day(stamp(0).ToDatetime(tzinfo=UTC))


def test_a_document_without_an_encounter_time_is_dated_by_its_effective_time(emr: Emr) -> None:
    no_encounter = dpb.Encounter(department="检验科")
    emr.submit(
        lab_report(emr.numbers["man"], "LIS-T2", effective_time=stamp(5), encounter=no_encounter)
    )
    lab = _one(_timeline(emr, "hosp-doctor"), "DOCUMENT_KIND_LAB_REPORT")
    assert lab.clinical_date == _cst_day(stamp(5).ToDatetime(tzinfo=UTC))
    assert lab.tenant_display_name == HOSPITAL


def test_entries_stored_before_get_the_clinical_date_emrs_tables_hold(emr: Emr) -> None:
    """emr_0004 on entries stored without dates (as before emr_0003/these feeds): the
    document's and the record events' days come back; a follow-up's day, which only archives
    knows, stays absent rather than guessed."""
    emr.submit(lab_report(emr.numbers["man"], "LIS-T3", effective_time=stamp(0)))
    _record_with_visits(emr)
    _referral(emr)
    before = {e.kind: e for e in _all_arrived(emr)}
    db = emr.running.cell.part("emr").db
    with db.transaction() as tx:  # as the entries stored before stood
        tx.execute(update(timeline).values(clinical_date=None, tenant_name=""))
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "emr_0003")
        command.upgrade(cfg, "heads")
    with db.read() as conn:
        assert conn.execute(select(timeline.c.tenant_name).distinct()).scalars().all() == [""]
    after = {e.kind: e for e in _timeline(emr, "qs-doctor")}
    for kind in ("RECORD_CREATED", "RECORD_ACTIVATED", "REFERRAL_SUBMITTED"):
        assert after[kind].clinical_date == before[kind].clinical_date != ""
    assert after["RECORD_FOLLOW_UP"].clinical_date == ""  # shown as absent
    assert after["RECORD_CHECK_UP"].clinical_date == ""
    lab = _one(_timeline(emr, "hosp-doctor"), "DOCUMENT_KIND_LAB_REPORT")
    assert lab.clinical_date == _cst_day(stamp(2).ToDatetime(tzinfo=UTC))  # its encounter's
    assert lab.tenant_display_name == ""  # names live in identity: the names pass asks it
    names = emr.running.cell.part("emr").names
    assert names.name_pass() > 0  # every entry of both institutions, in one pass
    assert names.name_pass() == 0  # nothing left without a name
    named = {e.kind: e.tenant_display_name for e in _timeline(emr, "qs-doctor")}
    assert named["RECORD_FOLLOW_UP"] == named["REFERRAL_SUBMITTED"] == CENTRE
    assert "" not in named.values()
    assert _one(_timeline(emr, "hosp-doctor"), "DOCUMENT_KIND_LAB_REPORT").tenant_display_name == (
        HOSPITAL
    )


def test_an_institution_identity_does_not_know_stays_unnamed_and_is_not_asked_again(
    emr: Emr,
) -> None:
    """A referral's sender in another cell: identity here knows no such institution. Its
    entries stay without a name (shown with the tenant id), and later passes skip it."""
    _referral(emr)
    _wait(lambda: "REFERRAL_SUBMITTED" in {e.kind for e in _timeline(emr, "qs-doctor")})
    db = emr.running.cell.part("emr").db
    with db.transaction() as tx:
        tx.execute(update(timeline).values(tenant_name="", tenant_id="0000-not-in-this-cell"))
    names = emr.running.cell.part("emr").names
    asked: list[str] = []
    real = names.names._fetch
    names.names._fetch = lambda tenant_id: asked.append(tenant_id) or real(tenant_id)
    assert names.name_pass() == 0 and names.name_pass() == 0
    assert asked == ["0000-not-in-this-cell"]  # once, not at every pass
    with db.read() as conn:
        assert conn.execute(select(timeline.c.tenant_name).distinct()).scalars().all() == [""]
