"""Building the locator from cells that ran without it: the backfill claims every open
record (idempotent, with progress), and the reconciliation lists the persons found open in two
cells, with no personal data; key rotation: a backfill under a new key re-keys the claims and
the old key is purged."""

from __future__ import annotations

import base64
import io
import os
import time
import uuid

import grpc
import pytest
import sqlalchemy as sa
from archives.helpers import days_ago
from conftest import make_settings
from locator.platform import JIANGSU, SHANDONG, Platform
from locator.test_locator import (
    ID_NUMBER,
    NAME,
    _create,
    _register,
    _retrying,
    _xuzhou_record,
)
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.kit.errors import RhipError
from rhip.locator.backfill import backfill_cell, print_reconciliation
from rhip.locator.server import open_locator
from rhip.locator.settings import load_locator_settings


def _until_the_cell_reaches_the_locator(
    p: Platform, seconds: float = 20.0, cell: str = JIANGSU
) -> None:
    """The cell's channel to a restarted gateway reconnects after its backoff."""
    locator = p.cells[cell].cell.part("archives").usecases.locator
    deadline = time.monotonic() + seconds
    while True:
        try:
            locator.release("probe")
            return
        except RhipError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _forget_everything(p: Platform) -> None:
    """As before the locator existed: no claim at all."""
    engine = sa.create_engine(p.locator_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM open_record_claim"))
    engine.dispose()


def test_backfill_is_idempotent_and_the_reconciliation_lists_double_open_records(
    platform: Platform,
) -> None:
    p = platform
    for cell in (JIANGSU, SHANDONG):  # an earlier test of the module may have restarted it
        _until_the_cell_reaches_the_locator(p, cell=cell)
    xz, zz = p.md("xz-doctor-1", "320300"), p.md("zz-doctor-1", "370400")
    jiangsu = _xuzhou_record(p, xz)
    _forget_everything(p)  # the Jiangsu record was made before the locator
    shandong = _create(p, zz, _register(p, zz, "370402"))  # so this one was not refused
    assert [r["cell"] for r in p.claim_rows()] == [SHANDONG]
    out = io.StringIO()
    report = backfill_cell(p.cells[JIANGSU].cell, out, batch=1)
    assert (report.open_records, report.claimed, report.double_open, report.failed) == (1, 1, 1, 0)
    assert "1 open records read, 1 claimed, 1 also open in another cell" in out.getvalue()
    rows = p.claim_rows()
    again = backfill_cell(p.cells[JIANGSU].cell, io.StringIO())
    assert again.claimed == 1 and p.claim_rows() == rows  # idempotent
    shandong_again = backfill_cell(p.cells[SHANDONG].cell, io.StringIO())
    assert shandong_again.claimed == 1 and len(p.claim_rows()) == 2
    db, usecases = open_locator(p.gateway_settings)
    try:
        printed = io.StringIO()
        assert print_reconciliation(usecases, printed) == 1
    finally:
        db.dispose()
    text = printed.getvalue()
    assert jiangsu.name.removeprefix("healthRecords/") in text
    assert shandong.name.removeprefix("healthRecords/") in text
    assert ID_NUMBER not in text and NAME not in text and ID_NUMBER[6:14] not in text


def test_a_key_rotation_rekeys_by_backfill_and_purges_the_old_key(platform: Platform) -> None:
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    _xuzhou_record(p, xz)
    assert {r["key_id"] for r in p.claim_rows()} == {"dev"}
    # The new key in front, the old one kept for lookups while the cells are backfilled.
    new = base64.b64encode(os.urandom(32)).decode()
    old = p.gateway_settings  # derived "dev" key: name it explicitly
    dev = base64.b64encode(load_locator_settings(old).keys[0][1]).decode()
    rotated = make_settings(
        p.gateway_settings.data_dir.parent, "sqlite://",
        RHIP_GATEWAY_DATABASE_URL="sqlite://", RHIP_LOCATOR_DATABASE_URL=p.locator_url,
        RHIP_LOCATOR_KEYS=f"k2={new},dev={dev}",
    )  # fmt: skip
    p.stop_gateway()
    p.gateway_settings = rotated
    p.start_gateway()
    # A claim under the old key is still found: another cell is refused meanwhile.
    zz = p.md("zz-doctor-1", "370400")
    resident = _register(p, zz, "370402")
    with pytest.raises(grpc.RpcError) as refused:
        _retrying(lambda: _create(p, zz, resident, str(uuid.uuid4())))
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    _retrying(lambda: backfill_cell(p.cells[JIANGSU].cell, io.StringIO()))
    assert {r["key_id"] for r in p.claim_rows()} == {"k2"}
    assert {r["key_id"] for r in p.claim_rows("resident_presence")} == {"k2"}  # re-keyed too
    db, usecases = open_locator(rotated)
    try:
        assert usecases.purge_key("dev") == 0
    finally:
        db.dispose()


def test_a_termination_while_the_locator_is_down_stands_and_the_backfill_clears_its_claim(
    platform: Platform,
) -> None:
    p = platform
    jiangsu = p.cells[JIANGSU].channel
    xz = p.md("xz-doctor-1", "320300", jiangsu)
    record = _xuzhou_record(p, p.md("xz-doctor-1", "320300"))
    p.stop_gateway()
    ended = archives_service_pb2_grpc.ArchivesServiceStub(jiangsu).TerminateHealthRecord(
        apb.TerminateHealthRecordRequest(
            name=record.name, reason=rec.TERMINATION_REASON_MOVED_OUT,
            termination_date=days_ago(1), destination="山东省枣庄市",
        ),
        metadata=xz, timeout=15,
    )  # fmt: skip
    assert ended.state == rec.RECORD_STATE_TERMINATED  # the cell's own change goes on
    assert len(p.claim_rows()) == 1  # the release could not reach the locator
    p.start_gateway()
    _until_the_cell_reaches_the_locator(p)
    report = backfill_cell(p.cells[JIANGSU].cell, io.StringIO())
    assert report.released == 1 and p.claim_rows() == []
    zz = p.md("zz-doctor-1", "370400")
    assert _retrying(lambda: _create(p, zz, _register(p, zz, "370402"))).name


def test_the_backfill_announces_every_resident_and_links_them_idempotently(
    platform: Platform,
) -> None:
    p = platform
    for cell in (JIANGSU, SHANDONG):
        _until_the_cell_reaches_the_locator(p, cell=cell)
    xz, zz = p.md("xz-doctor-1", "320300"), p.md("zz-doctor-1", "370400")
    _register(p, xz, "320311")
    _register(p, zz, "370402")

    def links_in(cell: str) -> int:
        with p.cells[cell].cell.part("identity").db.read() as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM resident_link")).scalar_one())

    deadline = time.monotonic() + 30  # the link workers of both cells are done first
    while links_in(JIANGSU) + links_in(SHANDONG) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    # As before presence existed: no presence at the locator, no links in either cell.
    engine = sa.create_engine(p.locator_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM resident_presence"))
    engine.dispose()
    for cell in (JIANGSU, SHANDONG):
        with p.cells[cell].cell.part("identity").db.transaction() as tx:
            tx.execute(sa.text("DELETE FROM resident_link"))
    out = io.StringIO()
    first = backfill_cell(p.cells[JIANGSU].cell, out, batch=1)
    assert first.residents >= 1 and first.links == 0 and first.failed == 0
    assert "residents announced" in out.getvalue()
    second = backfill_cell(p.cells[SHANDONG].cell, io.StringIO())
    assert second.links == 1 and second.failed == 0  # the same person: linked on both sides
    rows = p.claim_rows("resident_presence")
    again = backfill_cell(p.cells[SHANDONG].cell, io.StringIO())
    assert again.links == 0 and p.claim_rows("resident_presence") == rows  # idempotent
    assert links_in(JIANGSU) == links_in(SHANDONG) == 1
    assert ID_NUMBER not in out.getvalue() and NAME not in out.getvalue()
