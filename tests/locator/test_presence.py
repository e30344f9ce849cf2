"""Resident presence at the locator, without servers, on SQLite and PostgreSQL: a cell's
announcement answers the other cells' residents for the same document; announcing again is
idempotent; a merge's survivor takes the document over in its cell; a key rotation re-keys the
cell's rows; nothing readable back is stored."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from rhip.kit.db import Database, migrate
from rhip.locator.claims.domain import Keyring
from rhip.locator.claims.usecases import LocatorUseCases
from rhip.locator.presence.store import Presence
from rhip.locator.presence.usecases import PresenceUseCases
from rhip.locator.server import MIGRATIONS
from support.residents import with_check

NUMBER = "540102199104081015"
CARD = "DOCUMENT_TYPE_RESIDENT_ID_CARD"
DOC = (CARD, NUMBER, "")


def _db(database_url: str) -> Database:
    db = Database.connect(database_url)
    migrate(db.engine, MIGRATIONS)
    return db


def _rows(db: Database) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(r) for r in conn.execute(sa.text("SELECT * FROM resident_presence")).mappings()
        ]


def test_announcements_answer_the_other_cells_residents(database_url: str) -> None:
    db = _db(database_url)
    presence = PresenceUseCases(db, Keyring((("k1", os.urandom(32)),)))
    assert presence.announce("320000", "js-1", [DOC]) == []
    assert presence.announce("370000", "sd-1", [DOC]) == [Presence("320000", "js-1")]
    assert presence.announce("320000", "js-1", [DOC]) == [Presence("370000", "sd-1")]  # again
    assert len(_rows(db)) == 2
    # Another person (another number, another type) is nobody else's.
    assert presence.announce("370000", "sd-2", [("DOCUMENT_TYPE_PASSPORT", NUMBER, "CHN")]) == []
    # A merge in Jiangsu: its survivor now holds the document; still one row per cell.
    assert presence.announce("320000", "js-9", [DOC]) == [Presence("370000", "sd-1")]
    assert presence.announce("370000", "sd-1", [DOC]) == [Presence("320000", "js-9")]
    stored = " ".join(str(v) for row in _rows(db) for v in row.values())
    assert NUMBER not in stored and NUMBER[6:14] not in stored and NUMBER[-6:] not in stored
    db.dispose()


def test_a_key_rotation_rekeys_presence_and_the_purge_removes_the_rest(database_url: str) -> None:
    db = _db(database_url)
    old, new = ("k1", os.urandom(32)), ("k2", os.urandom(32))
    PresenceUseCases(db, Keyring((old,))).announce("320000", "js-1", [DOC])
    PresenceUseCases(db, Keyring((old,))).announce("370000", "sd-1", [DOC])
    rotated = PresenceUseCases(db, Keyring((new, old)))
    # Found under the old key; the announcing cell's row moves to the new key.
    assert rotated.announce("370000", "sd-1", [DOC]) == [Presence("320000", "js-1")]
    assert sorted((r["cell"], r["key_id"]) for r in _rows(db)) == [
        ("320000", "k1"), ("370000", "k2"),
    ]  # fmt: skip
    assert rotated.announce("320000", "js-1", [DOC]) == [Presence("370000", "sd-1")]
    assert {r["key_id"] for r in _rows(db)} == {"k2"}
    PresenceUseCases(db, Keyring((old,))).announce("440000", "gd-1", [DOC])
    LocatorUseCases(db, Keyring((new, old))).purge_key("k1")
    assert {r["key_id"] for r in _rows(db)} == {"k2"}
    db.dispose()


@pytest.mark.postgres_only  # SQLite writers are serial: its announcements cannot interleave
def test_two_cells_announcing_one_person_at_once_learn_of_each_other(database_url: str) -> None:
    """Seen in CI: Jiangsu and Shandong announced the same ID number at the same moment; each
    wrote its row and read the holders before the other's row was committed, so neither heard
    of the other and the two residents were never linked. Whatever the interleaving, the
    second announcement to commit must answer the first cell's resident."""
    db = _db(database_url)
    presence = PresenceUseCases(db, Keyring((("k1", os.urandom(32)),)))
    people = [with_check(f"32031119900101{i:03d}") for i in range(40)]
    answers: dict[tuple[str, int], list[Presence]] = {}
    start = threading.Barrier(2)

    def announce(cell: str) -> None:
        for i, number in enumerate(people):
            start.wait()
            answers[(cell, i)] = presence.announce(cell, f"{cell}-{i}", [(CARD, number, "")])

    threads = [threading.Thread(target=announce, args=(c,)) for c in ("320000", "370000")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    unheard = [
        i for i in range(len(people)) if not answers[("320000", i)] and not answers[("370000", i)]
    ]
    assert unheard == []
    db.dispose()


def test_an_announcement_withdraws_the_documents_the_resident_no_longer_holds(
    database_url: str,
) -> None:
    """A merge undone took a document away from the survivor: announcing the survivor with
    what it holds now withdraws its presence for that document, so the other cell, asked to
    unlink, no longer finds it; a row another resident of the cell took over stays."""
    db = _db(database_url)
    presence = PresenceUseCases(db, Keyring((("k1", os.urandom(32)),)))
    passport = ("DOCUMENT_TYPE_PASSPORT", "E12345678", "CHN")
    assert presence.announce("370000", "sd-1", [passport, DOC]) == []
    assert presence.announce("320000", "js-1", [DOC]) == [Presence("370000", "sd-1")]
    assert presence.announce("370000", "sd-1", [passport]) == []  # DOC left sd-1
    assert presence.announce("320000", "js-1", [DOC]) == []
    assert sorted((r["cell"], r["resident_id"]) for r in _rows(db)) == [
        ("320000", "js-1"), ("370000", "sd-1"),
    ]  # fmt: skip
    # Taken over by another resident of the cell: not withdrawn by the one that lost it.
    assert presence.announce("370000", "sd-2", [DOC]) == [Presence("320000", "js-1")]
    assert presence.announce("370000", "sd-1", [passport]) == []
    assert presence.announce("320000", "js-1", [DOC]) == [Presence("370000", "sd-2")]
    # No document left at all: everything of the resident is withdrawn, nobody answered.
    assert presence.announce("370000", "sd-2", []) == []
    assert presence.announce("320000", "js-1", [DOC]) == []
    assert sorted(r["resident_id"] for r in _rows(db)) == ["js-1", "sd-1"]
    db.dispose()
