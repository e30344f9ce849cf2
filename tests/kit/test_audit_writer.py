"""The read-audit writer: events captured in the caller's context, appended in order in
batches with the chain intact, and nothing lost on stop (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

from rhip.kit import audit
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.db import Database, migrate
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
