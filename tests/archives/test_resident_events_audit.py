"""The resident-events consumer's polls are audited only when they read something: a real
identity and archives on loopback, the consumer polling every 100 ms, on SQLite and
PostgreSQL. Polls that find nothing new add no audit row on either side; a poll that reads a
death or a merge is audited once per resident it read, under the cell's basis."""

from __future__ import annotations

import json

from archives.helpers import Archives, days_ago
from archives.test_resident_events import (  # noqa: F401 (the fixture: a cell polling every 100 ms)
    _caught_up,
    _consumer,
    _die,
    _merge,
    eventually,
    running,
)
from rhip.kit.db import Database
from rhip.kit.schema import audit_event
from sqlalchemy import func, select


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_event)).scalar())


def _feed_reads(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    with db.read() as conn:
        rows = conn.execute(
            select(
                audit_event.c.target, audit_event.c.actor, audit_event.c.scope_path,
                audit_event.c.detail,
            )
            .where(audit_event.c.action == "resident.changes")
            .order_by(audit_event.c.seq)
        ).all()  # fmt: skip
    return [(r.target, r.actor, r.scope_path, json.loads(r.detail)) for r in rows]


def _polls(a: Archives, n: int) -> None:
    """Wait for ``n`` more completed passes of the consumer."""
    start = _consumer(a).worker.passes
    eventually(lambda: _consumer(a).worker.passes >= start + n, f"{n} more polls")


def test_empty_polls_are_not_audited_and_a_poll_that_reads_changes_is(archives: Archives) -> None:
    cell = archives.running.cell
    assert "archives" in cell.built
    identity_db, archives_db = cell.part("identity").db, cell.part("archives").db
    eventually(lambda: _caught_up(archives), "the consumer to start")
    _polls(archives, 2)  # its first token (a login, audited as one) is behind us
    before = (_count(identity_db), _count(archives_db))
    _polls(archives, 6)
    assert (_count(identity_db), _count(archives_db)) == before
    assert _feed_reads(identity_db) == []

    _die(archives, "man", days_ago(1))
    eventually(lambda: _caught_up(archives), "the death to be applied")
    _polls(archives, 3)
    man = archives.residents["man"]
    reads = _feed_reads(identity_db)
    assert [r[0] for r in reads] == [man]
    _target, actor, scope, detail = reads[0]
    assert actor == "sa:cell-320000" and detail["basis"] == "cell" and detail["hits"] == 1
    assert scope.startswith("86/32/3203/")  # the resident's home region, for "who viewed me"

    _merge(archives, survivor="mother", merged="elder")
    eventually(lambda: _caught_up(archives), "the merge to be applied")
    _polls(archives, 3)
    after_merge = [r[0] for r in _feed_reads(identity_db)]
    assert after_merge == [man, archives.residents["elder"], archives.residents["mother"]]
