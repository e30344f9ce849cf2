"""Audit retention on SQLite and PostgreSQL: a purge deletes exactly the events older than the
retention, behind a signed checkpoint from which the chain still verifies; a forged or moved
checkpoint, a gap and a tampered range are caught; re-runs change nothing; two replicas purge
at once while events are appended."""

from __future__ import annotations

import base64
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rhip.kit import audit
from rhip.kit.audit_checkpoint import AuditSeal
from rhip.kit.audit_purge import AuditPurge, PurgeResult, cutoff_for
from rhip.kit.config import ConfigError, load_settings
from rhip.kit.db import Database, migrate
from rhip.kit.schema import audit_checkpoint, audit_event, audit_resident
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
SECRET = os.urandom(32)
SEAL = AuditSeal(SECRET, "320000", "identity")


def _database(database_url: str, tmp_path: Path) -> Database:
    db = Database.connect(database_url)
    empty = tmp_path / "no-service-migrations"
    empty.mkdir(exist_ok=True)
    migrate(db.engine, empty)  # the kit's own tables only
    return db


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


def _append(db: Database, ages: list[timedelta], tag: str = "e") -> None:
    """Events through the real writer, each dated ``NOW - age`` and naming a resident."""
    events = [
        audit.AuditEvent(
            "resident.read",
            f"residents/{tag}{i}",
            "86/32/3203",
            detail={"hits": 1},
            actor="user:u1",
            actor_tenant="t1",
            event_time=_stamp(NOW - age),
        )
        for i, age in enumerate(ages)
    ]
    with db.transaction() as tx:
        audit.append_many(tx, events)


def _purge(db: Database, now: datetime = NOW, seal: AuditSeal = SEAL, **kw: int) -> AuditPurge:
    return AuditPurge(db, seal, 180, scope_path="86/32", clock=lambda: now, **kw)


def _verify(db: Database, seal: AuditSeal | None = SEAL) -> audit.ChainReport:
    with db.read() as conn:
        return audit.verify(conn, seal=seal)


def _rows(db: Database) -> list[tuple[int, str, str]]:
    with db.read() as conn:
        return [
            tuple(r)  # type: ignore[misc]
            for r in conn.execute(
                select(audit_event.c.seq, audit_event.c.action, audit_event.c.event_time).order_by(
                    audit_event.c.seq
                )
            )
        ]


def _drop_guards(db: Database) -> None:
    """What an intruder with database access would do first."""
    with db.transaction() as tx:
        if tx.dialect.name == "postgresql":
            tx.execute(text("DROP TRIGGER audit_event_no_update ON audit_event"))
            tx.execute(text("DROP TRIGGER audit_checkpoint_no_update ON audit_checkpoint"))
        else:
            for trigger in (
                "audit_event_no_update",
                "audit_event_no_delete",
                "audit_checkpoint_no_update",
                "audit_checkpoint_no_delete",
            ):
                tx.execute(text(f"DROP TRIGGER {trigger}"))


OLD = [timedelta(days=d) for d in (400, 300, 250, 200, 181)] + [timedelta(days=180, seconds=1)]
YOUNG = [timedelta(days=180) - timedelta(seconds=1), timedelta(days=90), timedelta(0)]


def test_a_purge_deletes_exactly_the_old_events_and_the_chain_verifies_from_its_checkpoint(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    result = _purge(db).run()
    cutoff = cutoff_for(NOW, 180)
    assert result == PurgeResult(
        cutoff, events=6, deleted=6, checkpoints=1, first_seq=1, last_seq=6,
        first_time=_stamp(NOW - OLD[0]), last_time=_stamp(NOW - OLD[-1]),
    )  # fmt: skip
    rows = _rows(db)
    # The young events all stay (one second inside the retention included), then the purge's
    # own event.
    assert [r[0] for r in rows] == [7, 8, 9, 10]
    assert [r[2] for r in rows[:3]] == [_stamp(NOW - age) for age in YOUNG]
    assert rows[3][1] == "audit.purge"
    assert all(r[2] >= cutoff for r in rows)
    with db.read() as conn:
        residents = conn.execute(select(audit_resident.c.seq)).scalars().all()
        detail = conn.execute(select(audit_event.c.detail).where(audit_event.c.seq == 10)).scalar()
    assert sorted(residents) == [7, 8, 9]  # the purged events' index rows went with them
    assert '"events": 6' in str(detail) and "residents/" not in str(detail)
    report = _verify(db)
    assert (report.intact, report.checkpoints, report.anchor_seq, report.rows_checked) == (
        True, 1, 6, 4,
    )  # fmt: skip


def test_a_rerun_changes_nothing_and_a_later_purge_chains_its_checkpoint(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    _purge(db).run()
    before = _rows(db)
    again = _purge(db).run()
    assert (again.events, again.deleted, again.checkpoints) == (0, 0, 0)
    assert _rows(db) == before  # not even an audit.purge event: nothing changed
    # A month later the event that was 90 days old is still young; the 180-day-old ones and
    # the one a second inside the retention are not.
    later = _purge(db, NOW + timedelta(days=30)).run()
    assert (later.events, later.first_seq, later.last_seq, later.checkpoints) == (1, 7, 7, 1)
    report = _verify(db)
    assert report.intact and report.checkpoints == 2 and report.anchor_seq == 7


def test_a_dry_run_counts_and_changes_nothing(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    lines: list[str] = []
    result = _purge(db, per_checkpoint=4).run(dry_run=True, progress=lines.append)
    assert (result.events, result.deleted, result.checkpoints) == (6, 0, 0)
    assert len(lines) == 2 and lines[0].startswith("would seal: 4 events, seq 1–4")
    assert len(_rows(db)) == 9
    assert _verify(db).checkpoints == 0


def test_a_backlog_is_sealed_in_several_checkpoints(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    _append(db, [timedelta(days=365, minutes=-i) for i in range(25)] + YOUNG)
    result = _purge(db, per_checkpoint=10).run()
    assert (result.events, result.deleted, result.checkpoints) == (25, 25, 3)
    report = _verify(db)
    assert report.intact and report.checkpoints == 3 and report.anchor_seq == 25
    with db.read() as conn:
        purges = conn.execute(
            select(func.count()).where(audit_event.c.action == "audit.purge")
        ).scalar()
    assert purges == 3


@pytest.mark.parametrize(
    "edit",
    [
        {"event_count": 5},
        {"anchor_hash": "f" * 64},
        {"last_seq": 5},
        {"first_time": "2026-01-01T00:00:00.000000+00:00"},
    ],
)
def test_an_edited_checkpoint_fails_verification(
    database_url: str, tmp_path: Path, edit: dict[str, object]
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    _purge(db).run()
    _drop_guards(db)
    with db.transaction() as tx:
        tx.execute(audit_checkpoint.update().values(**edit))
    report = _verify(db)
    assert not report.intact and report.problem == "CHECKPOINT_FORGED"
    assert report.first_broken_seq == 1  # the checkpoint's number


def test_a_checkpoint_of_another_key_or_log_or_none_at_all_fails(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    _purge(db).run()
    intruder = AuditSeal(os.urandom(32), "320000", "identity")
    assert _verify(db, intruder).problem == "CHECKPOINT_FORGED"
    assert _verify(db, AuditSeal(SECRET, "320000", "archives")).problem == "CHECKPOINT_FORGED"
    assert _verify(db, AuditSeal(SECRET, "370000", "identity")).problem == "CHECKPOINT_FORGED"
    assert _verify(db, None).problem == "CHECKPOINT_UNVERIFIED"
    # Without its checkpoint the chain starts at its genesis, whose events are gone.
    _drop_guards(db)
    with db.transaction() as tx:
        tx.execute(audit_checkpoint.delete())
    report = _verify(db)
    assert (report.intact, report.problem, report.first_broken_seq) == (False, "ROW_MISSING", 1)


def test_a_checkpoint_re_signed_by_an_intruder_with_other_events_fails(
    database_url: str, tmp_path: Path
) -> None:
    """An intruder who purged with their own key (their own cell secret) is caught."""
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    intruder = AuditSeal(os.urandom(32), "320000", "identity")
    _purge(db, seal=intruder).run()
    assert _verify(db).problem == "CHECKPOINT_FORGED"


def test_a_purge_never_builds_on_a_checkpoint_that_does_not_verify(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    intruder = AuditSeal(os.urandom(32), "320000", "identity")
    _purge(db, seal=intruder, now=NOW - timedelta(days=100)).run()  # seals seq 1–2
    before = _rows(db)
    result = _purge(db).run()
    assert result.problem == "CHECKPOINT_FORGED" and result.deleted == 0
    assert _rows(db) == before


def test_a_gap_after_the_anchor_fails(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    _purge(db).run()
    _drop_guards(db)
    with db.transaction() as tx:
        tx.execute(audit_event.delete().where(audit_event.c.seq == 7))
    report = _verify(db)
    assert (report.intact, report.problem, report.first_broken_seq) == (False, "ROW_MISSING", 7)


def test_the_database_refuses_deleting_what_no_checkpoint_seals(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    with pytest.raises(DBAPIError), db.engine.begin() as tx:
        tx.execute(audit_event.delete().where(audit_event.c.seq == 1))
    _purge(db).run()
    with pytest.raises(DBAPIError), db.engine.begin() as tx:  # above the anchor: still refused
        tx.execute(audit_event.delete().where(audit_event.c.seq == 7))
    with pytest.raises(DBAPIError), db.engine.begin() as tx:
        tx.execute(audit_checkpoint.update().values(event_count=1))
    assert _verify(db).intact


def test_a_tampered_range_is_never_sealed(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    _append(db, OLD + YOUNG)
    _drop_guards(db)
    with db.transaction() as tx:
        tx.execute(audit_event.update().where(audit_event.c.seq == 3).values(actor="user:other"))
    result = _purge(db).run()
    assert result.problem == "CHAIN_BROKEN" and result.deleted == 0
    assert len(_rows(db)) == 9 and _verify(db).problem == "ROW_CHANGED"
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_checkpoint)).scalar() == 0


def test_two_replicas_purge_at_once_while_events_are_appended(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    _append(db, [timedelta(days=365, seconds=-i) for i in range(300)] + YOUNG)
    replicas = [Database.connect(database_url), Database.connect(database_url)]
    stop = threading.Event()
    appended = [0]
    errors: list[BaseException] = []

    def appender() -> None:
        while not stop.is_set():
            _append(db, [timedelta(0)], tag="new")
            appended[0] += 1

    def purger(replica: Database) -> None:
        try:
            _purge(replica, per_checkpoint=50).run()
        except BaseException as error:  # reported below
            errors.append(error)

    writer = threading.Thread(target=appender)
    writer.start()
    threads = [threading.Thread(target=purger, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    writer.join()
    assert not errors
    rows = _rows(db)
    cutoff = cutoff_for(NOW, 180)
    assert rows[0][0] == 301 and all(r[2] >= cutoff for r in rows)
    young = [r for r in rows if r[1] == "resident.read"]
    assert len(young) == len(YOUNG) + appended[0]  # nothing young went
    report = _verify(db)
    assert report.intact and report.anchor_seq == 300
    purges = [r for r in rows if r[1] == "audit.purge"]
    assert len(purges) == report.checkpoints == 6  # each checkpoint written once
    for replica in replicas:
        replica.dispose()


@pytest.mark.parametrize("days", ["179", "0", "-5", "abc"])
def test_a_retention_below_180_days_is_refused(days: str) -> None:
    with pytest.raises(ConfigError, match="RHIP_AUDIT_RETENTION_DAYS"):
        load_settings({"RHIP_AUDIT_RETENTION_DAYS": days})


def test_the_retention_defaults_to_180_days_and_may_be_longer() -> None:
    assert load_settings({}).audit_retention_days == 180
    assert load_settings({"RHIP_AUDIT_RETENTION_DAYS": "3650"}).audit_retention_days == 3650
    with pytest.raises(ConfigError, match="RHIP_AUDIT_PURGE_INTERVAL_SECONDS"):
        load_settings({"RHIP_AUDIT_PURGE_INTERVAL_SECONDS": "0"})


def test_the_seal_key_comes_from_the_cell_secret() -> None:
    secret = base64.b64decode(base64.b64encode(SECRET))
    assert AuditSeal(secret, "320000", "identity").key_id == SEAL.key_id
    assert AuditSeal(os.urandom(32), "320000", "identity").key_id != SEAL.key_id
