"""Audit retention in a running cell: its background worker purges each service's log past the
retention behind a signed checkpoint, VerifyAuditChain still answers intact, the purge is in
the log as ``audit.purge``, and ``rhip audit purge/verify`` do the same by hand."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.cli import main
from rhip.identity.server import MIGRATIONS as IDENTITY_MIGRATIONS
from rhip.kit import audit
from rhip.kit.db import Database, migrate
from rhip.kit.schema import audit_checkpoint, audit_event
from sqlalchemy import func, select
from support.cells import RunningCell, build_world, start_cell


@pytest.fixture
def running(tmp_path: Path, database_url: str) -> Iterator[RunningCell]:
    settings = make_settings(tmp_path, database_url, RHIP_AUDIT_PURGE_INTERVAL_SECONDS="1")
    running = start_cell(settings)
    yield running
    running.channel.close()
    running.cell.stop(0)


def eventually(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def _count(db: Database, *where: Any, table: Any = audit_event) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def test_the_cell_purges_its_logs_in_the_background_and_the_chain_still_verifies(
    running: RunningCell,
) -> None:
    build_world(running)
    cell = running.cell
    identity_db = cell.part("identity").db
    assert cell.audit_purge is not None and "archives" in cell.built
    before = _count(identity_db)
    assert before > 0 and _count(identity_db, table=audit_checkpoint) == 0
    # 181 days from now, every event so far is past the retention.
    later = datetime.now(UTC) + timedelta(days=181)
    for purge in cell.audit_purge.purges:
        purge.clock = lambda: later
    eventually(lambda: _count(identity_db, table=audit_checkpoint), "the identity checkpoint")
    for purge in cell.audit_purge.purges:
        purge.clock = lambda: datetime.now(UTC)
    eventually(lambda: _count(identity_db) < before, "the purged events to go")
    report = running.stub.VerifyAuditChain(
        pb.VerifyAuditChainRequest(), metadata=running.md("js-auditor")
    )
    assert report.intact, report
    purges = _count(identity_db, audit_event.c.action == "audit.purge")
    assert purges == _count(identity_db, table=audit_checkpoint) >= 1
    with identity_db.read() as conn:
        actor, detail = conn.execute(
            select(audit_event.c.actor, audit_event.c.detail).where(
                audit_event.c.action == "audit.purge"
            )
        ).first()  # type: ignore[misc]
    assert actor == "system:audit-purge" and '"log": "identity"' in detail
    assert '"via": "worker"' in detail


def test_the_cli_purges_and_verifies_by_hand(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    settings = make_settings(tmp_path, database_url)
    db = Database.connect(settings.database_url("identity"))
    migrate(db.engine, IDENTITY_MIGRATIONS)
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat(timespec="microseconds")
    with db.transaction() as tx:
        audit.append_many(
            tx, [audit.AuditEvent("tenant.read", f"tenants/t{i}", "86/32", event_time=old)
                 for i in range(5)]
        )  # fmt: skip
    db.dispose()
    assert settings.secret_key is not None
    monkeypatch.setenv("RHIP_CELL", settings.cell)
    monkeypatch.setenv("RHIP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RHIP_IDENTITY_DATABASE_URL", settings.database_url("identity"))
    monkeypatch.setenv("RHIP_SECRET_KEY", base64.b64encode(settings.secret_key).decode())
    assert main(["audit", "purge", "--dry-run", "--services", "identity"]) == 0
    out = capsys.readouterr().out
    assert "identity: would seal: 5 events, seq 1–5" in out
    assert "identity: 5 events older than" in out and "would be purged" in out
    monkeypatch.setenv("RHIP_AUDIT_RETENTION_DAYS", "90")
    assert main(["audit", "purge"]) == 2
    assert "must be at least 180" in capsys.readouterr().err
    monkeypatch.delenv("RHIP_AUDIT_RETENTION_DAYS")
    assert main(["audit", "purge"]) == 0
    out = capsys.readouterr().out
    assert "identity: checkpoint 1 sealed: 5 events, seq 1–5" in out
    assert "identity: deleted events 1–5 (5 so far)" in out
    assert "identity: 5 events sealed in 1 checkpoint(s), 5 deleted" in out
    assert "archives: 0 events sealed" in out
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "identity: intact: 1 checkpoint(s), anchor seq 5, 1 event(s) checked" in out
    assert "archives: intact: 0 checkpoint(s)" in out
    assert main(["audit", "purge"]) == 0  # again: nothing left to purge
    assert "identity: 0 events sealed in 0 checkpoint(s), 0 deleted" in capsys.readouterr().out
