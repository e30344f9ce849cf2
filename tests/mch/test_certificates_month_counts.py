"""The monthly birth-certificate report's counts kept on write (bmc_month_count) always equal
the recount from the register and the serials (month_counts.exact_month, what the report read
before): for every region subtree, institution and month, after random sequences of stock and
certificate operations through the API (receipts, transfers down the levels left pending or
confirmed, issues, reissues, replacements, voids, blank voids, losses, destructions) with the
service's clock walking over months and across China Standard Time midnights; under concurrent
issuers on PostgreSQL; and after a rebuild from the rows (a bulk load, the migration)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import grpc
import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, make_settings, postgres_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mch.bmc_support import CITY, COUNTY, PROVINCE, Bmc, deliver, issue, make_bmc
from mch.conftest import Mch, make_mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit.db import Database
from rhip.kit.tenancy import region_path, tenant_scope
from rhip.mch.stock import month_counts
from rhip.mch.stock.month_counts import CST
from rhip.mch.stock.store import holder_of
from support.cells import start_cell

# A rule said no (a serial in another state, a certificate no longer valid): nothing changed.
REFUSED = (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT,
           grpc.StatusCode.ALREADY_EXISTS)  # fmt: skip
BASE = date.today() - timedelta(days=400)  # the service's clock starts here and walks forward
LEVELS = (PROVINCE, CITY, COUNTY)
WHO = {PROVINCE: "js-admin", CITY: "xz-admin", COUNTY: "qs-admin"}
OPS = ("tick", "receive", "down", "issue", "reissue", "replace", "void", "void_blank", "lost",
       "destroy")  # fmt: skip


@dataclass(repr=False)
class Cell:
    bmc: Bmc
    db: Database
    now: datetime = field(default_factory=lambda: datetime.combine(BASE, time(9, 30), UTC))
    next_serial: int = 1
    ranges: list[tuple[str, int]] = field(default_factory=list)  # (first serial, quantity)
    certificates: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)
    months: set[date] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"Cell({self.db.engine.dialect.name})"

    @property
    def hosp(self) -> str:
        return self.bmc.hosp


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cell(request, tmp_path_factory) -> Iterator[Cell]:  # type: ignore[no-untyped-def]
    """One cell for the module (the random sequences add up in it, as they would in use)."""
    tmp = Path(tmp_path_factory.mktemp("bmc-counts"))
    with ExitStack() as stack:
        if request.param == "sqlite":
            urls = [f"sqlite:///{tmp / name}.db" for name in ("identity", "archives", "mch")]
        else:
            if not POSTGRES_URL:
                if REQUIRE_POSTGRES:
                    pytest.fail(
                        "RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1"
                    )
                pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
            urls = [stack.enter_context(postgres_schema(p)) for p in ("t", "a", "m")]
        running = start_cell(
            make_settings(
                tmp, urls[0], RHIP_ARCHIVES_DATABASE_URL=urls[1], RHIP_MCH_DATABASE_URL=urls[2]
            )
        )
        try:
            mch: Mch = make_mch(running)
            c = Cell(make_bmc(mch), running.cell.part("mch").db)
            _set_clock(c, c.now)
            yield c
        finally:
            running.channel.close()
            running.cell.stop(0)


def _set_clock(c: Cell, when: datetime) -> None:
    c.now = when
    c.months.add(when.astimezone(CST).date().replace(day=1))
    c.bmc.mch.running.cell.part("mch").certificates.clock = lambda: when


def _attempt(c: Cell, kind: str, call: Callable[[], object]) -> object | None:
    try:
        reply = call()
    except grpc.RpcError as error:
        assert error.code() in REFUSED, (kind, error.code(), error.details())
        c.done[f"{kind} refused"] = c.done.get(f"{kind} refused", 0) + 1
        return None
    c.done[kind] = c.done.get(kind, 0) + 1
    return reply


def _serial(n: int) -> str:
    return f"Q{n:09d}"


def step(c: Cell, op: str, pick: int, n: int) -> None:
    """One operation; ``pick`` chooses among what exists, ``n`` sizes it."""
    api, md = c.bmc.api, c.bmc.md
    if op == "tick":  # days on, at 09:30 UTC or at 00:30 the next CST day (16:30 UTC)
        day = c.now.date() + timedelta(days=n * 3)
        _set_clock(c, datetime.combine(day, time(16, 30) if pick % 2 else time(9, 30), UTC))
    elif op == "receive":
        first = _serial(c.next_serial)
        if _attempt(c, op, lambda: c.bmc.receive(first, n + 2)):
            c.ranges.append((first, n + 2))
            c.next_serial += n + 2
    elif op == "down" and c.ranges:  # a range one level down; the last step sometimes pending
        first, quantity = c.ranges[pick % len(c.ranges)]
        targets = (*LEVELS[1:], c.hosp)
        for i, (source, target) in enumerate(zip(LEVELS, targets, strict=True)):
            t = _attempt(c, op, lambda s=source, t=target: c.bmc.transfer(s, t, first, quantity))
            if t is None:
                continue
            if i >= pick % 4 and n % 3 == 0:
                return  # left ALLOCATED at the sender
            who = "qs-hosp-doctor" if target == c.hosp else WHO[target]
            _attempt(c, "confirm", lambda t=t, w=who: c.bmc.confirm(t.name, w))  # type: ignore[attr-defined]
    elif op == "issue" and c.ranges:
        first, quantity = c.ranges[pick % len(c.ranges)]
        number = _serial(int(first[1:]) + n % quantity)
        baby = deliver(c.bmc.mch).newborns[0].name
        if made := _attempt(c, op, lambda: issue(c.bmc, baby, number)):
            c.certificates.append(made.name)  # type: ignore[attr-defined]
    elif op in ("reissue", "replace", "void") and c.certificates:
        name = c.certificates[pick % len(c.certificates)]
        first, quantity = c.ranges[n % len(c.ranges)]
        number = _serial(int(first[1:]) + pick % quantity)
        doctor = md("qs-hosp-doctor")
        calls = {
            "reissue": lambda: api.ReissueBirthCertificate(
                spb.ReissueBirthCertificateRequest(
                    name=name, number=number, request_id=rid(),
                    loss_declaration=bpb.LossDeclaration(written_declaration_ref="声明"),
                ), metadata=doctor),
            "replace": lambda: api.ReplaceBirthCertificate(
                spb.ReplaceBirthCertificateRequest(
                    name=name, number=number, ground=bpb.REPLACEMENT_GROUND_DAMAGED,
                    request_id=rid(),
                ), metadata=doctor),
            "void": lambda: api.VoidBirthCertificate(
                spb.VoidBirthCertificateRequest(name=name, reason="信息错误", request_id=rid()),
                metadata=doctor),
        }  # fmt: skip
        if made := _attempt(c, op, calls[op]):
            c.certificates.append(made.name)  # type: ignore[attr-defined]
    elif op in ("void_blank", "lost") and c.ranges:
        first, quantity = c.ranges[pick % len(c.ranges)]
        serial = _serial(int(first[1:]) + n % quantity)
        for holder, who in ((c.hosp, "qs-hosp-doctor"), *((h, WHO[h]) for h in LEVELS)):
            if op == "void_blank":
                call = lambda w=who: api.VoidBlankSerial(  # noqa: E731
                    spb.VoidBlankSerialRequest(name=f"blankSerials/{serial}", reason="卡纸",
                                               witness="王芳", request_id=rid()),
                    metadata=md(w),
                )  # fmt: skip
            else:
                call = lambda h=holder, w=who: api.ReportBlankSerialsLost(  # noqa: E731
                    spb.ReportBlankSerialsLostRequest(
                        holder=h, first_serial=serial, quantity=1 + pick % 2,
                        police_report_ref="报案", newspaper_notice_ref="声明", request_id=rid(),
                    ),
                    metadata=md(w),
                )  # fmt: skip
            try:
                call()
                c.done[op] = c.done.get(op, 0) + 1
                return
            except grpc.RpcError as error:  # not this holder's: try the next
                assert error.code() in (*REFUSED, grpc.StatusCode.PERMISSION_DENIED), error
    elif op == "destroy" and c.ranges:
        first, quantity = c.ranges[pick % len(c.ranges)]
        _attempt(c, op, lambda: api.RecordBlankDestruction(
            spb.RecordBlankDestructionRequest(
                region=PROVINCE, first_serial=_serial(int(first[1:]) + n % quantity), quantity=1,
                record_number="苏销毁2026-1", witness="李明", request_id=rid(),
            ),
            metadata=md("js-admin"),
        ))  # fmt: skip


# -- the comparison ----------------------------------------------------------------------------
def _scopes(c: Cell) -> list[str]:
    tenants = c.bmc.mch.world.tenants
    return [region_path(r) for r in ("320000", "320300", "320311", "320312", "320100")] + [
        tenant_scope("320311", tenants["qs-hosp"]),
        tenant_scope("320311", tenants["qs-chc"]),
    ]


def assert_counts_exact(c: Cell) -> None:
    months = c.months | {date(2024, 1, 1)}
    with c.db.transaction() as tx:
        for start in sorted(months):
            begin = datetime.combine(start, time(), CST)
            end = datetime.combine((start + timedelta(days=32)).replace(day=1), time(), CST)
            for scope in _scopes(c):
                kept = month_counts.month(tx, scope, start)
                exact = month_counts.exact_month(tx, [scope], begin, end, holder_of)
                assert kept == exact, (scope, start, kept, exact)


PHASES = (Phase.explicit, Phase.reuse, Phase.generate)  # no shrinking: each step is a call


@settings(
    max_examples=8, deadline=None, derandomize=True, database=None, phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 11), st.integers(0, 9)),
        min_size=4, max_size=14,
    )
)  # fmt: skip
def test_counts_equal_the_exact_recount_after_random_operations(
    cell: Cell, operations: list[tuple[str, int, int]]
) -> None:
    for op, pick, n in operations:
        step(cell, op, pick, n)
    assert_counts_exact(cell)


def test_every_write_path_ran_and_counted(cell: Cell) -> None:
    """A fixed walk through every write (none left to chance), checked after each."""
    api, doctor = cell.bmc.api, cell.bmc.md("qs-hosp-doctor")
    _set_clock(cell, cell.now + timedelta(days=1))
    base = cell.next_serial
    at = lambda i: _serial(base + i)  # noqa: E731
    step(cell, "receive", 0, 6)  # 8 serials at the province
    step(cell, "down", len(cell.ranges) - 1, 1)  # all the way to the hospital, confirmed
    assert_counts_exact(cell)
    babies = deliver(cell.bmc.mch, babies=2).newborns
    first = issue(cell.bmc, babies[0].name, at(0))
    second = issue(cell.bmc, babies[1].name, at(1))
    assert_counts_exact(cell)
    loss = bpb.LossDeclaration(written_declaration_ref="声明")
    again = api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(name=first.name, number=at(2), request_id=rid(),
                                           loss_declaration=loss), metadata=doctor)  # fmt: skip
    _set_clock(cell, datetime.combine(cell.now.date() + timedelta(days=31), time(16, 30), UTC))
    api.ReplaceBirthCertificate(
        spb.ReplaceBirthCertificateRequest(name=second.name, number=at(3), request_id=rid(),
                                           ground=bpb.REPLACEMENT_GROUND_DAMAGED),
        metadata=doctor,
    )  # fmt: skip
    api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=again.name, reason="信息错误", request_id=rid()),
        metadata=doctor,
    )
    assert_counts_exact(cell)
    api.VoidBlankSerial(
        spb.VoidBlankSerialRequest(name=f"blankSerials/{at(4)}", reason="卡纸", witness="王芳",
                                   request_id=rid()), metadata=doctor)  # fmt: skip
    api.ReportBlankSerialsLost(
        spb.ReportBlankSerialsLostRequest(holder=cell.hosp, first_serial=at(5), quantity=2,
                                          police_report_ref="报案", newspaper_notice_ref="声明",
                                          request_id=rid()), metadata=doctor)  # fmt: skip
    api.RecordBlankDestruction(
        spb.RecordBlankDestructionRequest(region=PROVINCE, first_serial=at(4), quantity=1,
                                          record_number="苏销毁2026-1", witness="李明",
                                          request_id=rid()),
        metadata=cell.bmc.md("js-admin"),
    )  # fmt: skip
    assert_counts_exact(cell)
    # A range allocated to the city and not yet confirmed (ALLOCATED), then partly lost there:
    # a loss of blanks on hand and allocated ones at once.
    rest = _serial(cell.next_serial)
    cell.bmc.receive(rest, 4)
    cell.next_serial += 4
    cell.bmc.transfer(PROVINCE, CITY, _serial(cell.next_serial - 2), 2)
    api.ReportBlankSerialsLost(
        spb.ReportBlankSerialsLostRequest(holder=PROVINCE, first_serial=_serial(cell.next_serial - 3),
                                          quantity=2, police_report_ref="报案",
                                          newspaper_notice_ref="声明", request_id=rid()),
        metadata=cell.bmc.md("js-admin"),
    )  # fmt: skip
    assert_counts_exact(cell)
    with cell.db.transaction() as tx:
        hosp = month_counts.month(tx, region_path("320000"), cell.now.astimezone(CST).date()
                                  .replace(day=1))[cell.hosp]  # fmt: skip
    assert (hosp["replacements"], hosp["voided_issued"], hosp["voided_blank"], hosp["lost"]) == (
        1, 2, 1, 2)  # fmt: skip


@pytest.mark.postgres_only  # SQLite writes one at a time
def test_issuers_at_once_lose_no_count(cell: Cell) -> None:
    """Eight issues and two blank voids at once on one institution's month rows (PostgreSQL:
    real row and advisory locks): every increment lands, and no deadlock."""
    first = _serial(cell.next_serial)
    step(cell, "receive", 0, 10)
    step(cell, "down", len(cell.ranges) - 1, 1)
    babies = [deliver(cell.bmc.mch).newborns[0].name for _ in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def work(i: int) -> None:
        try:
            barrier.wait()
            number = _serial(int(first[1:]) + i)
            if i < 8:
                issue(cell.bmc, babies[i], number)
            else:
                cell.bmc.api.VoidBlankSerial(
                    spb.VoidBlankSerialRequest(name=f"blankSerials/{number}", reason="卡纸",
                                               witness="王芳", request_id=rid()),
                    metadata=cell.bmc.md("qs-hosp-doctor"),
                )  # fmt: skip
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(10)]
    random.shuffle(threads)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert_counts_exact(cell)


def test_a_rebuild_from_the_rows_gives_the_same_counts(cell: Cell) -> None:
    """After a bulk load outside the service (the benchmark's COPY) or the migration that
    creates the table, the counts are refilled from the register and the serials."""
    with cell.db.transaction() as tx:
        before = {s: month_counts.month(tx, s, m) for s in _scopes(cell) for m in cell.months}
        month_counts.rebuild(tx, holder_of)
        after = {s: month_counts.month(tx, s, m) for s in _scopes(cell) for m in cell.months}
    assert after == before
    assert any(after.values())
