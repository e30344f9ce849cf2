"""Birth certificates at scale (`make bench`; alone: ``python tests/perf/bench_bmc.py``).

Issue 15: N certificates (default 1,000,000) and 3 × N blank serials in PostgreSQL; issue
throughput at 8 in flight, verification p50/p99, a province's monthly report, beside the
bare-call floor of the same run. Targets: verify p99 < 10 ms at the service, issue ≥ 200/s.

Loads with COPY into scratch databases: the serials (one row each: N issued at the Quanshan
county hospital, the rest in stock at the hospital, the county, the city and the province),
N certificates (printed fields sealed per number with the cell's key, as the service seals
them), one ISSUE register row per certificate spread over the last 12 months. Then, over gRPC
on loopback against a real all-in-one cell (identity, archives and mch on scratch databases,
the real interceptor chain, an audit row per call):

* a bare call (``grpc.health.v1.Health/Check``), the transport floor of this run;
* ``VerifyBirthCertificate`` by number and child's name, by a service account, one in flight;
* ``IssueBirthCertificate`` of live-born babies recorded through the API, 8 in flight
  (throughput), each a conditional serial UPDATE, the certificate row, a register row, the
  outbox events, the audit row and identity's link over gRPC (after the answer, through the
  outbox, where the code does that: the run is also timed until every child is linked);
* ``GetBirthCertificateReport`` of the province ``regions/320000`` for this month, and the
  same month in-process both ways: recounted from the month's register rows and every serial
  (the report before issue 15's month counts) and summed from the counts kept on write (now),
  alternately, after checking they agree. The counts are rebuilt from the rows after the COPY.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import data_bench_main, log, percentile, scratch_database, table, timed  # noqa: E402

RESULTS = HERE / "RESULTS-bmc.md"
VERIFY_TARGET_MS = 10.0
ISSUE_TARGET_PER_S = 200.0
NAME = "王小明"


def _dsn(url: str) -> str:
    from rhip.kit.db import normalise_url
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


def load(dsn: str, certificates: int, scopes: dict[str, str], vault, template: dict) -> dict:  # type: ignore[no-untyped-def]
    """COPY 3 × ``certificates`` serials (letter Z), ``certificates`` certificates and their
    ISSUE register rows."""
    from rhip.kit.ids import new_id

    now = datetime.now(UTC)
    serials = 3 * certificates
    hosp = scopes["hosp"]
    name_hash = vault.lookup_hash(NAME)
    cert_cols = [c for c in template if not c.startswith("_")]
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for start in range(0, serials, 100_000):
            with cur.copy(
                "COPY bmc_serial (serial, edition, state, holder_scope) FROM STDIN"
            ) as copy:
                for n in range(start, min(serials, start + 100_000)):
                    if n < certificates:
                        state, scope = "ISSUED", hosp
                    elif n < certificates * 1.5:
                        state, scope = "IN_STOCK", hosp
                    else:
                        state = "RECEIVED"
                        scope = (scopes["county"], scopes["city"], scopes["province"])[n % 3]
                    copy.write_row((f"Z{n + 1:09d}", 7, state, scope))
            conn.commit()
            log(f"loaded {min(serials, start + 100_000):,} serials")
        for start in range(0, certificates, 50_000):
            certs, moves = [], []
            for n in range(start, min(certificates, start + 50_000)):
                number = f"Z{n + 1:09d}"
                created = now - timedelta(seconds=(n * 31_536_000) // certificates)
                row = dict(template)
                row.update(
                    number=number, child_key=f"newborn:{new_id()}", newborn_id=new_id(),
                    valid_child=None, name_hash=name_hash, request_id=None,
                    printed=vault.seal(template["_printed"].replace(template["number"], number),
                                       f"bmc:{number}"),
                    create_time=created, update_time=created, issue_date=created.date(),
                )  # fmt: skip
                row["valid_child"] = row["child_key"]
                certs.append(tuple(row[c] for c in cert_cols))
                moves.append((new_id(), "ISSUE", 7, number, number, 1, False,
                              template["_holder"], template["_holder"], hosp, hosp, "ISSUED",
                              "user:bench", "", "FIRST", "", "", f"birthCertificates/{number}",
                              created))  # fmt: skip
            with cur.copy(f"COPY bmc_certificate ({', '.join(cert_cols)}) FROM STDIN") as copy:
                for r in certs:
                    copy.write_row(r)
            with cur.copy(
                "COPY bmc_movement (id, kind, edition, first_serial, last_serial, quantity,"
                " is_range, from_holder, to_holder, scope_path, from_scope, state, operator,"
                " witness, reason, police_report_ref, newspaper_notice_ref, reference,"
                " create_time) FROM STDIN"
            ) as copy:
                for r in moves:
                    copy.write_row(r)
            conn.commit()
            log(f"loaded {min(certificates, start + 50_000):,} certificates")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("bmc_serial", "bmc_certificate", "bmc_movement"):
            conn.execute(f"VACUUM ANALYZE {name}")
    return {"serials": serials, "certificates": certificates,
            "seconds": time.perf_counter() - started}  # fmt: skip


def run(*, rows: int = 1_000_000, quick: bool = False) -> dict:
    from conftest import make_settings
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from mch.bmc_support import Bmc, certificate, make_bmc, police_tenant, service_account
    from mch.conftest import WOMAN, WOMAN2, WOMAN3, Mch, add_hospital, rid
    from rhip.api.identity.v1 import qualification_service_pb2 as qpb
    from rhip.api.identity.v1 import qualification_service_pb2_grpc
    from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
    from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
    from rhip.api.mch.v1 import mch_service_pb2_grpc
    from rhip.kit.pii import PiiVault
    from support.cells import build_world, start_cell
    from support.residents import register_request
    from support.residents import stub as resident_stub

    if quick:
        rows = min(rows, 50_000)
    samples = 300 if quick else 2000
    issues = 400 if quick else 2400
    results: dict = {"rows": rows}
    with (
        scratch_database() as identity_url,
        scratch_database() as archives_url,
        scratch_database() as mch_url,
    ):
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-bmc-"))
        settings = make_settings(
            tmp, identity_url, RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_MCH_DATABASE_URL=mch_url, RHIP_GRPC_WORKERS="8",
            RHIP_MCH_BMC_VERIFY_MISSES="100000",
            # The cell's own account, as a deployed cell has: with it mch links each
            # certificate to its child in identity through its outbox (certificates/links.py).
            RHIP_CELL_CLIENT_ID="cell-320000", RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
        )  # fmt: skip
        # identity, archives and mch: no emr, so no lifetime timeline is fed (as before the
        # cell had its own account here), the issue's own cost alone.
        running = start_cell(settings, services=("identity", "archives", "mch"))
        try:
            world = build_world(running)
            add_hospital(running, world)
            mch = Mch(
                running, world, mch_service_pb2_grpc.MchServiceStub(running.channel),
                qualification_service_pb2_grpc.QualificationServiceStub(running.channel),
            )  # fmt: skip
            for short, number, name in (("woman", WOMAN, "刘丽"), ("woman2", WOMAN2, "赵敏"),
                                        ("woman3", WOMAN3, "孙红")):  # fmt: skip
                reply = resident_stub(running.channel).RegisterResident(
                    register_request(number, name=name, region="320311"),
                    metadata=mch.md("qs-doctor"),
                )
                mch.residents[short] = reply.resident.name
            mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY)
            bmc: Bmc = make_bmc(mch)
            bmc.down_to_hospital("A320000001", 1)
            babies = _babies(mch, issues + 1)
            bmc.api.IssueBirthCertificate(
                spb.IssueBirthCertificateRequest(
                    certificate=certificate(babies.pop(), "A320000001"), request_id=rid()
                ),
                metadata=bmc.md("qs-hosp-doctor"),
            )
            dsn = _dsn(mch_url)
            vault = PiiVault(settings.secret_key or b"")
            with (
                psycopg.connect(dsn) as conn,
                conn.cursor(row_factory=psycopg.rows.dict_row) as cur,
            ):
                cur.execute("SELECT * FROM bmc_certificate WHERE number = 'A320000001'")
                template = cur.fetchone()
            assert template is not None
            template["_printed"] = vault.open(bytes(template["printed"]), "bmc:A320000001")
            template["_holder"] = bmc.hosp
            hosp_scope = template["scope_path"]
            scopes = {"hosp": hosp_scope, "county": "86/32/3203/320311", "city": "86/32/3203",
                      "province": "86/32"}  # fmt: skip
            log(f"loading {rows:,} certificates and {3 * rows:,} serials")
            results["loaded"] = load(dsn, rows, scopes, vault, template)
            log(f"loaded in {results['loaded']['seconds']:.0f} s")
            # COPY went around the service: the month counts are refilled from the rows, as
            # after the migration that creates them.
            from rhip.mch.stock import month_counts
            from rhip.mch.stock.store import holder_of

            mch_db = running.cell.part("mch").db
            started = time.perf_counter()
            with mch_db.transaction() as tx:
                month_counts.rebuild(tx, holder_of)
            results["rebuild_seconds"] = time.perf_counter() - started
            log(f"month counts rebuilt in {results['rebuild_seconds']:.0f} s")

            # A public-security tenant's account (role verifier): a hospital's may not verify.
            police = service_account(mch, police_tenant(mch), "公安核验")
            health = health_pb2_grpc.HealthStub(running.channel)
            api = bmc.api
            step = max(1, rows // (samples + 100))
            numbers = [f"Z{(i * step) % rows + 1:09d}" for i in range(samples + 100)]

            def echo(_: object) -> None:
                health.Check(health_pb2.HealthCheckRequest())

            def verify(number: str) -> None:
                got = api.VerifyBirthCertificate(
                    spb.VerifyBirthCertificateRequest(number=number, child_name=NAME),
                    metadata=police,
                )
                assert got.result == bpb.VERIFICATION_RESULT_AUTHENTIC

            month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
            admin = bmc.md("js-admin")

            def report(_: object) -> None:
                api.GetBirthCertificateReport(
                    spb.GetBirthCertificateReportRequest(parent="regions/320000", month=month),
                    metadata=admin,
                )

            # The province's month, old and new, in-process on the same data: the recount
            # from the month's register rows and every serial (what the report read before)
            # against the counts kept on write (what it reads now).
            cst = timezone(timedelta(hours=8))
            first = datetime.now(cst).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            after = (first + timedelta(days=32)).replace(day=1)

            def report_old(_: object) -> dict:
                with mch_db.read() as tx:
                    return month_counts.exact_month(tx, ["86/32"], first, after, holder_of)

            def report_new(_: object) -> dict:
                with mch_db.read() as tx:
                    return month_counts.month(tx, "86/32", first.date())

            assert report_old(0) == report_new(0), "the kept counts differ from the recount"
            rounds = 5 if quick else 15
            results["report_old"], results["report_new"] = [], []
            for _ in range(rounds):  # alternately, so both see the same machine
                results["report_old"] += timed([0], report_old)
                results["report_new"] += timed([0, 1], report_new)

            calls = list(range(samples))
            timed(calls[:50], echo)
            timed(numbers[:100], verify)
            results["echo"] = timed(calls, echo)
            results["verify"] = timed(numbers[100:], verify)
            timed([0, 1], report)
            results["report"] = timed(list(range(10 if quick else 30)), report)
            doctor = bmc.md("qs-hosp-doctor")
            first_free = rows + 1

            def issue(i: int) -> None:
                api.IssueBirthCertificate(
                    spb.IssueBirthCertificateRequest(
                        certificate=certificate(babies[i], f"Z{first_free + i:09d}"),
                        request_id=rid(),
                    ),
                    metadata=doctor,
                )

            for i in range(20):  # warm
                issue(i)
            _wait_linked(dsn)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(issue, range(20, issues)))
            seconds = time.perf_counter() - started
            # Until every certificate's child is linked in identity: where the link is
            # delivered after the answer (the outbox), the answers alone would flatter.
            _wait_linked(dsn)
            linked = time.perf_counter() - started
            results["issue"] = {"n": issues - 20, "seconds": seconds,
                                "per_second": (issues - 20) / seconds,
                                "linked_seconds": linked,
                                "linked_per_second": (issues - 20) / linked}  # fmt: skip
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


def _wait_linked(dsn: str, seconds: float = 120.0) -> None:
    """Until no certificate's link to its child waits in mch's outbox (none ever does where
    the link is made in the request)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            waiting = conn.execute(
                "SELECT count(*) FROM outbox_event WHERE stream = 'bmc.identity_link'"
                " AND state <> 'delivered'"
            ).fetchone()
            if not waiting or not waiting[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{waiting[0]} links still undelivered")
            time.sleep(0.01)


def _babies(mch, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` live-born babies at the Quanshan county hospital (deliveries of 6)."""
    from mch.bmc_support import deliver

    names: list[str] = []
    women = ("woman", "woman2", "woman3")
    i = 0
    while len(names) < count:
        names.extend(n.name for n in deliver(mch, 6, women[i % 3]).newborns)
        i += 1
    log(f"{len(names)} babies delivered")
    return names[:count]


def report(res: dict) -> str:
    rows = []
    for key, label, target in (
        ("echo", "bare call (grpc.health Check), transport floor", None),
        ("verify", "VerifyBirthCertificate by number + name, one in flight", VERIFY_TARGET_MS),
        ("report", "GetBirthCertificateReport of the province, this month", None),
        ("report_old", "the province's month recounted from the rows (before; in-process)", None),
        ("report_new", "the province's month from the kept counts (now; in-process)", None),
    ):
        values = res[key]
        p99 = percentile(values, 99)
        verdict = "" if target is None else ("met" if p99 < target else "missed")
        rows.append([label, len(values), f"{percentile(values, 50):.2f}", f"{p99:.2f}",
                     f"< {target:g}" if target else "", verdict])  # fmt: skip
    issue = res["issue"]
    loaded = res["loaded"]
    return (
        f"{loaded['certificates']:,} certificates and {loaded['serials']:,} serials in "
        f"PostgreSQL (COPY in {loaded['seconds']:.0f} s). Loopback gRPC with the real "
        "interceptor chain (token, Casbin, audit row per call).\n\n"
        + table(["call", "n", "p50 ms", "p99 ms", "target p99", ""], rows)
        + f"\n\nIssueBirthCertificate, 8 in flight: {issue['n']} in {issue['seconds']:.1f} s ="
        f" {issue['per_second']:.0f}/s (target ≥ {ISSUE_TARGET_PER_S:g}/s:"
        f" {'met' if issue['per_second'] >= ISSUE_TARGET_PER_S else 'missed'}); every child"
        f" linked in identity {issue['linked_seconds']:.1f} s after the first call ="
        f" {issue['linked_per_second']:.0f}/s."
    )


def summary(res: dict) -> list[str]:
    return [
        f"- Birth certificates, {res['rows']:,} on PostgreSQL: verify p50 "
        f"{percentile(res['verify'], 50):.2f} / p99 {percentile(res['verify'], 99):.2f} ms "
        f"(floor p50 {percentile(res['echo'], 50):.2f} ms), issue "
        f"{res['issue']['per_second']:.0f}/s at 8 in flight ("
        f"{res['issue']['linked_per_second']:.0f}/s with every child linked), province monthly report p50 "
        f"{percentile(res['report'], 50):.1f} ms (in-process: recount "
        f"{percentile(res['report_old'], 50):.1f} ms, kept counts "
        f"{percentile(res['report_new'], 50):.2f} ms)."
    ]


def main() -> None:
    data_bench_main(
        __doc__ or "", title="Birth-certificate benchmark", script="bench_bmc.py",
        results=RESULTS, what="certificates", default_rows=1_000_000, run=run,
        summary=summary, report=report,
    )  # fmt: skip


if __name__ == "__main__":
    main()
