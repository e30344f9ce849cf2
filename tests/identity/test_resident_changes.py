"""The cell's resident change feed (ListResidentChanges) on SQLite and PostgreSQL: deaths,
merges and undone merges in commit order, paged after a cursor; only the cell's own account
reads it; a change committed late never slips behind the reader's cursor; the migration fills
the feed from the history recorded before it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from alembic import command
from conftest import POSTGRES_URL, _psycopg_dsn, make_settings
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import resident_pb2
from rhip.identity.residents.change_store import publish
from rhip.identity.residents.domain import ChangeKind
from rhip.identity.server import MIGRATIONS
from rhip.kit.db import alembic_config
from support.cells import RunningCell, World, start_cell
from support.errors import expect_error
from support.platform import free_port, write_routes
from support.residents import (
    LHASA_MAN,
    XUZHOU_MAN,
    ZAOZHUANG_WOMAN,
    pb,
    register_request,
    stub,
    with_check,
)

CELL_ID, CELL_SECRET = "cell-320000", "cell-secret-0123456789"
DECEASED = resident_pb2.RESIDENT_CHANGE_KIND_DECEASED
MERGED = resident_pb2.RESIDENT_CHANGE_KIND_MERGED
UNDONE = resident_pb2.RESIDENT_CHANGE_KIND_MERGE_UNDONE


@pytest.fixture
def running(tmp_path: Path, database_url: str) -> Iterator[RunningCell]:
    settings = make_settings(
        tmp_path, database_url, RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET
    )
    running = start_cell(settings)
    yield running
    running.channel.close()
    running.cell.stop(0)


def _cell_md(running: RunningCell, client_id: str = CELL_ID, secret: str = CELL_SECRET) -> list:
    login = running.stub.Login(
        id_pb.LoginRequest(
            client=id_pb.ClientCredentials(client_id=client_id, client_secret=secret)
        )
    )
    return [("authorization", f"Bearer {login.access_token}")]


def _register(running: RunningCell, number: str, name: str) -> resident_pb2.Resident:
    api = stub(running.channel)
    return api.RegisterResident(
        register_request(number, name=name), metadata=running.md("qs-doctor")
    ).resident


def _history(running: RunningCell) -> dict[str, str]:
    """Three residents, a merge of the second into the first, its undo, the third's death."""
    api, md = stub(running.channel), running.md("qs-admin")
    first = _register(running, XUZHOU_MAN, "张三")
    second = _register(running, LHASA_MAN, "张三")
    third = _register(running, ZAOZHUANG_WOMAN, "王芳")
    merge = api.MergeResidents(
        pb.MergeResidentsRequest(
            survivor=first.name, merged=second.name, reason="same person",
            request_id=str(uuid.uuid4()),
        ),
        metadata=md,
    )  # fmt: skip
    api.UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge.name, reason="two people"), metadata=md
    )
    api.MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=third.name, death_date="2024-03-01"), metadata=md
    )
    return {"first": first.name, "second": second.name, "third": third.name, "merge": merge.name}


def _changes(running: RunningCell, md: list, after: int = 0, size: int = 0) -> Any:
    return stub(running.channel).ListResidentChanges(
        pb.ListResidentChangesRequest(after_sequence=after, page_size=size), metadata=md
    )


def test_the_feed_lists_deaths_merges_and_undos_in_order_after_a_cursor(
    running: RunningCell, world: World
) -> None:
    names = _history(running)
    md = _cell_md(running)
    page = _changes(running, md, after=0, size=2)
    assert [c.sequence for c in page.changes] == [1, 2] and page.head_sequence == 3
    merged, undone = page.changes
    assert (merged.kind, merged.resident, merged.survivor, merged.merge) == (
        MERGED, names["second"], names["first"], names["merge"],
    )  # fmt: skip
    assert (undone.kind, undone.resident, undone.survivor, undone.merge) == (
        UNDONE, names["second"], names["first"], names["merge"],
    )  # fmt: skip
    assert merged.actor == f"user:{world.users['qs-admin']}"
    rest = _changes(running, md, after=2, size=2)
    assert [(c.sequence, c.kind, c.resident, c.death_date) for c in rest.changes] == [
        (3, DECEASED, names["third"], "2024-03-01")
    ]
    assert not _changes(running, md, after=3).changes
    # Ids and dates only: no name, no document number.
    text = str(page) + str(rest)
    assert all(secret not in text for secret in ("张三", "王芳", XUZHOU_MAN, LHASA_MAN))


def test_a_retried_death_or_undo_adds_nothing_to_the_feed(
    running: RunningCell, world: World
) -> None:
    names = _history(running)
    api, md = stub(running.channel), running.md("qs-admin")
    api.MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=names["third"], death_date="2024-03-01"), metadata=md
    )
    api.UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=names["merge"], reason="again"), metadata=md
    )
    assert _changes(running, _cell_md(running)).head_sequence == 3


def test_only_the_cells_own_account_reads_the_feed(running: RunningCell, world: World) -> None:
    _history(running)
    api = stub(running.channel)
    request = pb.ListResidentChangesRequest()
    # A clinician (ResidentService/* at the tenant), the auditor and the administrator of the
    # whole province-cell, a city administrator: all refused.
    for user in ("qs-doctor", "js-auditor", "xz-admin", "nj-admin"):
        expect_error(
            lambda user=user: api.ListResidentChanges(request, metadata=running.md(user)),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    expect_error(lambda: api.ListResidentChanges(request), grpc.StatusCode.UNAUTHENTICATED)


def test_bad_cursor_or_page_size_is_invalid(running: RunningCell, world: World) -> None:
    md = _cell_md(running)
    api = stub(running.channel)
    expect_error(
        lambda: api.ListResidentChanges(
            pb.ListResidentChangesRequest(after_sequence=-1, page_size=-2), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        reason="SEQUENCE_NEGATIVE",
        field="page_size",
    )


def test_another_cells_account_is_refused(tmp_path: Path) -> None:
    """Shandong's cell account, whose token Jiangsu verifies (routing table), cannot read
    Jiangsu's feed, calling the Jiangsu cell directly. (Two cells, two SQLite files: the
    rule is in the use case, not the database.)"""
    addresses = {code: f"127.0.0.1:{free_port()}" for code in ("320000", "370000")}
    routes = write_routes(tmp_path / "routes.json", addresses)
    cells: dict[str, RunningCell] = {}
    try:
        for code, address in addresses.items():
            url = f"sqlite:///{tmp_path / code}.db"
            settings = make_settings(
                tmp_path / code, url, cell=code, RHIP_CELL_CLIENT_ID=f"cell-{code}",
                RHIP_CELL_CLIENT_SECRET=f"cell-secret-0123456789-{code}", RHIP_ROUTES=str(routes),
            )  # fmt: skip
            cells[code] = start_cell(settings, address)
        shandong = _cell_md(cells["370000"], "cell-370000", "cell-secret-0123456789-370000")
        jiangsu_api = stub(cells["320000"].channel)
        # The token is valid in Jiangsu (it verifies with Shandong's keys)…
        expect_error(
            lambda: jiangsu_api.GetResident(
                pb.GetResidentRequest(name=f"residents/{uuid.uuid4()}"), metadata=shandong
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        # …and still cannot read the feed; Jiangsu's own account can.
        expect_error(
            lambda: jiangsu_api.ListResidentChanges(
                pb.ListResidentChangesRequest(), metadata=shandong
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        own = _cell_md(cells["320000"], "cell-320000", "cell-secret-0123456789-320000")
        jiangsu_api.ListResidentChanges(pb.ListResidentChangesRequest(), metadata=own)
    finally:
        for cell in cells.values():
            cell.channel.close()
            cell.cell.stop(0)


def _waiting_on_the_feed_head() -> bool:
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%resident_change_head%'"
        ).fetchone()
    return bool(row and row[0])


# SQLite serialises writers (BEGIN IMMEDIATE): there, commit order is sequence order.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_change_committed_late_never_slips_behind_the_cursor(
    running: RunningCell, world: World, database_url: str
) -> None:
    """On PostgreSQL a sequence value taken first may commit last. A writer that took its
    place in the feed and has not committed yet (held open here) must not let a later death
    become visible first: a reader that advanced its cursor past it would never see it."""
    resident = _register(running, XUZHOU_MAN, "张三")
    residents = running.cell.part("identity").residents
    taken, release = threading.Event(), threading.Event()

    def held_writer() -> None:
        with residents.unit() as repo:
            publish(
                repo.s, ChangeKind.DECEASED, str(uuid.uuid4()), "test", datetime.now(UTC),
                death_date=date(2024, 1, 1),
            )  # fmt: skip
            taken.set()
            release.wait(30)

    md, admin = _cell_md(running), running.md("qs-admin")
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(held_writer)
        assert taken.wait(30)
        death = pool.submit(
            stub(running.channel).MarkResidentDeceased,
            pb.MarkResidentDeceasedRequest(name=resident.name, death_date="2024-02-01"),
            metadata=admin,
        )
        deadline = time.monotonic() + 30
        while not (death.done() or _waiting_on_the_feed_head()):
            assert time.monotonic() < deadline, "the second writer neither waited nor finished"
            time.sleep(0.02)
        # A consumer's pass now: whatever it sees, it moves its cursor to the last one.
        seen = list(_changes(running, md).changes)
        cursor = seen[-1].sequence if seen else 0
        release.set()
        held.result(30)
        death.result(30)
    seen += _changes(running, md, after=cursor).changes
    assert [c.sequence for c in seen] == [1, 2]
    assert [c.death_date for c in seen] == ["2024-01-01", "2024-02-01"]


def test_the_migration_fills_the_feed_from_recorded_history(
    running: RunningCell, world: World
) -> None:
    _history(running)
    md = _cell_md(running)
    built = [(c.sequence, c.kind, c.resident, c.survivor, c.merge, c.death_date, c.actor)
             for c in _changes(running, md).changes]  # fmt: skip
    cfg = alembic_config(MIGRATIONS)
    with running.cell.part("identity").db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "identity_0002")  # a cell from before the feed…
        command.upgrade(cfg, "heads")  # …upgraded: the feed is rebuilt from the history
    rebuilt = [(c.sequence, c.kind, c.resident, c.survivor, c.merge, c.death_date, c.actor)
               for c in _changes(running, md).changes]  # fmt: skip
    assert rebuilt == built and len(built) == 3
    # New changes continue after the rebuilt ones.
    api = stub(running.channel)
    api.MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(
            name=_register(running, with_check("32031119800101123"), "李四").name,
            death_date="2024-05-01",
        ),
        metadata=running.md("qs-admin"),
    )
    assert [c.sequence for c in _changes(running, md, after=3).changes] == [4]
