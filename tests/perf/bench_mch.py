"""Maternal and child health at scale (issue 14; `make bench`; alone:
``python tests/perf/bench_mch.py``).

Loads N pregnancies (default 200,000, two antenatal visits each) and 2.5 N children (500,000,
two child visits each) over ten Xuzhou institutions into a scratch PostgreSQL database with
COPY: rows cloned from a pregnancy, a visit, a child record and a child visit made through the
API, so they are exactly what the service writes. A share of the pregnancies is overdue. Then
it times over gRPC on loopback, one call in flight, with the real interceptor chain (token,
Casbin, an audit row per call):

* a woman's episode with its visits (``GetPregnancy`` + ``ListAntenatalVisits``) by a
  clinician of her institution;
* the institution's overdue list (``ListPregnancies`` with ``overdue_only``, first page);
* the city's indicators (``GetMchIndicators`` of ``regions/320300``) by the city administrator,
  summed from the counts kept on write (rebuilt after the COPY, which bypasses the service),
  and beside them the exact recomputation they replace, timed at the store;
* a bare call (``grpc.health.v1.Health/Check``), the transport floor of this run.

Target (issue 14): each p99 < 20 ms at the service.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import data_bench_main, log, percentile, scratch_database, table, timed  # noqa: E402
from bench_archives import COUNTIES, _dsn, _template, _world  # noqa: E402

RESULTS = HERE / "RESULTS-mch.md"
OVERDUE_SHARE = 0.15  # pregnancies whose next antenatal slot has closed without a visit
CHILDREN_PER_PREGNANCY = 2.5


def _templates(running, mch_dsn: str) -> dict:  # type: ignore[no-untyped-def]
    """A pregnancy with a visit and a child with a visit, made through the API, as rows."""
    from rhip.api.identity.v1 import qualification_service_pb2 as qpb
    from rhip.api.identity.v1 import qualification_service_pb2_grpc
    from rhip.api.mch.v1 import child_pb2 as cpb
    from rhip.api.mch.v1 import mch_service_pb2 as mpb
    from rhip.api.mch.v1 import mch_service_pb2_grpc
    from rhip.api.mch.v1 import pregnancy_pb2 as pb
    from support.residents import register_request, with_check
    from support.residents import stub as resident_stub

    md = running.md("qs-doctor")
    residents = resident_stub(running.channel)
    api = mch_service_pb2_grpc.MchServiceStub(running.channel)
    woman = residents.RegisterResident(
        register_request(with_check("32031119900101002"), name="王芳", region="320311"),
        metadata=md,
    ).resident
    pregnancy = api.RegisterPregnancy(
        mpb.RegisterPregnancyRequest(
            resident=woman.name, handbook_number="HB-BENCH-0001",
            lmp_date=(date.today() - timedelta(days=100)).isoformat(),
            registration_date=(date.today() - timedelta(days=20)).isoformat(),
        ),
        metadata=md,
    )  # fmt: skip
    # The visit falls at 13w6d, a mid-pregnancy check: the centre must provide midwifery.
    quals = qualification_service_pb2_grpc.QualificationServiceStub(running.channel)
    quals.GrantQualification(
        qpb.GrantQualificationRequest(
            tenant=pregnancy.managing_tenant,
            kind=qpb.QUALIFICATION_KIND_MIDWIFERY, request_id=str(uuid.uuid4()),
        ),
        metadata=running.md("qs-admin"),
    )  # fmt: skip
    api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=pregnancy.name,
            visit=pb.AntenatalVisit(
                visit_date=(date.today() - timedelta(days=3)).isoformat(), weight_kg=60.0,
                systolic=118, diastolic=76,
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=md,
    )  # fmt: skip
    born = date.today() - timedelta(days=400)
    child = residents.RegisterResident(
        register_request(with_check(f"320311{born:%Y%m%d}001"), name="王小宝", region="320311"),
        metadata=md,
    ).resident
    record = api.EnrollChild(
        mpb.EnrollChildRequest(child=child.name, request_id=str(uuid.uuid4())), metadata=md
    )
    api.RecordChildVisit(
        mpb.RecordChildVisitRequest(
            parent=record.name,
            visit=cpb.ChildVisit(visit_date=(date.today() - timedelta(days=30)).isoformat()),
            request_id=str(uuid.uuid4()),
        ),
        metadata=md,
    )
    pregnancy_id = pregnancy.name.removeprefix("pregnancies/")
    record_id = record.name.rsplit("/", 1)[-1]
    return {
        "pregnancy": _template(mch_dsn, "pregnancy", "id", pregnancy_id),
        "visit": _template(mch_dsn, "antenatal_visit", "pregnancy_id", pregnancy_id),
        "child": _template(mch_dsn, "child_record", "id", record_id),
        "child_visit": _template(mch_dsn, "child_visit", "record_id", record_id),
    }


def _copy(cur, name: str, cols: list[str], rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, dsn: str, rows: int, tenants: list[tuple[str, str]], templates: dict) -> dict:
    """COPY ``rows`` pregnancies and 2.5 × ``rows`` children (round robin over ``tenants``),
    then rebuild the indicator counts from them."""
    from rhip.kit.ids import new_id
    from rhip.kit.tenancy import tenant_scope

    rng = random.Random(20261206)
    today = date.today()
    loaded = {"pregnancies": 0, "visits": 0, "overdue": 0, "children": 0, "child_visits": 0}
    started = time.perf_counter()
    p_t, v_t, c_t, cv_t = (templates[k] for k in ("pregnancy", "visit", "child", "child_visit"))
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for chunk in range(0, rows, 50_000):
            pregnancies, visits, children, child_visits = [], [], [], []
            for i in range(chunk, min(rows, chunk + 50_000)):
                tenant, county = tenants[i % len(tenants)]
                scope = tenant_scope(county, tenant)
                pid, resident = new_id(), new_id()
                lmp = today - timedelta(days=rng.randrange(30, 270))
                registered = lmp + timedelta(days=rng.randrange(42, 150))
                overdue = rng.random() < OVERDUE_SHARE
                slot_end = today - timedelta(days=rng.randrange(1, 60)) if overdue else today + timedelta(days=rng.randrange(1, 60))  # fmt: skip
                p = dict(p_t)
                p.update(
                    id=pid, resident_id=resident, open_resident_id=resident, tenant_id=tenant,
                    scope_path=scope, handbook_number=f"HB-{i:09d}",
                    registration_date=min(registered, today), lmp=lmp,
                    early=(registered - lmp).days < 91, next_slot_end=slot_end,
                    create_time=datetime.combine(min(registered, today), datetime.min.time(), UTC),
                    request_id=None,
                )  # fmt: skip
                pregnancies.append(tuple(p[c] for c in p_t))
                loaded["overdue"] += overdue
                for k in range(2):
                    v = dict(v_t)
                    v.update(id=new_id(), pregnancy_id=pid, tenant_id=tenant,
                             visit_date=min(registered + timedelta(days=28 * k), today),
                             request_id=None)  # fmt: skip
                    visits.append(tuple(v[c] for c in v_t))
            for i in range(int(chunk * CHILDREN_PER_PREGNANCY), int(min(rows, chunk + 50_000) * CHILDREN_PER_PREGNANCY)):  # fmt: skip
                tenant, county = tenants[i % len(tenants)]
                cid = new_id()
                born = today - timedelta(days=rng.randrange(0, 6 * 365))
                c = dict(c_t)
                c.update(id=cid, resident_id=new_id(), tenant_id=tenant,
                         scope_path=tenant_scope(county, tenant), birth_date=born,
                         create_time=datetime.combine(born, datetime.min.time(), UTC),
                         request_id=None)  # fmt: skip
                children.append(tuple(c[k] for k in c_t))
                for k in range(2):
                    cv = dict(cv_t)
                    seen = min(born + timedelta(days=30 + 90 * k), today)
                    cv.update(id=new_id(), record_id=cid, tenant_id=tenant, visit_date=seen,
                              age_days=(seen - born).days, request_id=None)  # fmt: skip
                    child_visits.append(tuple(cv[k2] for k2 in cv_t))
            _copy(cur, "pregnancy", list(p_t), pregnancies)
            _copy(cur, "antenatal_visit", list(v_t), visits)
            _copy(cur, "child_record", list(c_t), children)
            _copy(cur, "child_visit", list(cv_t), child_visits)
            conn.commit()
            loaded["pregnancies"] += len(pregnancies)
            loaded["visits"] += len(visits)
            loaded["children"] += len(children)
            loaded["child_visits"] += len(child_visits)
            log(f"loaded {loaded['pregnancies']:,} pregnancies, {loaded['children']:,} children")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("pregnancy", "antenatal_visit", "child_record", "child_visit"):
            conn.execute(f"VACUUM ANALYZE {name}")
    loaded["seconds"] = time.perf_counter() - started
    log(f"loaded in {loaded['seconds']:.0f} s; rebuilding the indicator counts")
    loaded["counts_seconds"] = rebuild_counts(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE mch_indicator_count")
        counted = conn.execute("SELECT count(*) FROM mch_indicator_count").fetchone()
        loaded["count_rows"] = counted[0] if counted else 0
    return loaded


def rebuild_counts(url: str) -> float:
    """Rebuild the indicator counts kept on write from the rows COPY loaded behind the
    service's back; returns the seconds taken."""
    from rhip.kit.db import Database
    from rhip.mch.indicators import counts

    db = Database.connect(url)
    try:
        started = time.perf_counter()
        with db.transaction() as tx:
            counts.rebuild(tx)
        return time.perf_counter() - started
    finally:
        db.dispose()


def run(*, rows: int = 200_000, quick: bool = False) -> dict:
    from conftest import make_settings
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from rhip.api.mch.v1 import indicators_pb2 as ipb
    from rhip.api.mch.v1 import mch_service_pb2 as mpb
    from rhip.api.mch.v1 import mch_service_pb2_grpc
    from support.cells import start_cell

    if quick:
        rows = min(rows, 20_000)
    samples = 300 if quick else 2000
    results: dict = {"rows": rows}
    with scratch_database() as identity_url, scratch_database() as mch_url:
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-mch-"))
        settings = make_settings(
            tmp, identity_url, RHIP_MCH_DATABASE_URL=mch_url, RHIP_GRPC_WORKERS="4"
        )
        running = start_cell(settings)
        try:
            tenants, named = _world(running)
            dsn = _dsn(mch_url)
            templates = _templates(running, dsn)
            log(f"loading {rows:,} pregnancies over {len(tenants)} institutions")
            results["loaded"] = load(mch_url, dsn, rows, tenants, templates)
            api = mch_service_pb2_grpc.MchServiceStub(running.channel)
            health = health_pb2_grpc.HealthStub(running.channel)
            doctor, city = running.md("qs-doctor"), running.md("xz-admin")
            qs = named["qs-chc"]
            with psycopg.connect(dsn) as conn:
                mine = [
                    r[0]
                    for r in conn.execute("SELECT id FROM pregnancy WHERE tenant_id = %s", (qs,))
                ]
            rng = random.Random(7)
            picks = [rng.choice(mine) for _ in range(samples)]
            results["institution_pregnancies"] = len(mine)

            def episode(pregnancy_id: str) -> None:
                name = f"pregnancies/{pregnancy_id}"
                assert api.GetPregnancy(mpb.GetPregnancyRequest(name=name), metadata=doctor).name
                visits = api.ListAntenatalVisits(
                    mpb.ListAntenatalVisitsRequest(parent=name), metadata=doctor
                )
                assert len(visits.visits) == 2

            overdue_request = mpb.ListPregnanciesRequest(
                parent=f"tenants/{qs}", overdue_only=True, page_size=20
            )

            def overdue(_: object) -> None:
                assert len(api.ListPregnancies(overdue_request, metadata=doctor).pregnancies) == 20

            indicators_request = ipb.GetMchIndicatorsRequest(parent="regions/320300")

            def indicators(_: object) -> None:
                assert api.GetMchIndicators(
                    indicators_request, metadata=city, timeout=600
                ).indicators

            def bare(_: object) -> None:
                health.Check(health_pb2.HealthCheckRequest())

            for fn in (episode, overdue, indicators, bare):  # warm caches and connections
                timed(picks[:10], fn)
            results["bare"] = timed(picks, bare)
            results["episode"] = timed(picks, episode)
            results["overdue"] = timed(picks[: samples // 4], overdue)
            results["indicators"] = timed(picks[: 20 if quick else 100], indicators)
            results["exact"], results["city"] = exact_at_store(mch_url, 3 if quick else 5)
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


def exact_at_store(url: str, times: int) -> tuple[list[float], dict]:
    """The city's counts recomputed exactly from every row (what GetMchIndicators ran before
    the counts kept on write), timed at the store; and the city's counts, checked equal to
    the kept ones."""
    from rhip.kit.db import Database
    from rhip.kit.tenancy import region_path
    from rhip.mch.indicators import domain
    from rhip.mch.indicators.store import IndicatorStore

    city, everything = region_path("320300"), [region_path("320000")]
    period = domain.period_of(date.today())
    db = Database.connect(url)
    try:
        with db.transaction() as tx:
            store = IndicatorStore(tx)
            kept = domain.sum_counts(store.counts(city, "", everything, period).values())
            exact = domain.sum_counts(store.exact_counts(city, "", everything, period).values())
            assert kept == exact, (kept, exact)

            def recount(_: object) -> None:
                store.exact_counts(city, "", everything, period)

            return timed(list(range(times)), recount), kept
    finally:
        db.dispose()


CALLS = (
    ("bare", "bare call (grpc.health Check), transport floor"),
    ("episode", "a woman's episode: GetPregnancy + ListAntenatalVisits (her clinician)"),
    ("overdue", "ListPregnancies overdue_only, an institution's first page of 20"),
    ("indicators", "GetMchIndicators of the city regions/320300 (city administrator)"),
    ("exact", "at the store: the city's counts recomputed exactly (the former query)"),
)


def report(res: dict) -> str:
    rows = [
        [label, len(res[key]), f"{percentile(res[key], 50):.2f}", f"{percentile(res[key], 99):.2f}"]
        for key, label in CALLS
    ]
    loaded = res["loaded"]
    return (
        f"{loaded['pregnancies']:,} pregnancies ({loaded['overdue']:,} overdue, "
        f"{res['institution_pregnancies']:,} at the measured institution) with "
        f"{loaded['visits']:,} antenatal visits, {loaded['children']:,} children with "
        f"{loaded['child_visits']:,} visits, over {len(COUNTIES)} Xuzhou institutions; COPY in "
        f"{loaded['seconds']:.0f} s; indicator counts rebuilt from them in "
        f"{loaded['counts_seconds']:.0f} s ({loaded['count_rows']:,} count rows). One call in "
        "flight over loopback gRPC.\n\n"
        + table(["call", "n", "p50 ms", "p99 ms"], rows)
        + "\n\nIn this run the city's indicators from the kept counts took 1/"
        f"{percentile(res['exact'], 50) / percentile(res['indicators'], 50):.0f} of the exact "
        "recomputation's p50 (which is what GetMchIndicators ran before).\n\nCity counts: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(res["city"].items()))
    )


def summary(res: dict) -> list[str]:
    parts = [
        f"{key} p50 {percentile(res[key], 50):.2f} / p99 {percentile(res[key], 99):.2f} ms"
        for key, _ in CALLS
    ]
    return [f"- MCH, {res['rows']:,} pregnancies on PostgreSQL, over gRPC: " + "; ".join(parts)]


def main() -> None:
    data_bench_main(
        __doc__ or "",
        title="MCH benchmark",
        script="bench_mch.py",
        results=RESULTS,
        what="pregnancies",
        run=run,
        summary=summary,
        report=report,
        default_rows=200_000,
    )


if __name__ == "__main__":
    main()
