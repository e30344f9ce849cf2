"""The read-audit writer: events captured in the caller's context, appended in order in
batches with the chain intact, and nothing lost on stop (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import fields
from pathlib import Path

import grpc
from rhip.kit import audit
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.db import Database, migrate
from rhip.kit.errors import RhipError
from rhip.kit.telemetry import reset_request_id, set_request_id


def _database(database_url: str, tmp_path: Path) -> Database:
    db = Database.connect(database_url)
    empty = tmp_path / "no-service-migrations"
    empty.mkdir()
    migrate(db.engine, empty)  # the kit's own tables only
    return db


def test_events_keep_the_submitter_context_and_order(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    writer = audit.AuditWriter(db, interval=0.01, batch=7)
    try:

        def reader(n: int) -> None:
            principal = Principal(f"user:{n}", PrincipalKind.PRACTITIONER, f"t{n}", "320311")
            token = set_request_id(f"req-{n}")
            try:
                with acting_as(principal):
                    for i in range(25):
                        writer.submit(audit.AuditEvent("resident.read", f"residents/{n}-{i}", "86"))
            finally:
                reset_request_id(token)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert writer.flush()
        with db.read() as conn:
            report = audit.verify(conn)
            rows = conn.exec_driver_sql(
                "SELECT actor, actor_tenant, request_id, target FROM audit_event ORDER BY seq"
            ).all()
        assert report.intact and report.rows_checked == 100
        for n in range(4):
            mine = [r for r in rows if r.actor == f"user:{n}"]
            assert [r.target for r in mine] == [f"residents/{n}-{i}" for i in range(25)]
            assert {(r.actor_tenant, r.request_id) for r in mine} == {(f"t{n}", f"req-{n}")}
    finally:
        writer.stop()
        db.dispose()


def test_stop_flushes_what_was_submitted(database_url: str, tmp_path: Path) -> None:
    db = _database(database_url, tmp_path)
    writer = audit.AuditWriter(db)
    for i in range(10):
        writer.submit(audit.AuditEvent("resident.search", "residents", "86", detail={"i": i}))
    writer.stop()  # returns only once every submitted event is in the chain
    with db.read() as conn:
        assert audit.verify(conn).rows_checked == 10
    db.dispose()


def test_a_submitted_event_is_written_when_submit_returns(
    database_url: str, tmp_path: Path
) -> None:
    db = _database(database_url, tmp_path)
    writer = audit.AuditWriter(db, interval=0.5)  # a slow poll must not delay anyone
    try:
        writer.submit(audit.AuditEvent("resident.read", "residents/1", "86"))
        with db.read() as conn:  # another connection, no flush: already committed
            assert audit.verify(conn).rows_checked == 1
    finally:
        writer.stop()
        db.dispose()


def test_a_read_is_refused_when_its_event_cannot_be_written(
    database_url: str, tmp_path: Path
) -> None:
    """The answer waits for its audit row; when the log does not answer in time the read
    fails with UNAVAILABLE, and the event is still written once the log is back."""
    db = _database(database_url, tmp_path)
    writer = audit.AuditWriter(db, wait_seconds=0.3)
    holder = db.engine.connect()
    try:
        # its first statement begins a transaction (IMMEDIATE on SQLite): the head is held
        holder.exec_driver_sql("UPDATE audit_head SET seq = seq WHERE id = 1")
        try:
            writer.submit(audit.AuditEvent("resident.read", "residents/2", "86"))
        except RhipError as error:
            assert error.reason == "AUDIT_UNAVAILABLE"
            assert error.code is grpc.StatusCode.UNAVAILABLE
        else:
            raise AssertionError("a read answered without its audit event")
        holder.rollback()
        assert writer.flush()
        with db.read() as conn:
            assert audit.verify(conn).rows_checked == 1
    finally:
        holder.close()
        writer.stop()
        db.dispose()


_KILLED_READER = """
import sys
from rhip.kit import audit
from rhip.kit.db import Database
db = Database.connect(sys.argv[1])
writer = audit.AuditWriter(db)
for i in range(100000):
    writer.submit(audit.AuditEvent("resident.read", f"residents/{i}", "86"))
    print(i, flush=True)  # "answered": only after submit returned
"""


def test_no_answered_read_loses_its_event_when_the_process_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 12: with the batching writer, a SIGKILL lost the events of reads answered in the
    last interval. Every read a killed process answered has its row."""
    db = _database(database_url, tmp_path)
    reader = subprocess.Popen(
        [sys.executable, "-c", _KILLED_READER, database_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    answered = -1
    assert reader.stdout is not None
    for line in reader.stdout:
        answered = int(line)
        if answered >= 300:
            break
    os.kill(reader.pid, signal.SIGKILL)
    reader.wait()
    with db.read() as conn:
        targets = {
            row.target for row in conn.exec_driver_sql("SELECT target FROM audit_event").all()
        }
        assert audit.verify(conn).intact
    db.dispose()
    assert answered >= 300
    assert {f"residents/{i}" for i in range(answered + 1)} <= targets


def test_capturing_keeps_every_field_set_and_fills_only_the_unset_ones() -> None:
    """``captured`` builds the event field by field (not ``dataclasses.replace``): every field,
    a field added later too, comes through; a captured event is taken as it is, even in
    another caller's context."""
    given = {
        f.name: {"basis": "treatment", "k": "v"} if f.name == "detail" else f"given-{f.name}"
        for f in fields(audit.AuditEvent)
    }
    event = audit.AuditEvent(**given)
    other = Principal("user:other", PrincipalKind.AUDITOR, "t-other", "320000")
    with acting_as(other):
        assert event.captured() == event
        fresh = audit.AuditEvent("resident.read", "residents/1", "86").captured()
    assert (fresh.actor, fresh.actor_tenant, fresh.detail) == (
        "user:other",
        "t-other",
        {"basis": "audit"},
    )
    assert fresh.event_time and fresh.trace_id is not None and fresh.request_id is not None
    assert (fresh.action, fresh.target, fresh.scope_path, fresh.outcome) == (
        "resident.read", "residents/1", "86", "OK",
    )  # fmt: skip
    assert fresh.captured() is fresh
