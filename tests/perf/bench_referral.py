"""Referrals at scale (`make bench`; alone: ``python tests/perf/bench_referral.py``).

Issue 17: N referrals (default 500,000) in PostgreSQL; an institution's inbox, a county's
overdue list and a state transition, p50/p99 beside the bare-call floor; target: each p99
< 20 ms at the service.

Loads the referrals with COPY into a scratch database (rows cloned from one referral made and
submitted through the API, so they are what the service writes, snapshot and transition
included), upward from four grassroots institutions (two in Quanshan 320311, two in Tongshan
320312) to two county hospitals, one per county; most are finished, a share are waiting for
acceptance or arrival and a share of those are past their time limit. Then it times over gRPC
on loopback, one call in flight, against a real all-in-one cell (identity, archives, referral,
each on its own scratch database):

* a bare call (``grpc.health.v1.Health/Check``), the transport floor of this run;
* ``ListReferrals`` of the Quanshan county hospital, inbox, first page of 20, by its clinician;
* ``ListOverdueReferrals`` of the county ``regions/320311``, first page of 20, by the county
  administrator, and of one sending institution by its clinician;
* ``AcceptReferral`` of a different submitted referral each call, by the receiving clinician:
  the real transition (row lock, transition row, audit row, the record-history event written
  in archives over gRPC).

Every call runs the real interceptor chain (token, Casbin) and appends its audit row.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
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

RESULTS = HERE / "RESULTS-referral.md"
TARGET_MS = 20.0
# States of the loaded referrals (cumulative shares); the rest are CLOSED.
STATES = (
    ("SUBMITTED", 0.08),
    ("ACCEPTED", 0.15),
    ("IN_CARE", 0.20),
    ("RETURNED", 0.25),
    ("COMPLETED", 0.40),
    ("REJECTED", 0.45),
    ("CANCELLED", 0.50),
)
RECORDS, RECORDS_QUICK = 200, 20  # health records the referrals' snapshots point to
OVERDUE_SHARE = 0.40  # of the submitted and accepted ones, past their time limit


def _dsn(url: str) -> str:
    from rhip.kit.db import normalise_url
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


def _rows(dsn: str, table_name: str, key: str, value: str) -> list[dict]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(f"SELECT * FROM {table_name} WHERE {key} = %s", (value,))
        rows = cur.fetchall()
    assert rows, table_name
    return rows


def _state(rng: random.Random) -> str:
    draw = rng.random()
    for state, upto in STATES:
        if draw < upto:
            return state
    return "CLOSED"


def load(dsn: str, rows: int, senders: list[tuple[str, str]], receivers: dict[str, tuple[str, str]], templates: dict, records: list[str]) -> dict:  # fmt: skip
    """COPY ``rows`` referrals round robin over ``senders`` ((tenant id, county)), each to
    the county hospital of its county (``receivers``: county → (tenant id, county)), with one
    transition row each, their snapshots round robin over the health ``records`` (so a move's
    history event lands in one of them, as for referrals of different residents). Returns
    what it loaded."""
    from rhip.kit.ids import new_id
    from rhip.kit.tenancy import tenant_scope

    rng = random.Random(20261206)
    now = datetime.now(UTC)
    ref_t, tr_t = templates["referral"], templates["transition"]
    ref_cols, tr_cols = list(ref_t), list(tr_t)
    loaded: dict[str, float] = {"referrals": 0, "timed": 0, "overdue": 0}
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for chunk_start in range(0, rows, 50_000):
            refs, trs = [], []
            for i in range(chunk_start, min(rows, chunk_start + 50_000)):
                sender, county = senders[i % len(senders)]
                receiver, receiver_county = receivers[county]
                state = _state(rng)
                created = now - timedelta(days=rng.randrange(1, 1000), seconds=rng.randrange(86400))  # fmt: skip
                deadline = None
                if state in ("SUBMITTED", "ACCEPTED"):
                    loaded["timed"] += 1
                    if rng.random() < OVERDUE_SHARE:
                        deadline = now - timedelta(hours=rng.randrange(1, 2000))
                        loaded["overdue"] += 1
                    else:
                        deadline = now + timedelta(hours=rng.randrange(1, 200))
                undecided = state in ("SUBMITTED", "REJECTED", "CANCELLED")
                seconds = None if undecided else rng.randrange(600, 86400)
                rid = new_id()
                ref = dict(ref_t)
                ref.update(
                    id=rid,
                    snapshot=ref_t["snapshot"].replace(records[0], records[i % len(records)]),
                    sender_tenant_id=sender,
                    sender_region=county,
                    sender_scope=tenant_scope(county, sender),
                    receiver_tenant_id=receiver,
                    receiver_region=receiver_county,
                    receiver_scope=tenant_scope(receiver_county, receiver),
                    state=state,
                    deadline=deadline,
                    create_time=created,
                    update_time=created,
                    request_key=None,
                    suggested_by=None,
                    accept_seconds=seconds,
                )
                refs.append(tuple(ref[c] for c in ref_cols))
                tr = dict(tr_t)
                tr.update(id=new_id(), referral_id=rid, time=created)
                trs.append(tuple(tr[c] for c in tr_cols))
            for name, cols, values in (
                ("referral", ref_cols, refs),
                ("referral_transition", tr_cols, trs),
            ):
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            conn.commit()
            loaded["referrals"] += len(refs)
            log(f"loaded {loaded['referrals']:,} referrals")
    with psycopg.connect(dsn, autocommit=True) as conn:  # what autovacuum does after a load
        for name in ("referral", "referral_transition"):
            conn.execute(f"VACUUM ANALYZE {name}")
    loaded["seconds"] = time.perf_counter() - started
    return loaded


def _world(running):  # type: ignore[no-untyped-def]
    """build_world, the Quanshan county hospital and its clinician (the referral tests'
    fixture), a second community health centre in Quanshan, a second township hospital and
    a county hospital in Tongshan."""
    from referral.conftest import _add_county_hospital
    from rhip.identity.directory.domain import TenantLevel, TenantType
    from rhip.identity.directory.usecases import TenantDraft
    from rhip.kit.authn import Principal, PrincipalKind, acting_as
    from support.cells import build_world

    world = build_world(running)
    _add_county_hospital(running, world)
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    extra = {}
    with acting_as(admin):
        new = (
            ("qs-chc2", "泉山区第二社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER, TenantLevel.PRIMARY, "320311"),
            ("ts-th2", "铜山区第二镇卫生院", TenantType.TOWNSHIP_HOSPITAL, TenantLevel.PRIMARY, "320312"),
            ("ts-hosp", "徐州市铜山区人民医院", TenantType.COUNTY_HOSPITAL, TenantLevel.SECONDARY, "320312"),
        )  # fmt: skip
        for short, name, type_, level, county in new:
            tenant = running.usecases.create_tenant(TenantDraft(name, type_, level, county, ""), "")
            extra[short] = tenant.tenant_id
    t = {**world.tenants, **extra}
    senders = [(t["qs-chc"], "320311"), (t["qs-chc2"], "320311"), (t["ts-th"], "320312"), (t["ts-th2"], "320312")]  # fmt: skip
    receivers = {"320311": (t["qs-hosp"], "320311"), "320312": (t["ts-hosp"], "320312")}
    return world, senders, receivers


def run(*, rows: int = 500_000, quick: bool = False) -> dict:
    from archives.helpers import complete_form
    from conftest import make_settings
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from referral.conftest import Referrals
    from rhip.api.archives.v1 import archives_service_pb2 as apb
    from rhip.api.archives.v1 import archives_service_pb2_grpc
    from rhip.api.referral.v1 import referral_pb2 as rpb
    from rhip.api.referral.v1 import referral_service_pb2 as pb
    from rhip.api.referral.v1 import referral_service_pb2_grpc
    from support.cells import start_cell
    from support.residents import XUZHOU_MAN, register_request, with_check
    from support.residents import stub as resident_stub

    if quick:
        rows = min(rows, 50_000)
    samples = 300 if quick else 2000
    results: dict = {"rows": rows}
    with (
        scratch_database() as identity_url,
        scratch_database() as archives_url,
        scratch_database() as referral_url,
    ):
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-referral-"))
        settings = make_settings(
            tmp, identity_url, RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_REFERRAL_DATABASE_URL=referral_url, RHIP_GRPC_WORKERS="4",
            RHIP_CELL_CLIENT_ID="cell-320000", RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
        )  # fmt: skip
        running = start_cell(settings)
        try:
            world, senders, receivers = _world(running)
            r = Referrals(
                running, world, referral_service_pb2_grpc.ReferralServiceStub(running.channel),
                archives_service_pb2_grpc.ArchivesServiceStub(running.channel),
            )  # fmt: skip
            md = running.md("qs-doctor")
            records = []
            for i in range(RECORDS_QUICK if quick else RECORDS):  # residents of Quanshan
                number = XUZHOU_MAN if i == 0 else with_check(f"32030219850101{i:03d}")
                reply = resident_stub(running.channel).RegisterResident(
                    register_request(number, name="张三", region="320311"), metadata=md
                )
                record = r.archives.CreateHealthRecord(
                    apb.CreateHealthRecordRequest(
                        resident=reply.resident.name, township_code="001", village_code="101",
                        basic_info=complete_form(),
                    ),
                    metadata=md,
                )  # fmt: skip
                r.archives.ActivateHealthRecord(
                    apb.ActivateHealthRecordRequest(name=record.name), metadata=md
                )
                records.append(record.name.removeprefix("healthRecords/"))
                if i == 0:
                    r.resident = reply.resident.name
            template = r.submitted()
            assert template.snapshot.record_number, "the template carries its snapshot"
            assert records[0] in str(_rows(_dsn(referral_url), "referral", "id", template.name.removeprefix("referrals/"))[0]["snapshot"])  # fmt: skip
            dsn = _dsn(referral_url)
            template_id = template.name.removeprefix("referrals/")
            templates = {
                "referral": _rows(dsn, "referral", "id", template_id)[0],
                "transition": _rows(dsn, "referral_transition", "referral_id", template_id)[0],
            }
            log(f"loading {rows:,} referrals from {len(senders)} institutions")
            results["loaded"] = load(dsn, rows, senders, receivers, templates, records)
            results["records"] = len(records)
            log(f"loaded in {results['loaded']['seconds']:.0f} s")

            api = r.stub
            hosp, county, clinic = r.md("qs-hosp-doctor"), r.md("qs-admin"), md
            hosp_id = receivers["320311"][0]
            with psycopg.connect(dsn) as conn:
                results["inbox_rows"] = conn.execute(
                    "SELECT count(*) FROM referral WHERE receiver_tenant_id = %s", (hosp_id,)
                ).fetchone()[0]  # type: ignore[index]
                results["county_overdue_rows"] = conn.execute(
                    "SELECT count(*) FROM referral WHERE sender_region = '320311'"
                    " AND state IN ('SUBMITTED', 'ACCEPTED') AND deadline < now()"
                ).fetchone()[0]  # type: ignore[index]
                waiting = [
                    row[0]
                    for row in conn.execute(
                        "SELECT id FROM referral WHERE receiver_tenant_id = %s"
                        " AND state = 'SUBMITTED' AND deadline > now() + interval '1 hour'"
                        " ORDER BY id LIMIT %s",
                        (hosp_id, samples + 50),
                    )
                ]
            health = health_pb2_grpc.HealthStub(running.channel)
            inbox_request = pb.ListReferralsRequest(
                parent=f"tenants/{hosp_id}", box=pb.BOX_INBOX, page_size=20
            )
            county_request = pb.ListOverdueReferralsRequest(parent="regions/320311", page_size=20)
            own_request = pb.ListOverdueReferralsRequest(
                parent=f"tenants/{world.tenants['qs-chc']}", page_size=20
            )

            def echo(_: object) -> None:
                health.Check(health_pb2.HealthCheckRequest())

            def inbox(_: object) -> None:
                assert len(api.ListReferrals(inbox_request, metadata=hosp).referrals) == 20

            def county_overdue(_: object) -> None:
                got = api.ListOverdueReferrals(county_request, metadata=county).referrals
                assert len(got) == 20

            def own_overdue(_: object) -> None:
                got = api.ListOverdueReferrals(own_request, metadata=clinic).referrals
                assert len(got) == 20

            def accept(referral_id: str) -> None:
                done = api.AcceptReferral(
                    pb.AcceptReferralRequest(name=f"referrals/{referral_id}"), metadata=hosp
                )
                assert done.state == rpb.REFERRAL_STATE_ACCEPTED

            calls = list(range(samples))
            for fn in (echo, inbox, county_overdue, own_overdue):  # warm caches, connections
                timed(calls[:50], fn)
            timed(waiting[:50], accept)
            results["echo"] = timed(calls, echo)
            results["inbox"] = timed(calls, inbox)
            results["county_overdue"] = timed(calls, county_overdue)
            results["own_overdue"] = timed(calls[: samples // 2], own_overdue)
            results["accept"] = timed(waiting[50 : 50 + samples], accept)
            with psycopg.connect(dsn) as conn:
                results["plan"] = "\n".join(
                    row[0]
                    for row in conn.execute(
                        "EXPLAIN ANALYZE SELECT id FROM referral WHERE state IN"
                        " ('SUBMITTED', 'ACCEPTED') AND deadline < now()"
                        " AND sender_scope LIKE '86/32/3203/320311/%'"
                        " ORDER BY deadline, id LIMIT 21"
                    )
                )
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


LABELS = (
    ("echo", "bare call (grpc.health Check), transport floor", None),
    ("inbox", "ListReferrals, a county hospital's inbox, first page of 20", TARGET_MS),
    ("county_overdue", "ListOverdueReferrals of the county regions/320311, first 20", TARGET_MS),
    ("own_overdue", "ListOverdueReferrals of one sending institution, first 20", TARGET_MS),
    ("accept", "AcceptReferral, SUBMITTED → ACCEPTED (history event in archives)", TARGET_MS),
)


def report(res: dict) -> str:
    rows = []
    for key, label, target in LABELS:
        values = res[key]
        p99 = percentile(values, 99)
        verdict = "" if target is None else ("met" if p99 < target else "missed")
        rows.append(
            [label, len(values), f"{percentile(values, 50):.2f}", f"{p99:.2f}",
             f"< {target:g}" if target else "", verdict]
        )  # fmt: skip
    loaded = res["loaded"]
    return (
        f"{loaded['referrals']:,} referrals in PostgreSQL (and as many transition rows), from "
        f"4 grassroots institutions to 2 county hospitals ({res['inbox_rows']:,} in the measured "
        f"inbox), their snapshots over {res['records']} health records; {loaded['timed']:,} waiting for acceptance or arrival, {loaded['overdue']:,} of "
        f"them overdue ({res['county_overdue_rows']:,} sent from the county 320311); COPY in "
        f"{loaded['seconds']:.0f} s. One call in flight over loopback gRPC with the real "
        "interceptor chain (token, Casbin, audit row per call).\n\n"
        + table(["call", "n", "p50 ms", "p99 ms", "target p99", ""], rows)
    )


def summary(res: dict) -> list[str]:
    parts = ", ".join(
        f"{label.split(',')[0]} p50 {percentile(res[key], 50):.2f} / p99 "
        f"{percentile(res[key], 99):.2f} ms"
        for key, label, _ in LABELS
    )
    return [f"- Referrals, {res['rows']:,} on PostgreSQL, over gRPC: {parts}."]


def main() -> None:
    res, quick = data_bench_main(
        __doc__ or "",
        title="Referral benchmark",
        script="bench_referral.py",
        results=RESULTS,
        what="referrals",
        default_rows=500_000,
        run=run,
        summary=summary,
        report=report,
    )
    if quick:
        log("query plan of the county's overdue list:\n" + res["plan"])


if __name__ == "__main__":
    main()
