"""The indicator counts kept by the writes (indicator_count) always sum to the exact
recomputation from the records, for every region, institution and as-of date: over a random
sequence of writes through the API (records created, activated, edited, terminated,
reactivated, transferred out and in; plans, follow-up visits, check-ups) with the service's
clock walking forward over two years; under concurrent writers; and after the migration
that fills the table for an existing database."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import grpc
from alembic import command
from archives.helpers import Archives, complete_form
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives.follow_ups.domain import StoredFollowUp
from rhip.archives.quality import indicator_counts
from rhip.archives.records.domain import HealthRecord, RecordState, Termination, TerminationReason
from rhip.archives.repository import ArchivesRepository
from rhip.archives.server import MIGRATIONS, bring_schema_up_to_date
from rhip.kit.db import Database, alembic_config
from rhip.kit.ids import new_id
from rhip.kit.tenancy import region_path, tenant_scope
from sqlalchemy import text
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

HTN, T2D = rec.PROGRAM_HYPERTENSION, rec.PROGRAM_TYPE2_DIABETES
DOCTORS = {"qs-chc": ("qs-doctor", "320311"), "ts-th": ("ts-doctor", "320312")}
# Failures that leave everything as it was (a rule said no): the counts must not move either.
REFUSED = (
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.ALREADY_EXISTS,
)


class Walk:
    """The random writes, and what the test knows about each record (by resident)."""

    def __init__(self, a: Archives, residents: list[str], rng: random.Random, start: date) -> None:
        self.a, self.residents, self.rng, self.today = a, residents, rng, start
        self.records: dict[str, dict] = {}  # resident short name → record facts
        self.done: Counter[str] = Counter()
        uc = a.running.cell.part("archives").usecases
        # The service's clock walks with the test, so records are created, visited and ended
        # on many different days (the counts change per day).
        uc.clock = lambda: datetime.combine(self.today, time(9, 30), tzinfo=UTC)

    def md(self, tenant: str) -> list[tuple[str, str]]:
        return self.a.md(DOCTORS[tenant][0])

    def day(self, back: int, forward: int = 0) -> str:
        return (self.today + timedelta(days=self.rng.randint(-back, forward))).isoformat()

    def attempt(self, kind: str, call: Callable[[], object]) -> object | None:
        try:
            reply = call()
        except grpc.RpcError as error:
            assert error.code() in REFUSED, (kind, error.code(), error.details())
            self.done[f"{kind} refused"] += 1
            return None
        self.done[kind] += 1
        return reply

    def keep(self, short: str, reply: rec.HealthRecord) -> None:
        facts = self.records.setdefault(short, {"visits": {}})
        facts.update(name=reply.name, etag=reply.etag, state=reply.state)
        facts["tenant"] = next(t for t in DOCTORS if self.a.tenant(t) == reply.managing_tenant)

    # -- the writes ----------------------------------------------------------------------------
    def create(self, short: str) -> None:
        tenant = self.rng.choice(list(DOCTORS))
        form = complete_form() if self.rng.random() < 0.8 else complete_form(fuel=None)
        reply = self.attempt(
            "create", lambda: self.a.create(short, DOCTORS[tenant][0], basic_info=form)
        )
        if isinstance(reply, rec.HealthRecord):
            self.records.pop(short, None)
            self.keep(short, reply)

    def activate(self, short: str) -> None:
        r = self.records[short]
        request = apb.ActivateHealthRecordRequest(name=r["name"])
        reply = self.attempt(
            "activate",
            lambda: self.a.api.ActivateHealthRecord(request, metadata=self.md(r["tenant"])),
        )
        if isinstance(reply, rec.HealthRecord):
            self.keep(short, reply)

    def edit(self, short: str) -> None:
        r = self.records[short]
        form = complete_form(blood_type_abo=None) if self.rng.random() < 0.5 else complete_form()
        request = apb.UpdateHealthRecordRequest(name=r["name"], basic_info=form, etag=r["etag"])
        reply = self.attempt(
            "edit", lambda: self.a.api.UpdateHealthRecord(request, metadata=self.md(r["tenant"]))
        )
        if isinstance(reply, rec.HealthRecord):
            self.keep(short, reply)

    def terminate(self, short: str) -> None:
        r = self.records[short]
        request = apb.TerminateHealthRecordRequest(
            name=r["name"], reason=rec.TERMINATION_REASON_LOST_TO_FOLLOW_UP,
            termination_date=self.day(120),  # sometimes before the record was created
        )  # fmt: skip
        reply = self.attempt(
            "terminate",
            lambda: self.a.api.TerminateHealthRecord(request, metadata=self.md(r["tenant"])),
        )
        if isinstance(reply, rec.HealthRecord):
            self.keep(short, reply)

    def reactivate(self, short: str) -> None:
        r = self.records[short]
        request = apb.ReactivateHealthRecordRequest(name=r["name"], reason="误报")
        reply = self.attempt(
            "reactivate",
            lambda: self.a.api.ReactivateHealthRecord(request, metadata=self.md(r["tenant"])),
        )
        if isinstance(reply, rec.HealthRecord):
            self.keep(short, reply)

    def plan(self, short: str) -> None:
        r = self.records[short]
        request = apb.StartFollowUpPlanRequest(
            parent=r["name"], program=self.rng.choice([HTN, T2D]), first_due_date=self.day(60, 90)
        )
        self.attempt(
            "plan", lambda: self.a.api.StartFollowUpPlan(request, metadata=self.md(r["tenant"]))
        )

    def visit(self, short: str) -> None:
        r = self.records[short]
        program = self.rng.choice([HTN, T2D])
        last = r["visits"].get(program, self.today - timedelta(days=500))
        day = min(self.today, last + timedelta(days=self.rng.randint(0, 120)))
        visit = rec.FollowUp(program=program, visit_date=day.isoformat())
        if program == HTN:
            visit.blood_pressure.CopyFrom(
                rec.BloodPressure(
                    systolic=self.rng.randint(115, 165), diastolic=self.rng.randint(70, 98)
                )
            )
        else:
            visit.fasting_glucose_mmol = round(self.rng.uniform(5.0, 9.0), 1)
        request = apb.RecordFollowUpRequest(parent=r["name"], follow_up=visit)
        if self.attempt(
            "visit", lambda: self.a.api.RecordFollowUp(request, metadata=self.md(r["tenant"]))
        ):
            r["visits"][program] = day

    def check_up(self, short: str) -> None:
        r = self.records[short]
        check_up = rec.CheckUp(
            exam_date=self.day(400), temperature_celsius=36.6, height_cm=170, weight_kg=68,
            bp_left=rec.BloodPressure(systolic=128, diastolic=82),
        )  # fmt: skip
        request = apb.CreateCheckUpRequest(parent=r["name"], check_up=check_up)
        self.attempt(
            "check_up", lambda: self.a.api.CreateCheckUp(request, metadata=self.md(r["tenant"]))
        )

    def transfer(self, short: str) -> None:
        """The other institution asks; the managing one confirms (mostly) or declines."""
        r = self.records[short]
        source = r["tenant"]
        destination = next(t for t in DOCTORS if t != source)
        consent = apb.TransferConsent(method="signed_form", consent_date=self.day(3), reference="F")
        request = apb.RequestRecordTransferRequest(
            resident=self.a.residents[short], consent=consent, reason="迁居"
        )
        transfer = self.attempt(
            "transfer request",
            lambda: self.a.api.RequestRecordTransfer(request, metadata=self.md(destination)),
        )
        if not isinstance(transfer, apb.RecordTransfer):
            return
        if self.rng.random() < 0.75:
            confirm = apb.ConfirmRecordTransferRequest(name=transfer.name)
            self.attempt(
                "transfer confirm",
                lambda: self.a.api.ConfirmRecordTransfer(confirm, metadata=self.md(source)),
            )
        else:
            decline = apb.DeclineRecordTransferRequest(name=transfer.name, reason="资料不全")
            self.attempt(
                "transfer decline",
                lambda: self.a.api.DeclineRecordTransfer(decline, metadata=self.md(source)),
            )
        get = apb.GetHealthRecordRequest(name=r["name"])
        self.keep(short, self.a.api.GetHealthRecord(get, metadata=self.a.md("xz-admin")))

    def step(self) -> None:
        self.today = min(
            date.today(), self.today + timedelta(days=self.rng.choice([0, 1, 3, 9, 30]))
        )
        short = self.rng.choice(self.residents)
        r = self.records.get(short)
        if r is None or (r["state"] == rec.RECORD_STATE_TERMINATED and self.rng.random() < 0.3):
            self.create(short)
        elif r["state"] == rec.RECORD_STATE_DRAFT:
            self.rng.choice([self.activate, self.activate, self.edit])(short)
        elif r["state"] == rec.RECORD_STATE_TERMINATED:
            self.reactivate(short)
        else:
            weighted = [self.visit] * 4 + [self.plan] * 2 + [self.check_up, self.edit]
            weighted += [self.terminate, self.transfer]
            self.rng.choice(weighted)(short)


def _residents(a: Archives, count: int, rng: random.Random) -> list[str]:
    """``count`` more residents, each enrolled in Quanshan and in Tongshan (either institution
    may create their record or ask for it); their short names."""
    api = resident_stub(a.running.channel)
    for i in range(count):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 50 * 365))
        number = with_check(f"320311{born:%Y%m%d}{100 + i:03d}")
        for doctor, region in DOCTORS.values():
            reply = api.RegisterResident(
                register_request(number, name="居民", region=region), metadata=a.md(doctor)
            )
        a.residents[f"r{i}"] = reply.resident.name
    return [f"r{i}" for i in range(count)]


def _scopes(a: Archives) -> list[tuple[str, str]]:
    """(scope, tenant or '') of the cell, the city, both counties, Nanjing, each institution."""
    scopes = [
        (region_path(code), "") for code in ("320000", "320300", "320311", "320312", "320100")
    ]
    for short, (_, county) in DOCTORS.items():
        tenant = a.world.tenants[short]
        scopes.append((tenant_scope(county, tenant), tenant))
    return scopes


def assert_counts_exact(db: Database, scopes: list[tuple[str, str]], days: list[date]) -> None:
    with db.transaction() as tx:
        assert_counts_exact_in(ArchivesRepository(tx), scopes, days)


def assert_counts_exact_in(
    repo: ArchivesRepository, scopes: list[tuple[str, str]], days: list[date]
) -> None:
    """On every date, every scope: the counts read from indicator_count are the exact ones; a
    region's counts name only institutions inside it (isolation)."""
    for day in days:
        counted = {}
        for scope, tenant in scopes:
            counted[scope] = repo.indicator_counts(scope, tenant, day)
            assert counted[scope] == repo.exact_indicator_counts(scope, tenant, day), (scope, day)
        for one, other in itertools.combinations(counted, 2):
            if not _related(one, other):
                assert not set(counted[one]) & set(counted[other]), (one, other, day)


def _related(one: str, other: str) -> bool:
    """One scope contains the other."""
    return (one + "/").startswith(other + "/") or (other + "/").startswith(one + "/")


def _days(rng: random.Random, start: date, count: int) -> list[date]:
    """As-of dates from before the first write to a year after today, with the edges."""
    end = date.today() + timedelta(days=400)
    picks = {start - timedelta(days=1), start, date.today(), end}
    picks |= {start + timedelta(days=rng.randrange((end - start).days)) for _ in range(count)}
    return sorted(picks)


def test_counts_equal_the_exact_recount_over_random_writes(archives: Archives) -> None:
    a = archives
    rng = random.Random(20261124)
    residents = _residents(a, 10, rng)
    start = date.today() - timedelta(days=730)
    walk = Walk(a, residents, rng, start)
    db = a.running.cell.part("archives").db
    scopes = _scopes(a)
    for n in range(1, 241):
        walk.step()
        if n % 60 == 0:
            assert_counts_exact(db, scopes, _days(rng, start, 2))
    assert_counts_exact(db, scopes, _days(rng, start, 12))
    # Every write path ran, so a path that forgot the counts would have shown above.
    for kind in ("create", "activate", "edit", "terminate", "reactivate", "plan", "visit",
                 "check_up", "transfer confirm", "transfer decline"):  # fmt: skip
        assert walk.done[kind], (kind, walk.done)
    with db.transaction() as tx:  # and the city saw some of everything
        city = ArchivesRepository(tx).indicator_counts(region_path("320300"), "", date.today())
    assert all(sum(c[m] for c in city.values()) for m in ("records", "dynamic", "plans", "timely"))

    # An existing database from before the counts: migrating creates them, and the service
    # fills them from the records once because no rules version is stored yet.
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "archives_0009-1")
    bring_schema_up_to_date(db)
    assert_counts_exact(db, scopes, _days(rng, start, 4))
    # Rules that changed (another stored version): the counts are recomputed, not kept.
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM indicator_count WHERE grain = 'day'"))
        connection.execute(text("UPDATE indicator_rules SET version = version - 1"))
    bring_schema_up_to_date(db)
    assert_counts_exact(db, scopes, _days(rng, start, 4))
    with db.engine.begin() as connection:  # current rules: the counts are left alone
        assert indicator_counts.bring_up_to_date(connection) is None


def test_concurrent_writers_lose_no_count(archives: Archives) -> None:
    """Writers at once on one institution (records, plans, visits): every increment of the
    shared day, month and year rows lands. Four of them: each create calls the identity
    service of this same process, which needs a free worker of the cell's eight."""
    a = archives
    rng = random.Random(7)
    shorts = _residents(a, 4, rng)
    errors: list[BaseException] = []

    def writer(short: str) -> None:
        try:
            record = a.active(short)
            a.api.StartFollowUpPlan(
                apb.StartFollowUpPlanRequest(parent=record.name, program=HTN),
                metadata=a.md("qs-doctor"),
            )
            for days_back in (300, 200, 100, 0):
                visit = rec.FollowUp(
                    program=HTN,
                    visit_date=(date.today() - timedelta(days=days_back)).isoformat(),
                    blood_pressure=rec.BloodPressure(systolic=130, diastolic=80),
                )
                a.api.RecordFollowUp(
                    apb.RecordFollowUpRequest(parent=record.name, follow_up=visit),
                    metadata=a.md("qs-doctor"),
                )
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    a.md("qs-doctor")  # one login before the threads share the token
    threads = [threading.Thread(target=writer, args=(s,)) for s in shorts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    scopes = _scopes(a)
    assert_counts_exact(a.running.cell.part("archives").db, scopes, _days(rng, date.today(), 3))
    with a.running.cell.part("archives").db.transaction() as tx:
        qs = ArchivesRepository(tx).indicator_counts(scopes[-2][0], scopes[-2][1], date.today())
    assert qs[a.world.tenants["qs-chc"]]["followed"] == len(shorts)


def test_every_repository_write_keeps_the_counts(archives: Archives) -> None:
    """Each write method of the repository on its own (the use cases combine them): after
    each, the counts are exact. A record added already active (no use case does it yet) and
    one imported from another cell with its visits and plans, as the destination cell does."""
    a = archives
    db = a.running.cell.part("archives").db
    scopes = _scopes(a)[:2] + _scopes(a)[-2:]  # the cell, the city, both institutions
    qs, ts = a.world.tenants["qs-chc"], a.world.tenants["ts-th"]
    today = date.today()
    now = datetime.now(UTC)
    days = [today + timedelta(days=d) for d in (-95, -4, 0, 70, 300)]
    record = HealthRecord(
        record_id=new_id(), record_number="32031100110100001", resident_id=new_id(),
        birth_date=date(1950, 1, 1), state=RecordState.ACTIVE, managing_tenant_id=qs,
        managing_region="320311", scope_path=tenant_scope("320311", qs), creating_tenant_id=qs,
        team_id="", basic_info={}, termination=None, create_time=now - timedelta(days=100),
        update_time=now, version=1,
    )  # fmt: skip
    follow_ups = [
        StoredFollowUp(
            new_id(),
            record.record_id,
            "hypertension",
            today - timedelta(days=back),
            {},
            "controlled",
            0,
            False,
            False,
            today + timedelta(days=30),
            now,
        )
        for back in (300, 200, 100, 5)
    ]
    moved_id = new_id()

    def imported(repo: ArchivesRepository) -> None:
        """The record's bundle arriving in Tongshan as another record (another cell's copy)."""
        bundle = repo.export_bundle(record.record_id)
        bundle["record"].update(id=moved_id, record_number="32031200110100001")
        for key in ("check_ups", "follow_ups", "events", "plans"):
            for row in bundle[key]:
                row.update(record_id=moved_id, **({"id": new_id()} if "id" in row else {}))
        copy = repo.import_record(bundle, new_id(), ts, "320312", tenant_scope("320312", ts), now)
        assert_counts_exact_in(repo, scopes, days)  # the record alone, before its rows
        repo.import_bundle(bundle, copy)

    ended = record.changed(
        now,
        state=RecordState.TERMINATED,
        termination=Termination(TerminationReason.DEATH, today - timedelta(days=4)),
    )
    writes: list[Callable[[ArchivesRepository], object]] = [
        lambda repo: repo.add(record, ""),
        lambda repo: repo.add_plan(record, "hypertension", today - timedelta(days=10)),
        lambda repo: repo.add_check_up(record.record_id, {}, today - timedelta(days=90), now, ""),
        *(lambda repo, f=f: repo.add_follow_up(f, "") for f in follow_ups),
        lambda repo: repo.set_plan_due(
            record.record_id, "hypertension", today + timedelta(days=30)
        ),
        imported,
        lambda repo: repo.save(ended, record.version),
        lambda repo: repo.set_plans_state(record.record_id, "closed"),
    ]
    for write in writes:
        with db.transaction() as tx:
            repo = ArchivesRepository(tx)
            write(repo)
            assert_counts_exact_in(repo, scopes, days)
