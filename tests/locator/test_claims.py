"""The locator's use cases on SQLite and PostgreSQL, without servers: concurrent claims of one
person from two cells leave one open record whatever the interleaving; a transfer's move and
a creation racing for the same person end with one claim; keys and their settings."""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from conftest import make_settings
from rhip.kit.config import ConfigError
from rhip.kit.db import Database, migrate
from rhip.kit.errors import FailedPrecondition, Unavailable
from rhip.locator.claims.domain import Claim, Keyring
from rhip.locator.claims.store import ClaimStore
from rhip.locator.claims.usecases import LocatorUseCases
from rhip.locator.server import MIGRATIONS
from rhip.locator.settings import load_locator_settings
from sqlalchemy.engine import make_url

NUMBER = "540102199104081015"
CARD = "DOCUMENT_TYPE_RESIDENT_ID_CARD"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def locator(database_url: str) -> LocatorUseCases:
    db = Database.connect(database_url, pool_size=8)
    migrate(db.engine, MIGRATIONS)
    keys = Keyring((("k1", os.urandom(32)),))
    return LocatorUseCases(db, keys, cell_of=lambda region: region[:2] + "0000")


def _claim(record: str, region: str) -> Claim:
    return Claim("", "", "", f"res-{record}", record, "某社区卫生服务中心", region)


def _rows(uc: LocatorUseCases) -> list[Claim]:
    with uc.db.read() as conn:
        return ClaimStore(conn).of_person(uc.keys.digests(CARD, NUMBER))


def test_concurrent_claims_from_two_cells_leave_one_open_record(locator: LocatorUseCases) -> None:
    for round_ in range(5):
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def claim(cell: str, region: str, record: str, start=start, outcomes=outcomes) -> None:  # type: ignore[no-untyped-def]
            start.wait(5)
            try:
                locator.claim(cell, CARD, NUMBER, _claim(record, region))
                outcomes.append("claimed")
            except FailedPrecondition as error:
                outcomes.append(error.reason)

        threads = [
            threading.Thread(target=claim, args=("320000", "320311", f"js-{round_}")),
            threading.Thread(target=claim, args=("370000", "370402", f"sd-{round_}")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert sorted(outcomes) == ["RECORD_EXISTS", "claimed"]
        held = _rows(locator)
        assert len(held) == 1
        assert locator.release(held[0].cell, held[0].record_id)


def test_a_move_racing_a_creation_ends_with_one_claim(locator: LocatorUseCases) -> None:
    locator.claim("320000", CARD, NUMBER, _claim("js-1", "320311"))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def move() -> None:
        start.wait(5)
        locator.move("320000", "js-1", "370402", _claim("sd-moved", "370402"))
        outcomes.append("moved")

    def create() -> None:
        start.wait(5)
        try:
            locator.claim("370000", CARD, NUMBER, _claim("sd-new", "370402"))
            outcomes.append("created")
        except FailedPrecondition:
            outcomes.append("refused")

    threads = [threading.Thread(target=move), threading.Thread(target=create)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # Either the creation came first (refused: Jiangsu still held it) or after the move (a
    # Shandong claim beside the moved one, both in the one cell whose own rule keeps one).
    held = _rows(locator)
    assert {c.cell for c in held} == {"370000"}
    assert "moved" in outcomes


def test_a_retried_claim_is_the_same_and_a_release_is_idempotent(locator: LocatorUseCases) -> None:
    first = locator.claim("320000", CARD, NUMBER, _claim("js-1", "320311"))
    again = locator.claim("320000", CARD, " " + NUMBER.lower() + " ", _claim("js-1", "320311"))
    assert again.claim == first.claim and len(_rows(locator)) == 1
    assert locator.release("320000", "js-1") and not locator.release("320000", "js-1")
    # Another document type or another number is another person.
    assert Keyring((("a", b"x" * 32),)).digests(CARD, NUMBER) != Keyring(
        (("a", b"x" * 32),)
    ).digests("DOCUMENT_TYPE_PASSPORT", NUMBER)


def test_a_document_is_found_under_every_configured_key(database_url: str) -> None:
    db = Database.connect(database_url)
    migrate(db.engine, MIGRATIONS)
    old, new = ("k1", os.urandom(32)), ("k2", os.urandom(32))
    LocatorUseCases(db, Keyring((old,))).claim("320000", CARD, NUMBER, _claim("js-1", "320311"))
    rotated = LocatorUseCases(db, Keyring((new, old)))
    with pytest.raises(FailedPrecondition) as refused:
        rotated.claim("370000", CARD, NUMBER, _claim("sd-1", "370402"))
    assert refused.value.metadata["cell"] == "320000"
    with pytest.raises(Exception, match="current key"):
        rotated.purge_key("k2")
    db.dispose()


def test_locator_keys_are_checked(tmp_path: Path, database_url: str) -> None:
    secrets = _key(), _key()
    good = load_locator_settings(
        make_settings(tmp_path, database_url, RHIP_LOCATOR_KEYS=f"k2={secrets[0]}, k1={secrets[1]}")
    )
    assert [k for k, _ in good.keys] == ["k2", "k1"]
    assert not any(s in repr(good) or s[:12] in repr(good) for s in secrets)
    for bad in ("k1=short", f"k1={_key()},k1={_key()}", f"bad id={_key()}", "k1=!!!"):
        with pytest.raises(ConfigError, match="RHIP_LOCATOR_KEYS"):
            load_locator_settings(make_settings(tmp_path, database_url, RHIP_LOCATOR_KEYS=bad))
    production = replace(make_settings(tmp_path, database_url), environment="production")
    with pytest.raises(ConfigError, match="RHIP_LOCATOR_KEYS is required"):
        load_locator_settings(production)


@pytest.mark.postgres_only  # the person's lock is PostgreSQL's (SQLite serialises its writers)
def test_a_claim_that_cannot_lock_the_person_in_time_is_unavailable(database_url: str) -> None:
    """The person's lock and the read of the person's claims go to PostgreSQL in one round
    trip, outside SQLAlchemy: a database failure there (here the lock not granted within
    ``lock_timeout``, another claim of the person holding it) is still UNAVAILABLE, as on the
    claim's other statements, so archives fails closed with LOCATOR_UNAVAILABLE; nothing is
    written, and the claim goes through once the lock is free."""
    url = make_url(database_url)
    timed = url.update_query_dict({"options": f"{url.query['options']} -clock_timeout=200"})
    db = Database.connect(timed.render_as_string(hide_password=False), pool_size=2)
    migrate(db.engine, MIGRATIONS)
    locator = LocatorUseCases(db, Keyring((("k1", os.urandom(32)),)))
    digest = locator.keys.digests(CARD, NUMBER)[0][1]
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as holder:  # a transaction of another claim of the person
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (int(digest[:15], 16),))
        with pytest.raises(Unavailable):
            locator.claim("320000", CARD, NUMBER, _claim("js-1", "320311"))
        assert _rows(locator) == []
    claimed = locator.claim("320000", CARD, NUMBER, _claim("js-1", "320311"))
    assert claimed.claim.record_id == "js-1"
    assert [c.record_id for c in _rows(locator)] == ["js-1"]
    db.dispose()
