"""Where one IssueBirthCertificate's time and CPU go (issue 15's throughput; not run by
`make bench`): ``python tests/perf/profile_bmc_issue.py [--issues 300] [--py-spy out.txt]``.

The same all-in-one cell and babies as ``bench_bmc.py`` (no bulk load: the tables' sizes do
not matter here), then:

* ``--sequential`` issues one at a time, each timed, with identity's calls as mch makes them
  timed around the client (``IdentityClient``: wall and this process's CPU meanwhile, so a
  link delivered by the outbox's thread counts with the issue it overlaps) and the statements
  each service's database ran counted (SQLAlchemy ``before_cursor_execute``: what goes on the
  driver connection in a pipeline, the audit rows and the end of an issue, is not counted);
* ``--issues`` at 8 in flight, timed until every child is linked in identity: throughput,
  this process's CPU (``time.process_time``) and the CPU of the PostgreSQL backends serving
  the three scratch databases (``/proc``), per issue; what those backends wait for, sampled
  from ``pg_stat_activity`` every 5 ms, and what the holder of the month counts' advisory lock
  is doing meanwhile; with ``--py-spy FILE`` the process is sampled too (collapsed stacks,
  then the heaviest frames by inclusive share are printed).

The cell has its own account (as deployed), so mch links certificates through its outbox
where the code does; main's code runs it too (``PYTHONPATH`` at its libs and services).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import percentile as _sorted_percentile  # noqa: E402
from _common import scratch_database  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return _sorted_percentile(sorted(values), q)


def _backend_cpu(dsn: str, databases: list[str]) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to ``databases``."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (databases,)
            )
        ]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


class WaitSampler:
    """Samples what the PostgreSQL backends of ``databases`` are doing every few ms (state and
    wait event, with the statement's first words for lock waits): where a request waits."""

    def __init__(self, dsn: str, databases: list[str]) -> None:
        import threading

        self.seen: collections.Counter[str] = collections.Counter()
        self.holder: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._dsn, self._databases = dsn, databases
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self._dsn, autocommit=True) as conn:
            while not self._stop.wait(0.005):
                self.samples += 1
                for state, kind, event, query in conn.execute(
                    "SELECT state, wait_event_type, wait_event, left(query, 60) FROM"
                    " pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                    (self._databases,),
                ):
                    if state == "idle":
                        continue
                    what = f"{state} {kind or 'CPU'}:{event or ''}"
                    if kind == "Lock":
                        what += " " + " ".join((query or "").split()[:4])
                    self.seen[what] += 1
                # What the holder of a contended advisory lock (the month counts') is doing.
                for state, kind, event, query in conn.execute(
                    "SELECT a.state, a.wait_event_type, a.wait_event, left(a.query, 50)"
                    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = ANY(%s)",
                    (self._databases,),
                ):
                    words = " ".join((query or "").split()[:3])
                    what = f"{state} {kind or 'CPU'}:{event or ''} {words}"
                    self.holder[what] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        print(f"\nPostgreSQL backends, {self.samples} samples: average busy backends by state")
        for what, n in self.seen.most_common(14):
            print(f"  {n / self.samples:5.2f}  {what}")
        print("the advisory lock's holder (the month counts of the institution), by state:")
        for what, n in self.holder.most_common(10):
            print(f"  {n / self.samples:5.2f}  {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=300, help="issues at 8 in flight")
    parser.add_argument("--sequential", type=int, default=60, help="issues one at a time")
    parser.add_argument("--py-spy", default="", help="sample the 8-in-flight run into FILE")
    parser.add_argument("--verify", type=int, default=0, help="then verifications, one by one")
    parser.add_argument("--switch-ms", type=float, default=0.0, help="sys.setswitchinterval")
    args = parser.parse_args()
    if args.switch_ms:
        sys.setswitchinterval(args.switch_ms / 1000)

    from bench_bmc import _babies, _dsn, _wait_linked
    from conftest import make_settings
    from mch.bmc_support import certificate, make_bmc
    from mch.conftest import WOMAN, WOMAN2, WOMAN3, Mch, rid
    from rhip.api.identity.v1 import qualification_service_pb2 as qpb
    from rhip.api.identity.v1 import qualification_service_pb2_grpc
    from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
    from rhip.api.mch.v1 import mch_service_pb2_grpc
    from rhip.mch.clients import IdentityClient
    from sqlalchemy import event
    from support.cells import build_world, start_cell
    from support.residents import register_request
    from support.residents import stub as resident_stub

    total = args.sequential + args.issues + 20
    with (
        scratch_database() as identity_url,
        scratch_database() as archives_url,
        scratch_database() as mch_url,
    ):
        tmp = Path(tempfile.mkdtemp(prefix="rhip-profile-bmc-"))
        settings = make_settings(
            tmp, identity_url, RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_MCH_DATABASE_URL=mch_url, RHIP_GRPC_WORKERS="8",
            RHIP_CELL_CLIENT_ID="cell-320000", RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
        )  # fmt: skip
        # identity, archives and mch: no emr, so no lifetime timeline is fed (as before the
        # cell had its own account here), the issue's own cost alone.
        running = start_cell(settings, services=("identity", "archives", "mch"))
        try:
            world = build_world(running)
            from mch.conftest import add_hospital

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
            bmc = make_bmc(mch)
            bmc.down_to_hospital("Z000000001", total)
            babies = _babies(mch, total)
            doctor = bmc.md("qs-hosp-doctor")

            def issue(i: int) -> None:
                bmc.api.IssueBirthCertificate(
                    spb.IssueBirthCertificateRequest(
                        certificate=certificate(babies[i], f"Z{i + 1:09d}"), request_id=rid()
                    ),
                    metadata=doctor,
                )

            # Statements per service database.
            counts: collections.Counter[str] = collections.Counter()
            walls: list[float] = []
            for service in ("identity", "archives", "mch"):
                engine = running.cell.part(service).db.engine

                def count(_c, _cur, statement, *_: object, _service: str = service) -> None:
                    counts[_service] += 1
                    if os.environ.get("PROFILE_SQL") and len(walls) == 1:
                        print(f"    {_service}: {' '.join(statement.split())[:150]}")

                event.listen(engine, "before_cursor_execute", count)
            # identity's calls as mch makes them.
            spans: collections.defaultdict[str, list[float]] = collections.defaultdict(list)
            cpus: collections.defaultdict[str, list[float]] = collections.defaultdict(list)
            for method in ("tenant", "qualifications", "resident", "link_birth_certificate"):
                original = getattr(IdentityClient, method)

                def timed(self, *a, _original=original, _method=method, **k):  # type: ignore
                    started, cpu = time.perf_counter(), time.process_time()
                    try:
                        return _original(self, *a, **k)
                    finally:
                        spans[_method].append((time.perf_counter() - started) * 1000)
                        cpus[_method].append((time.process_time() - cpu) * 1000)

                setattr(IdentityClient, method, timed)

            for i in range(20):  # warm
                issue(i)
            spans.clear()
            counts.clear()
            cpus.clear()
            walls.clear()
            cpu_before = time.process_time()
            for i in range(20, 20 + args.sequential):
                started = time.perf_counter()
                issue(i)
                walls.append((time.perf_counter() - started) * 1000)
            n = args.sequential
            cpu = (time.process_time() - cpu_before) / n * 1000
            print(f"\nsequential, {n} issues: p50 {percentile(walls, 50):.2f} ms, "
                  f"mean {sum(walls) / n:.2f} ms, this process's CPU {cpu:.2f} ms per issue")  # fmt: skip
            for method, values in sorted(spans.items()):
                c = cpus[method]
                print(f"  identity {method}: {len(values) / n:.2f} per issue, "
                      f"p50 {percentile(values, 50):.2f} ms, mean {sum(values) / len(values):.2f};"
                      f" CPU mean {sum(c) / len(c):.2f} ms")  # fmt: skip
            for service, c in sorted(counts.items()):
                print(f"  statements {service}: {c / n:.1f} per issue")

            if args.verify:
                from mch.bmc_support import police_tenant, service_account
                from rhip.kit.audit import AuditEvent  # noqa: F401  (the same imports both ways)

                police = service_account(mch, police_tenant(mch), "公安核验")
                number = f"Z{20:09d}"
                request = spb.VerifyBirthCertificateRequest(number=number, child_name="王小明")
                times = []
                for _ in range(args.verify):
                    started = time.perf_counter()
                    bmc.api.VerifyBirthCertificate(request, metadata=police)
                    times.append((time.perf_counter() - started) * 1000)
                print(f"\nverify, {args.verify} one by one: p50 {percentile(times, 50):.2f} ms,"
                      f" p90 {percentile(times, 90):.2f} ms")  # fmt: skip
            dsn = _dsn(mch_url)
            names = [u.rsplit("/", 1)[1] for u in (identity_url, archives_url, mch_url)]
            start = 20 + args.sequential
            spy = None
            if args.py_spy:
                py_spy = str(Path(sys.executable).parent / "py-spy")
                command = [py_spy, "record", "--pid", str(os.getpid()), "--format", "raw",
                           "--rate", "100", "--gil", "-o", args.py_spy]  # fmt: skip
                spy = subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                time.sleep(1.0)
            counts.clear()
            waits = WaitSampler(dsn, names)
            pg_before = _backend_cpu(dsn, names)
            cpu_before = time.process_time()
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(issue, range(start, start + args.issues)))
            answered = time.perf_counter() - started
            _wait_linked(dsn)  # the links delivered after the answers, where they are
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_before
            pg = _backend_cpu(dsn, names) - pg_before
            k = args.issues
            print(f"\n8 in flight, {k} issues answered in {answered:.2f} s = {k / answered:.0f}/s,"
                  f" every child linked after {seconds:.2f} s = {k / seconds:.0f}/s; per issue:"
                  f" wall {seconds / k * 1000:.2f} ms, this process's CPU {cpu / k * 1000:.2f} ms,"
                  f" PostgreSQL backends' CPU {pg / k * 1000:.2f} ms")  # fmt: skip
            for service, c in sorted(counts.items()):
                print(f"  statements {service}: {c / k:.1f} per issue")
            waits.stop()
            if spy is not None:
                spy.send_signal(2)
                spy.wait(30)
                _heaviest(args.py_spy)
        finally:
            running.channel.close()
            running.cell.stop(0)


def _heaviest(path: str, top: int = 45) -> None:
    """Inclusive and self shares of the frames in py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")[1:]  # the thread first
        if not frames:
            continue
        samples += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    print(f"\npy-spy: {samples} samples (active threads)")
    print("inclusive:")
    for frame, n in inclusive.most_common(top):
        print(f"  {100 * n / samples:5.1f} %  {frame}")
    print("self:")
    for frame, n in own.most_common(25):
        print(f"  {100 * n / samples:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
