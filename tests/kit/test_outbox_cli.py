"""``rhip outbox`` against mch's database (its Alembic chain carries the kit's outbox tables):
status, dead letters with the events they hold, replay (audited), overdue; payloads never
printed."""

from __future__ import annotations

import base64
import os
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rhip.cli import main
from rhip.kit import outbox
from rhip.kit.db import Database
from rhip.kit.outbox import now_utc
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery
from rhip.kit.schema import audit_event
from sqlalchemy import select

from tests.support.outbox import put, states


def _refuse(message: Message) -> None:
    raise DeliveryFailed("HTTP 422 Unprocessable Entity", permanent=True)


def test_outbox_commands(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("RHIP_CELL", "320000")
    monkeypatch.setenv("RHIP_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RHIP_MCH_DATABASE_URL", database_url)
    monkeypatch.setenv("RHIP_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    assert main(["outbox", "status", "--services", "mch"]) == 0  # migrates, as the cell does
    assert "mch: nothing waiting" in capsys.readouterr().out

    db = Database.connect(database_url)
    try:
        an_hour_ago = now_utc() - timedelta(hours=1)
        put(db, "bmc-1", "e1", due_in=60, now=an_hour_ago)
        put(db, "bmc-1", "e2", due_in=60, now=an_hour_ago)
        OutboxDelivery(db, _refuse, clock=now_utc, rng=random.Random(1)).run_once()
        assert states(db) == {"e1": "dead", "e2": "pending"}

        assert main(["outbox", "dead-letters", "--services", "mch"]) == 1
        out = capsys.readouterr().out
        assert "e1" in out and "HTTP 422" in out and "1 later event(s) of its key wait" in out
        assert "certificate" not in out  # the payload's field: payloads are never printed
        assert main(["outbox", "overdue", "--services", "mch"]) == 1  # due 59 minutes ago
        assert "e1" in capsys.readouterr().out
        assert main(["outbox", "status", "--services", "mch"]) == 0
        assert "1 pending, 1 dead, 2 overdue" in capsys.readouterr().out

        assert main(["outbox", "replay", "--services", "mch"]) == 2  # names nothing
        assert main(["outbox", "replay", "--services", "mch", "nope"]) == 1
        assert main(["outbox", "replay", "--services", "mch", "e1"]) == 0
        assert "mch: replayed e1" in capsys.readouterr().out
        with db.read() as conn:
            replayed = outbox.get(conn, "e1")
            actions = [
                (r.action, r.target, r.actor)
                for r in conn.execute(select(audit_event).order_by(audit_event.c.seq))
            ]
        assert replayed is not None and replayed.state == "pending" and replayed.attempts == 0
        assert replayed.due_at == an_hour_ago + timedelta(seconds=60)  # the due time stays
        assert actions[-1][:2] == ("outbox.replay", "outboxEvents/e1")
        assert actions[-1][2].startswith("cli:")
    finally:
        db.dispose()
