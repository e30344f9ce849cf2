"""The mch indicator counts kept by the writes (mch_indicator_count) always sum to the exact
recomputation from the rows, for every region, institution and as-of date: after random
sequences of mch operations through the API (pregnancies registered, visited, delivered,
graded, terminated; postpartum visits; reports acknowledged; newborns enrolled, visited,
transferred to another institution; eye checks and 6-year acuity) with the service's clock
walking over months; under
two concurrent writers on PostgreSQL; after a rules-version change and after the migration
that creates the table for an existing database."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import grpc
import pytest
from alembic import command
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, make_settings, postgres_schema
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mch.conftest import Mch, add_hospital
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.db import Database, alembic_config
from rhip.kit.tenancy import region_path, tenant_scope
from rhip.mch.children.domain import add_months
from rhip.mch.indicators import counts, domain
from rhip.mch.indicators.store import IndicatorStore
from rhip.mch.server import MIGRATIONS, bring_schema_up_to_date
from sqlalchemy import text
from support.cells import build_world, start_cell
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

# Failures that leave everything as it was (a rule said no): the counts must not move either.
REFUSED = (
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.ALREADY_EXISTS,
)
WOMEN = 6
SIX_YEAR_OLDS = 2
BASE = date.today() - timedelta(days=500)  # the service's clock starts here and walks forward
# Who registers and follows a pregnancy: the Quanshan centre or the Quanshan hospital.
DOCTORS = ("qs-doctor", "qs-hosp-doctor")
DELIVERS = "qs-hosp-doctor"  # secondary, midwifery and risk grading


@dataclass(repr=False)
class Cell:
    mch: Mch
    db: Database
    women: list[str]  # resident names
    six: list[str]  # child records of children 6 years old at BASE
    today: date = BASE
    pregnancies: dict[int, str] = field(default_factory=dict)  # woman → her latest pregnancy
    newborns: dict[int, str] = field(default_factory=dict)  # woman → her latest live newborn
    children: dict[int, str] = field(default_factory=dict)  # woman → the newborn's record
    doctors: dict[int, str] = field(default_factory=dict)  # woman → who follows her pregnancy
    keepers: dict[int, str] = field(default_factory=dict)  # woman → who follows her baby
    done: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Cell({self.mch.running.cell.part('mch').db.engine.dialect.name})"


def rid() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cell(request, tmp_path_factory) -> Iterator[Cell]:  # type: ignore[no-untyped-def]
    """One cell for the module (the random sequences add up in it, as they would in use)."""
    tmp = Path(tmp_path_factory.mktemp("counts"))
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
                tmp,
                urls[0],
                RHIP_ARCHIVES_DATABASE_URL=urls[1],
                RHIP_MCH_DATABASE_URL=urls[2],
                # A transfer's target institution is looked up with the cell's own account.
                RHIP_CELL_CLIENT_ID="cell-320000",
                RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
            )
        )
        try:
            yield _world(running)
        finally:
            running.channel.close()
            running.cell.stop(0)


def _world(running) -> Cell:  # type: ignore[no-untyped-def]
    world = build_world(running)
    add_hospital(running, world)
    mch = Mch(
        running, world, mch_service_pb2_grpc.MchServiceStub(running.channel),
        qualification_service_pb2_grpc.QualificationServiceStub(running.channel),
    )  # fmt: skip
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY)
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_RISK_GRADING)
    residents = resident_stub(running.channel)
    md = mch.md("qs-doctor")
    women = [  # female: an even sequence number
        residents.RegisterResident(
            register_request(with_check(f"32031119900101{2 * i + 2:03d}"), name="王芳",
                             region="320311"),
            metadata=md,
        ).resident.name
        for i in range(WOMEN)
    ]  # fmt: skip
    c = Cell(mch, running.cell.part("mch").db, women, [])
    # Six-year-olds at BASE, enrolled then, for the 6-year acuity counts.
    _set_clock(c, BASE)
    for i in range(SIX_YEAR_OLDS):
        born = add_months(BASE, -73) - timedelta(days=i)
        child = residents.RegisterResident(
            register_request(with_check(f"320311{born:%Y%m%d}{2 * i + 1:03d}"), name="刘小宝",
                             region="320311"),
            metadata=md,
        ).resident.name  # fmt: skip
        c.six.append(
            mch.api.EnrollChild(
                mpb.EnrollChildRequest(child=child, request_id=rid()), metadata=md
            ).name
        )
    return c


def _set_clock(c: Cell, day: date) -> None:
    c.today = day
    c.mch.running.cell.part("mch").usecases.clock = lambda: datetime.combine(
        day, time(9, 30), tzinfo=UTC
    )


def _attempt(c: Cell, kind: str, call: Callable[[], object]) -> object | None:
    try:
        reply = call()
    except grpc.RpcError as error:
        assert error.code() in REFUSED, (kind, error.code(), error.details())
        c.done[f"{kind} refused"] = c.done.get(f"{kind} refused", 0) + 1
        return None
    c.done[kind] = c.done.get(kind, 0) + 1
    return reply


# -- the operations ----------------------------------------------------------------------------
def _day(c: Cell, back: int) -> str:
    return (c.today - timedelta(days=back)).isoformat()


def step(c: Cell, op: str, w: int, n: int) -> None:
    """One operation ``op`` on woman ``w`` (and her baby), ``n`` its small random number."""
    _set_clock(c, c.today)
    api, md = c.mch.api, c.mch.md
    doctor = c.doctors.get(w, DOCTORS[n % 2])
    pregnancy = c.pregnancies.get(w, "")
    if op == "tick":  # forward, back to early days once it would pass the real today
        later = c.today + timedelta(days=1 + 9 * n)
        _set_clock(c, later if later <= date.today() else BASE + timedelta(days=n))
    elif op == "register":
        reply = _attempt(c, op, lambda: api.RegisterPregnancy(
            mpb.RegisterPregnancyRequest(
                resident=c.women[w], handbook_number=f"HB-{uuid.uuid4().hex[:10]}",
                lmp_date=_day(c, 40 + 12 * n), registration_date=_day(c, n),
            ),
            metadata=md(DOCTORS[n % 2]),
        ))  # fmt: skip
        if reply is not None:
            c.pregnancies[w], c.doctors[w] = reply.name, DOCTORS[n % 2]  # type: ignore[attr-defined]
    elif op == "visit" and pregnancy:
        _attempt(c, op, lambda: api.RecordAntenatalVisit(
            mpb.RecordAntenatalVisitRequest(
                parent=pregnancy, visit=pb.AntenatalVisit(visit_date=_day(c, n % 3)),
                request_id=rid(),
            ),
            metadata=md(doctor),
        ))  # fmt: skip
    elif op == "deliver":
        born = Timestamp()
        born.FromDatetime(datetime.combine(c.today - timedelta(days=n % 4), time(3), tzinfo=UTC))
        reply = _attempt(c, op, lambda: api.RecordDelivery(
            mpb.RecordDeliveryRequest(
                delivery=pb.Delivery(
                    mother=c.women[w], delivery_date=_day(c, n % 4),
                    discharge_date=_day(c, max(0, n % 4 - 2)), mode=pb.DELIVERY_MODE_VAGINAL,
                    newborns=[pb.Newborn(
                        birth_order=1, sex=pb.NEWBORN_SEX_FEMALE, birth_time=born,
                        weight_g=3200, length_cm=50.0, apgar_1min=9, live_birth=n % 5 != 0,
                    )],
                ),
                request_id=rid(),
            ),
            metadata=md(DELIVERS),
        ))  # fmt: skip
        if reply is not None and reply.newborns[0].resident:  # type: ignore[attr-defined]
            c.newborns[w] = reply.newborns[0].resident  # type: ignore[attr-defined]
    elif op == "postpartum" and pregnancy:
        _attempt(c, op, lambda: api.RecordPostpartumVisit(
            mpb.RecordPostpartumVisitRequest(
                parent=pregnancy, kind=pb.VISIT_KIND_POSTPARTUM_HOME,
                visit=pb.AntenatalVisit(visit_date=_day(c, n % 3)), request_id=rid(),
            ),
            metadata=md(doctor),
        ))  # fmt: skip
    elif op == "grade":
        criteria = ["O-HEART"] if n % 2 else ["R-SEVERE-HEART"]
        _attempt(c, op, lambda: api.AssessPregnancyRisk(
            mpb.AssessPregnancyRiskRequest(mother=c.women[w], criteria=criteria, request_id=rid()),
            metadata=md(DELIVERS),
        ))  # fmt: skip
    elif op == "acknowledge":
        reports = api.ListRiskReports(
            mpb.ListRiskReportsRequest(parent="regions/320300", open_only=True),
            metadata=md("xz-admin"),
        ).reports
        if reports:
            name = reports[n % len(reports)].name
            _attempt(c, op, lambda: api.AcknowledgeRiskReport(
                mpb.AcknowledgeRiskReportRequest(name=name, note="转诊至危重孕产妇救治中心"),
                metadata=md("xz-admin"),
            ))  # fmt: skip
    elif op == "terminate" and pregnancy:
        _attempt(c, op, lambda: api.TerminatePregnancy(
            mpb.TerminatePregnancyRequest(
                name=pregnancy, reason=pb.TERMINATION_REASON_MISCARRIAGE,
                termination_date=_day(c, 0),
            ),
            metadata=md(doctor),
        ))  # fmt: skip
    elif op == "enroll" and w in c.newborns:
        reply = _attempt(c, op, lambda: api.EnrollChild(
            mpb.EnrollChildRequest(child=c.newborns[w], request_id=rid()), metadata=md("qs-doctor")
        ))  # fmt: skip
        if reply is not None:
            c.children[w], c.keepers[w] = reply.name, "qs-doctor"  # type: ignore[attr-defined]
    elif op == "child_visit" and w in c.children:
        eye = (
            [cpb.EyeResult(item="EYE_APPEARANCE", finding=cpb.EYE_FINDING_NORMAL)] if n % 2 else []
        )
        _attempt(c, op, lambda: api.RecordChildVisit(
            mpb.RecordChildVisitRequest(
                parent=c.children[w], visit=cpb.ChildVisit(visit_date=_day(c, n % 3), eye=eye),
                request_id=rid(),
            ),
            metadata=md(c.keepers[w]),
        ))  # fmt: skip
    elif op == "transfer" and c.keepers.get(w) == "qs-doctor":  # the family moves to Tongshan
        transfer = _attempt(c, "transfer request", lambda: api.RequestChildTransfer(
            mpb.RequestChildTransferRequest(
                name=c.children[w], target_tenant=c.mch.tenant("ts-th"),
                guardian_consent_reference="GC-2026-0042", consent_date=_day(c, 0),
                reason="the family moved to Tongshan", request_id=rid(),
            ),
            metadata=md("qs-doctor"),
        ))  # fmt: skip
        if transfer is not None and _attempt(c, op, lambda: api.AcceptChildTransfer(
            mpb.AcceptChildTransferRequest(name=transfer.name),  # type: ignore[attr-defined]
            metadata=md("ts-doctor"),
        )) is not None:  # fmt: skip
            c.keepers[w] = "ts-doctor"
    elif op == "acuity":
        record = c.six[n % len(c.six)]
        _attempt(c, op, lambda: api.RecordChildVisit(
            mpb.RecordChildVisitRequest(
                parent=record,
                visit=cpb.ChildVisit(
                    visit_date=_day(c, n % 3), acuity_left=0.5 if n % 2 else 1.0,
                    acuity_right=1.0,
                    eye=[cpb.EyeResult(item="VISUAL_ACUITY", finding=cpb.EYE_FINDING_NORMAL)],
                ),
                request_id=rid(),
            ),
            metadata=md("qs-doctor"),
        ))  # fmt: skip


# No shrinking: every operation goes through the service, and a failure prints its sequence.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
OPS = ("tick", "register", "visit", "deliver", "postpartum", "grade", "acknowledge",
       "terminate", "enroll", "child_visit", "transfer", "acuity")  # fmt: skip


# -- the comparison ----------------------------------------------------------------------------
def _scopes(c: Cell) -> list[tuple[str, str]]:
    """(scope, tenant or '') of the cell, the city, both counties, Nanjing, each institution."""
    scopes = [(region_path(r), "") for r in ("320000", "320300", "320311", "320312", "320100")]
    for short, county in (("qs-chc", "320311"), ("ts-th", "320312"), ("qs-hosp", "320311")):
        tenant = c.mch.world.tenants[short]
        scopes.append((tenant_scope(county, tenant), tenant))
    return scopes


def assert_counts_exact(c: Cell, days: list[date]) -> None:
    """On every date, every scope: the maintained counts are the exact ones; a region's
    counts name only institutions inside it (isolation)."""
    everything = [region_path("320000")]
    with c.db.transaction() as tx:
        store = IndicatorStore(tx)
        for day in days:
            period = domain.period_of(day)
            seen = {}
            for scope, tenant in _scopes(c):
                kept = store.counts(scope, tenant, everything, period)
                exact = _nonzero(store.exact_counts(scope, tenant, everything, period))
                assert kept == exact, (scope, day, kept, exact)
                seen[scope] = kept
            for one, other in itertools.combinations(seen, 2):
                if not ((one + "/").startswith(other + "/") or (other + "/").startswith(one + "/")):
                    assert not set(seen[one]) & set(seen[other]), (one, other, day)


def _nonzero(per: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    full = {t: {k: v.get(k, 0) for k in counts.METRICS} for t, v in per.items()}
    return {t: v for t, v in full.items() if any(v.values())}


def _days(c: Cell, few: bool = False) -> list[date]:
    """As-of dates from before the first write to beyond a year after the clock's day."""
    picks = {BASE - timedelta(days=1), c.today, c.today + timedelta(days=365)}
    if not few:
        picks |= {c.today - timedelta(days=364), c.today + timedelta(days=1), date.today()}
        picks |= {c.today - timedelta(days=d) for d in (3, 30, 200)}
    return sorted(picks)


@settings(
    max_examples=10, deadline=None, derandomize=True, database=None, phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, WOMEN - 1), st.integers(0, 12)),
        min_size=4, max_size=14,
    )
)  # fmt: skip
def test_counts_equal_the_exact_recount_after_random_operations(
    cell: Cell, operations: list[tuple[str, int, int]]
) -> None:
    for op, w, n in operations:
        step(cell, op, w, n)
    assert_counts_exact(cell, _days(cell, few=len(operations) < 8))


def test_every_write_path_ran_and_counted(cell: Cell) -> None:
    """A fixed walk through every operation in order (so none is left to chance), each
    checked right after it."""
    _set_clock(cell, max(cell.today, BASE) + timedelta(days=3))
    for op in ("register", "grade", "visit", "grade", "acknowledge", "deliver", "postpartum",
               "enroll", "child_visit", "transfer", "child_visit", "acuity", "tick",
               "terminate"):  # fmt: skip
        w = WOMEN - 1
        if op == "register":  # she may have an open pregnancy from before: end it first
            step(cell, "terminate", w, 1)
        step(cell, op, w, 1)
        assert_counts_exact(cell, _days(cell, few=True))
    for op in ("register", "grade", "acknowledge", "deliver", "postpartum", "enroll",
               "child_visit", "transfer", "acuity"):  # fmt: skip
        assert cell.done.get(op), (op, sorted(cell.done.items()))
    with cell.db.transaction() as tx:  # and the cell saw some of everything
        kept = IndicatorStore(tx).counts(
            region_path("320000"), "", [region_path("320000")], domain.period_of(cell.today)
        )
    total = domain.sum_counts(kept.values())
    assert all(total[k] for k in ("registered", "live_births", "children", "high_risk")), total
    assert_counts_exact(cell, _days(cell))


@pytest.mark.postgres_only  # SQLite writes one at a time
def test_two_writers_at_once_lose_no_count(cell: Cell) -> None:
    """Two writers on one institution's same day rows at once (PostgreSQL: real row locks):
    every increment lands."""
    _set_clock(cell, cell.today + timedelta(days=1))
    for w in (0, 1):
        step(cell, "terminate", w, 0)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for op in ("register", "grade", "visit", "grade", "deliver", "postpartum"):
                step(cell, op, w, 0 if op != "grade" else 1)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert_counts_exact(cell, _days(cell))


def test_a_rules_change_or_an_upgrade_rebuilds_the_counts(cell: Cell) -> None:
    db = cell.db
    # Rules that changed (another stored version): the counts are recomputed, not kept.
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM mch_indicator_count WHERE grain = 'day'"))
        connection.execute(text("UPDATE mch_indicator_rules SET version = version - 1"))
    bring_schema_up_to_date(db)
    assert_counts_exact(cell, _days(cell))
    with db.engine.begin() as connection:  # current rules: the counts are left alone
        assert counts.bring_up_to_date(connection) is None
    # An existing database from before the counts: migrating creates them and the service
    # fills them from the rows once, because no rules version is stored yet.
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "mch_0003")
    bring_schema_up_to_date(db)
    assert_counts_exact(cell, _days(cell))
