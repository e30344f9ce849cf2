"""Archives at scale (`make bench`; alone: ``python tests/perf/bench_archives.py``).

Loads N health records (default 1,000,000) spread over ten Xuzhou institutions into a scratch
PostgreSQL database with COPY (rows cloned from a record, a hypertension plan and a follow-up
made through the API, so they are exactly what the service writes); a share of the records
are in a follow-up programme and a share of those plans are overdue. Then it starts a real
cell on the database and times over gRPC on loopback, one call in flight:

* ``GetHealthRecord`` of one record by a clinician of its institution;
* ``ListOverdueFollowUpPlans`` of that institution, first page;
* ``GetIndicators`` of the city (``regions/320300``) by the city administrator, and of the
  institution by its clinician;
* ``RankInstitutions`` of the city (usage rate) by the city administrator.

Every call runs the real interceptor chain (token, Casbin) and appends its audit row. The
bulk load bypasses the repository, so the indicator counts are then rebuilt from the records
(what migration archives_0009 does for an existing database), and timed. For the ratio in
the same run, the exact recomputation those counts replace (``exact_indicator_counts``, the
former GetIndicators query) is timed at the store for the city too.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import (  # noqa: E402
    data_bench_main,
    log,
    percentile,
    scratch_database,
    table,
    timed,
)

COUNTIES = ["320302", "320303", "320305", "320311", "320312", "320321", "320322", "320324", "320381", "320382"]  # fmt: skip
RESULTS = HERE / "RESULTS-archives.md"
PLAN_SHARE = 0.30  # records in the hypertension programme
OVERDUE_SHARE = 0.20  # of those plans, overdue today
VISITED_SHARE = 0.50  # of those plans, a follow-up visit within the year


def _dsn(url: str) -> str:
    from rhip.kit.db import normalise_url
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


def _template(dsn: str, table_name: str, key: str, value: str) -> dict:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(f"SELECT * FROM {table_name} WHERE {key} = %s", (value,))
        row = cur.fetchone()
    assert row is not None, table_name
    return row


def load(url: str, dsn: str, rows: int, tenants: list[tuple[str, str]], templates: dict) -> dict:
    """COPY ``rows`` records (round robin over ``tenants``: (tenant id, county)), their
    plans and follow-ups, then rebuild the indicator counts. Returns what it loaded."""
    from rhip.kit.ids import new_id
    from rhip.kit.tenancy import tenant_scope

    rng = random.Random(20261123)
    today = date.today()
    rec_t, plan_t, fup_t = templates["record"], templates["plan"], templates["follow_up"]
    rec_cols, plan_cols, fup_cols = list(rec_t), list(plan_t), list(fup_t)
    serial = {county: 0 for _, county in tenants}
    loaded: dict[str, float] = {"records": 0, "plans": 0, "overdue": 0, "follow_ups": 0}
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for chunk_start in range(0, rows, 100_000):
            recs, plans, fups = [], [], []
            for i in range(chunk_start, min(rows, chunk_start + 100_000)):
                tenant, county = tenants[i % len(tenants)]
                serial[county] += 1
                n = serial[county]
                number = f"{county}{n // 100_000 + 1:03d}201{n % 100_000:05d}"
                rid, resident = new_id(), new_id()
                scope = tenant_scope(county, tenant)
                created = datetime.now(UTC) - timedelta(days=rng.randrange(30, 1500))
                rec = dict(rec_t)
                rec.update(
                    id=rid,
                    record_number=number,
                    resident_id=resident,
                    open_resident_id=resident,
                    managing_tenant_id=tenant,
                    managing_region=county,
                    scope_path=scope,
                    creating_tenant_id=tenant,
                    team_id="",
                    missing_items=1 if rng.random() < 0.1 else 0,
                    create_time=created,
                    update_time=created,
                    version=1,
                    request_id=None,
                )
                recs.append(tuple(rec[c] for c in rec_cols))
                if rng.random() >= PLAN_SHARE:
                    continue
                overdue = rng.random() < OVERDUE_SHARE
                due = today - timedelta(
                    days=rng.randrange(1, 200) if overdue else -rng.randrange(0, 90)
                )
                plan = dict(plan_t)
                plan.update(
                    record_id=rid,
                    next_due_date=due,
                    state="open",
                    scope_path=scope,
                    managing_tenant_id=tenant,
                    team_id="",
                )
                plans.append(tuple(plan[c] for c in plan_cols))
                loaded["overdue"] += overdue
                if rng.random() < VISITED_SHARE:
                    fup = dict(fup_t)
                    visit = today - timedelta(days=rng.randrange(1, 300))
                    fup.update(
                        id=new_id(), record_id=rid, visit_date=visit,
                        next_due_date=visit + timedelta(days=90), request_id=None,
                    )  # fmt: skip
                    fups.append(tuple(fup[c] for c in fup_cols))
            for name, cols, values in (
                ("health_record", rec_cols, recs),
                ("follow_up_plan", plan_cols, plans),
                ("follow_up", fup_cols, fups),
            ):
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            conn.commit()
            loaded["records"] += len(recs)
            loaded["plans"] += len(plans)
            loaded["follow_ups"] += len(fups)
            log(f"loaded {loaded['records']:,} records")
        conn.commit()
    # What autovacuum does after a bulk load: statistics and the visibility map.
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("health_record", "follow_up_plan", "follow_up", "check_up"):
            conn.execute(f"VACUUM ANALYZE {name}")
    loaded["seconds"] = time.perf_counter() - started
    log(f"loaded in {loaded['seconds']:.0f} s; rebuilding the indicator counts")
    loaded["counts_seconds"] = rebuild_counts(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE indicator_count")
        counted = conn.execute("SELECT count(*) FROM indicator_count").fetchone()
        loaded["count_rows"] = counted[0] if counted else 0
    return loaded


def rebuild_counts(url: str) -> float:
    """Rebuild the indicator counts from the loaded records; returns the seconds taken."""
    from rhip.archives.repository import ArchivesRepository
    from rhip.kit.db import Database

    db = Database.connect(url)
    try:
        started = time.perf_counter()
        with db.transaction() as tx:
            ArchivesRepository(tx).rebuild_indicator_counts()
        return time.perf_counter() - started
    finally:
        db.dispose()


def _world(running) -> tuple[list[tuple[str, str]], dict]:  # type: ignore[no-untyped-def]
    """build_world plus community health centres in the other Xuzhou counties."""
    from rhip.identity.directory.domain import TenantLevel, TenantType
    from rhip.identity.directory.usecases import TenantDraft
    from rhip.kit.authn import Principal, PrincipalKind, acting_as
    from support.cells import build_world

    world = build_world(running)
    tenants = [(world.tenants["qs-chc"], "320311"), (world.tenants["ts-th"], "320312")]
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    with acting_as(admin):
        for county in COUNTIES:
            if county in ("320311", "320312"):
                continue
            tenant = running.usecases.create_tenant(
                TenantDraft(
                    f"{county}社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER,
                    TenantLevel.PRIMARY, county, "",
                ),
                "",
            )  # fmt: skip
            tenants.append((tenant.tenant_id, county))
    return tenants, world.tenants


def _templates(running, archives_dsn: str) -> dict:  # type: ignore[no-untyped-def]
    """One record with a plan and a follow-up made through the API, read back as rows."""
    from archives.helpers import complete_form
    from rhip.api.archives.v1 import archives_service_pb2 as apb
    from rhip.api.archives.v1 import archives_service_pb2_grpc
    from rhip.api.archives.v1 import health_record_pb2 as rec
    from support.residents import XUZHOU_MAN, register_request
    from support.residents import stub as resident_stub

    md = running.md("qs-doctor")
    api = archives_service_pb2_grpc.ArchivesServiceStub(running.channel)
    resident = resident_stub(running.channel).RegisterResident(
        register_request(XUZHOU_MAN, name="张三", region="320311"), metadata=md
    )
    record = api.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident.resident.name, township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
    )  # fmt: skip
    api.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=md)
    visit = (date.today() - timedelta(days=20)).isoformat()
    api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(
            parent=record.name, program=rec.PROGRAM_HYPERTENSION, first_due_date=visit
        ),
        metadata=md,
    )
    api.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record.name,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=visit,
                blood_pressure=rec.BloodPressure(systolic=132, diastolic=82),
            ),
        ),
        metadata=md,
    )  # fmt: skip
    record_id = record.name.removeprefix("healthRecords/")
    return {
        "record": _template(archives_dsn, "health_record", "id", record_id),
        "plan": _template(archives_dsn, "follow_up_plan", "record_id", record_id),
        "follow_up": _template(archives_dsn, "follow_up", "record_id", record_id),
    }


def run(*, rows: int = 1_000_000, quick: bool = False) -> dict:
    from conftest import make_settings
    from rhip.api.archives.v1 import archives_service_pb2 as apb
    from rhip.api.archives.v1 import archives_service_pb2_grpc
    from support.cells import start_cell

    if quick:
        rows = min(rows, 50_000)
    samples = 300 if quick else 2000
    results: dict = {"rows": rows}
    with scratch_database() as identity_url, scratch_database() as archives_url:
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-archives-"))
        settings = make_settings(
            tmp, identity_url, RHIP_ARCHIVES_DATABASE_URL=archives_url, RHIP_GRPC_WORKERS="4"
        )
        running = start_cell(settings)
        try:
            tenants, named = _world(running)
            dsn = _dsn(archives_url)
            templates = _templates(running, dsn)
            log(f"loading {rows:,} records over {len(tenants)} institutions")
            results["loaded"] = load(archives_url, dsn, rows, tenants, templates)
            log(f"counts rebuilt in {results['loaded']['counts_seconds']:.0f} s")
            api = archives_service_pb2_grpc.ArchivesServiceStub(running.channel)
            doctor, city = running.md("qs-doctor"), running.md("xz-admin")
            api.SetRegionPopulation(
                apb.SetRegionPopulationRequest(
                    population=apb.RegionPopulation(
                        region_code="320300", permanent_population=rows + rows // 4,
                        as_of=date.today().replace(month=1, day=1).isoformat(),
                    )
                ),
                metadata=city,
            )  # fmt: skip
            qs = named["qs-chc"]
            with psycopg.connect(dsn) as conn:
                mine = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM health_record WHERE managing_tenant_id = %s", (qs,)
                    )
                ]
            rng = random.Random(7)
            picks = [rng.choice(mine) for _ in range(samples)]
            results["institution_records"] = len(mine)

            def get(record_id: str) -> None:
                reply = api.GetHealthRecord(
                    apb.GetHealthRecordRequest(name=f"healthRecords/{record_id}"), metadata=doctor
                )
                assert reply.name.endswith(record_id)

            overdue_request = apb.ListOverdueFollowUpPlansRequest(
                parent=f"tenants/{qs}", page_size=20
            )

            def overdue(_: object) -> None:
                reply = api.ListOverdueFollowUpPlans(overdue_request, metadata=doctor)
                assert len(reply.plans) == 20

            indicators_request = apb.GetIndicatorsRequest(parent="regions/320300")

            def indicators(_: object) -> None:
                reply = api.GetIndicators(indicators_request, metadata=city, timeout=600)
                assert reply.indicators

            own_request = apb.GetIndicatorsRequest(parent=f"tenants/{qs}")

            def own_indicators(_: object) -> None:
                assert api.GetIndicators(own_request, metadata=doctor).indicators

            rank_request = apb.RankInstitutionsRequest(
                parent="regions/320300", kind=apb.INDICATOR_KIND_USAGE_RATE
            )

            def rank(_: object) -> None:
                assert len(api.RankInstitutions(rank_request, metadata=city).best) == 3

            exact = _exact_city(running)
            timed(picks[:50], get)  # warm caches and connections
            timed(picks[:20], overdue)
            timed(picks[:20], indicators)
            timed(picks[:20], own_indicators)
            timed(picks[:20], rank)
            timed(picks[:1], exact)
            results["get"] = timed(picks, get)
            results["overdue"] = timed(picks[: samples // 4], overdue)
            results["indicators"] = timed(picks[: samples // 4], indicators)
            results["own_indicators"] = timed(picks[: samples // 4], own_indicators)
            results["rank"] = timed(picks[: samples // 4], rank)
            results["exact"] = timed(picks[: 3 if quick else 5], exact)
            reply = api.GetIndicators(indicators_request, metadata=city, timeout=600)
            results["indicator_values"] = [
                (
                    apb.IndicatorKind.Name(i.kind).removeprefix("INDICATOR_KIND_").lower(),
                    i.numerator,
                    i.denominator,
                )
                for i in reply.indicators
            ]
            with psycopg.connect(dsn) as conn:
                month = date.today().replace(day=1)
                results["plan"] = "\n".join(
                    r[0]
                    for r in conn.execute(
                        "EXPLAIN ANALYZE SELECT managing_tenant_id, sum(records)"
                        " FROM indicator_count WHERE scope_path LIKE '86/32/3203/%%'"
                        " AND ((grain = 'year' AND period < %s)"
                        " OR (grain = 'month' AND period >= %s AND period < %s)"
                        " OR (grain = 'day' AND period >= %s AND period <= %s))"
                        " GROUP BY managing_tenant_id",
                        (
                            month.replace(month=1),
                            month.replace(month=1),
                            month,
                            month,
                            date.today(),
                        ),
                    )
                )
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


def _exact_city(running):  # type: ignore[no-untyped-def]
    """The city's counts by the exact recomputation, at the store (no gRPC, no audit)."""
    from rhip.archives.repository import ArchivesRepository

    db = running.cell.part("archives").db

    def exact(_: object) -> None:
        with db.transaction() as tx:
            assert ArchivesRepository(tx).exact_indicator_counts("86/32/3203", "", date.today())

    return exact


def report(res: dict) -> str:
    rows = []
    for key, label in (
        ("get", "GetHealthRecord, one record (clinician of its institution)"),
        ("overdue", "ListOverdueFollowUpPlans, an institution's first page of 20"),
        ("indicators", "GetIndicators of the city regions/320300 (city administrator)"),
        ("own_indicators", "GetIndicators of the institution (its clinician)"),
        ("rank", "RankInstitutions of the city, usage rate (city administrator)"),
        ("exact", "at the store: the city's counts recomputed exactly (the former query)"),
    ):
        values = res[key]
        rows.append(
            [label, len(values), f"{percentile(values, 50):.2f}", f"{percentile(values, 99):.2f}"]
        )
    loaded = res["loaded"]
    return (
        f"{loaded['records']:,} records in PostgreSQL over 10 Xuzhou institutions "
        f"({res['institution_records']:,} at the measured one), {loaded['plans']:,} open "
        f"hypertension plans ({loaded['overdue']:,} overdue), {loaded['follow_ups']:,} follow-up "
        f"visits; COPY in {loaded['seconds']:.0f} s, indicator counts rebuilt from them in "
        f"{loaded['counts_seconds']:.0f} s ({loaded['count_rows']:,} count rows). One call in "
        "flight over loopback gRPC with the real interceptor chain (token, Casbin, audit row per "
        "call).\n\n"
        + table(["call", "n", "p50 ms", "p99 ms"], rows)
        + f"\n\nIn this run the city's indicators from the counts took 1/{_ratio(res):,.0f} of "
        "the exact recomputation's p50 (which is what GetIndicators ran before)."
        + "\n\nCity indicators (numerator / denominator): "
        + ", ".join(f"{k} {n}/{d}" for k, n, d in res["indicator_values"])
    )


def _ratio(res: dict) -> float:
    return percentile(res["exact"], 50) / percentile(res["indicators"], 50)


def summary(res: dict) -> list[str]:
    get, overdue, ind = res["get"], res["overdue"], res["indicators"]
    return [
        f"- Archives, {res['rows']:,} records on PostgreSQL, over gRPC: get one record p50 "
        f"{percentile(get, 50):.2f} / p99 {percentile(get, 99):.2f} ms; an institution's overdue "
        f"follow-ups (first page) p50 {percentile(overdue, 50):.2f} / p99 "
        f"{percentile(overdue, 99):.2f} ms; the city's indicators p50 {percentile(ind, 50):.2f} / "
        f"p99 {percentile(ind, 99):.2f} ms (the exact recomputation they replace: p50 "
        f"{percentile(res['exact'], 50):.0f} ms in the same run); an institution's indicators p99 "
        f"{percentile(res['own_indicators'], 99):.2f} ms; the city's ranking p99 "
        f"{percentile(res['rank'], 99):.2f} ms."
    ]


def main() -> None:
    res, quick = data_bench_main(
        __doc__ or "",
        title="Archives benchmark",
        script="bench_archives.py",
        results=RESULTS,
        what="records",
        run=run,
        summary=summary,
        report=report,
    )
    if quick:
        log("query plan of the city's counts:\n" + res["plan"])


if __name__ == "__main__":
    main()
