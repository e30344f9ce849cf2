"""Faults with real processes (issue 12): the private PostgreSQL of the Jiangsu cell restarted
and paused, a cell and the gateway killed with SIGKILL and restarted, a stalled cell behind
the gateway, each while a client writes through the gateway (CreateTenant, 8 in flight, 5 s
deadlines, request ids, retries with the same request id).

Every test asserts: no acknowledged write lost, none duplicated, retries idempotent, every
failed call a clean gRPC status within its deadline (never a hang), service back within
10 s. The figures of each run are printed (``pytest -s``)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc, tenant_pb2
from rhip.kit.errors import from_rpc_error

from faults.conftest import PG_CELL, SQLITE_CELL, FaultPlatform, Process
from faults.load import REGION, WriteLoad
from faults.observe import HealthPoller, outcome_in

CLEAN = {"OK", "UNAVAILABLE", "DEADLINE_EXCEEDED"}  # what a fault may cost a call
BACK_WITHIN = 10.0  # seconds from the end of a fault until writes are acknowledged again


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stub(
    platform: FaultPlatform,
) -> tuple[grpc.Channel, identity_service_pb2_grpc.IdentityServiceStub]:
    channel = grpc.insecure_channel(platform.gateway.address)
    return channel, identity_service_pb2_grpc.IdentityServiceStub(channel)


def _verify(platform: FaultPlatform, load: WriteLoad) -> dict[str, int]:
    """Read back every acknowledged write, replay the retried ones, and count each write's
    tenants: the figures of the run."""
    assert not load.abandoned, f"writes never acknowledged: {load.abandoned[:5]}"
    assert load.longest() <= load.deadline + 1.0, f"a call hung for {load.longest():.1f} s"
    codes = load.codes()
    assert set(codes) <= CLEAN, f"unclean failures: {codes}"
    md = [("authorization", f"Bearer {platform.token}")]
    channel, stub = _stub(platform)
    try:

        def read_back(item: tuple[str, str]) -> bool:
            request_id, name = item
            tenant = stub.GetTenant(pb.GetTenantRequest(name=name), metadata=md, timeout=10)
            return tenant.display_name == load.display_names[request_id]

        with ThreadPoolExecutor(4) as pool:
            found = list(pool.map(read_back, load.acknowledged.items()))
        lost = found.count(False)
        # Replays with the same request id (what a client does when it never heard back)
        # answer the first write's tenant, and write nothing more.
        retried = {a.request_id for a in load.attempts if a.code.name != "OK"}
        retried &= set(load.acknowledged)
        for request_id in sorted(retried)[:50]:
            replay = stub.CreateTenant(
                pb.CreateTenantRequest(
                    tenant=tenant_pb2.Tenant(
                        display_name=load.display_names[request_id],
                        type=tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL,
                        region_code=REGION,
                    ),
                    request_id=request_id,
                ),
                metadata=md,
                timeout=10,
            )
            assert replay.name == load.acknowledged[request_id]
        stored: Counter[str] = Counter()
        token = ""
        while True:
            page = stub.ListTenants(
                pb.ListTenantsRequest(parent=f"regions/{REGION}", page_size=1000, page_token=token),
                metadata=md,
                timeout=10,
            )
            stored.update(t.display_name for t in page.tenants)
            token = page.next_page_token
            if not token:
                break
    finally:
        channel.close()
    mine = {n: c for n, c in stored.items() if n in set(load.display_names.values())}
    duplicated = sum(c - 1 for c in mine.values())
    figures = {
        "acknowledged": len(load.acknowledged),
        "lost": lost,
        "duplicated": duplicated,
        "retried": len(retried),
        **{f"calls_{code}": n for code, n in codes.items()},
    }
    assert lost == 0 and duplicated == 0, figures
    # nothing stored that was not acknowledged (every write was acknowledged in the end)
    assert set(mine) == {load.display_names[r] for r in load.acknowledged}, figures
    return figures


# The cell's consumers of identity's resident change feed (PeriodicWorker names): archives'
# resident events, emr's timeline merges. They run only in a cell with its own account.
FEED_CONSUMERS = ("resident-events", "emr-timeline-merges")


def _feed_consumers_work_again(process: Process, since: int) -> list[str]:
    """Each feed consumer that failed a pass after log offset ``since`` works again within
    BACK_WITHIN; the names of those that had failed (reported in the figures). The lines are
    rhip.kit.workers': "{name}: pass failed (…)", then "{name}: working again after …" once a
    pass succeeds. Each consumer must be running at all, or there is nothing to check."""
    text = process.log_text()
    for name in FEED_CONSUMERS:
        assert f"{name}: started" in text, f"{name} is not running in {process.name}"
    failed = [n for n in FEED_CONSUMERS if f"{n}: pass failed" in text[since:]]
    for name in failed:

        def again(name: str = name) -> bool:
            text = process.log_text()  # after its last failure: a later pass succeeded
            return f"{name}: working again after" in text[text.rfind(f"{name}: pass failed") :]

        _wait_for(again, BACK_WITHIN, f"{name} working again")
    return failed


def _report(name: str, figures: dict[str, object]) -> None:
    print(f"\n[faults] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def test_postgres_restart_costs_no_request_once_it_answers(platform: FaultPlatform) -> None:
    cell_log_start = len(platform.cell.log_text())
    load = WriteLoad(platform.gateway.address, platform.token, label="restart").start()
    try:
        _wait_for(lambda: len(load.acknowledged) >= 30, what="writes before the restart")
        platform.postgres.restart()  # fast shutdown: every backend is told AdminShutdown
        back = time.monotonic()
        _wait_for(lambda: load.first_ok_after(back) is not None, BACK_WITHIN, "writes again")
        time.sleep(1.5)
    finally:
        load.stop()
    recovery = load.first_ok_after(back)
    figures = _verify(platform, load)
    # Once PostgreSQL accepts connections again, no call fails on a connection from before
    # the restart (each used to fail one request with "database unavailable: AdminShutdown").
    after = load.codes(since=back)
    # Background work resumes: a feed consumer's pass that met the restart (its connections
    # ended, identity UNAVAILABLE) succeeds again.
    failed = _feed_consumers_work_again(platform.cell, cell_log_start)
    _report(
        "postgres restart",
        {**figures, "recovery_s": f"{recovery:.2f}", "after": dict(after), "feed_failed": failed},
    )
    assert set(after) == {"OK"}, after
    # And when it restarts while the cell is idle (every pooled connection from before, none
    # in use), the first calls after it find none of them: 12 reads and 12 writes, all OK.
    platform.postgres.restart()
    codes = _reads_and_writes(platform, list(load.acknowledged.values())[:12])
    assert set(codes) == {"OK"}, Counter(codes)


def _reads_and_writes(platform: FaultPlatform, names: list[str]) -> list[str]:
    md = [("authorization", f"Bearer {platform.token}")]
    channel, stub = _stub(platform)
    with channel, ThreadPoolExecutor(4) as pool:

        def read(name: str) -> str:
            return _code(
                lambda: stub.GetTenant(pb.GetTenantRequest(name=name), metadata=md, timeout=5)
            )

        def write(i: int) -> str:
            tenant = tenant_pb2.Tenant(
                display_name=f"重启后卫生院{i}",
                region_code=REGION,
                type=tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL,
            )
            request = pb.CreateTenantRequest(tenant=tenant)
            return _code(lambda: stub.CreateTenant(request, metadata=md, timeout=5))

        return list(pool.map(read, names)) + list(pool.map(write, range(len(names))))


def _code(call: Callable[[], object]) -> str:
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return f"{error.code().name} {error.details()}"


def test_postgres_pause_leaves_health_answering_and_is_not_silent(platform: FaultPlatform) -> None:
    cell_log_start = len(platform.cell.log_text())
    gateway_log_start = len(platform.gateway.log_text())
    poller = HealthPoller({"cell": platform.cell.health, "gateway": platform.gateway.health})
    poller.start()
    load = WriteLoad(platform.gateway.address, platform.token, label="pause").start()
    try:
        _wait_for(lambda: len(load.acknowledged) >= 30, what="writes before the pause")
        paused = time.monotonic()
        paused_at = datetime.now() - timedelta(seconds=1)  # the cell logs local time
        platform.postgres.pause()
        try:
            time.sleep(2.5)
            # The other cell still answers through the gateway while this one stalls.
            with grpc.insecure_channel(platform.gateway.address) as channel:
                identity_service_pb2_grpc.IdentityServiceStub(channel).GetJwks(
                    pb.GetJwksRequest(), metadata=[("x-rhip-region", SQLITE_CELL)], timeout=2
                )
            time.sleep(max(0.0, paused + 5.0 - time.monotonic()))
        finally:
            platform.postgres.resume()
        resumed = time.monotonic()
        _wait_for(lambda: load.first_ok_after(resumed) is not None, BACK_WITHIN, "writes again")
        _wait_for(
            lambda: "SERVING" in poller.answers("cell", "", start=resumed),
            BACK_WITHIN,
            "the cell ready again",
        )
        time.sleep(1.0)
    finally:
        load.stop()
        poller.stop()
    recovery = load.first_ok_after(resumed)
    figures = _verify(platform, load)
    # Health answered throughout, from its own thread pool: readiness said the truth
    # (NOT_SERVING while the database did not answer), liveness never wavered.
    assert poller.answers("gateway", "") == {"SERVING"}
    assert poller.answers("gateway", "liveness") == {"SERVING"}
    assert poller.answers("cell", "liveness") == {"SERVING"}
    assert poller.answers("cell", "") <= {"SERVING", "NOT_SERVING"}
    assert "NOT_SERVING" in poller.answers("cell", "", start=paused, end=resumed)
    # Not silent: a WARNING when the database stopped answering and when it answered again.
    _wait_for(
        lambda: "answers again after" in platform.cell.log_text()[cell_log_start:],
        BACK_WITHIN,
        "the WARNING that the database answers again",
    )
    cell_log = platform.cell.log_text()[cell_log_start:]
    # Found by the time on the line rather than by the offset alone: a log read mid-write
    # (errors="replace") can shift character offsets, and once the line fell before them.
    assert any(
        "WARNING rhip.kit.dbwatch" in line
        and "is not answering" in line
        and line[:19] >= paused_at.strftime("%Y-%m-%d %H:%M:%S")
        for line in platform.cell.log_text().splitlines()
    ), cell_log[-2000:]
    # Background work resumes: a feed consumer's pass that failed meanwhile succeeds again
    # (a pass mostly waits out a pause, as there is no statement timeout, rather than fail).
    failed = _feed_consumers_work_again(platform.cell, cell_log_start)
    # The gateway's and the cell's logs tell the same story of every call the client saw
    # time out: never a plain "OK" at the cell (done with time to spare for its answer) unless
    # the gateway too logged it done at or after the deadline.
    gateway_log = platform.gateway.log_text()[gateway_log_start:]
    timed_out = [a for a in load.attempts if a.code.name == "DEADLINE_EXCEEDED"]
    late_commits = 0
    for attempt in timed_out:
        at_cell = outcome_in(cell_log, attempt.call_id)
        at_gateway = outcome_in(gateway_log, attempt.call_id)
        assert at_gateway, f"gateway log says nothing of {attempt.call_id}"
        if "OK" in at_cell:
            assert "OK_LATE" in at_gateway, (attempt.call_id, at_cell, at_gateway)
        late_commits += "OK_LATE" in at_cell
    _report(
        "postgres pause 5 s",
        {
            **figures,
            "recovery_s": f"{recovery:.2f}",
            "cell_ready": sorted(poller.answers("cell", "")),
            "health_checks": len(poller.results),
            "timed_out": len(timed_out),
            "committed_after_deadline": late_commits,
            "feed_failed": failed,
        },
    )


def test_a_stalled_cell_keeps_only_its_share_of_the_gateway(platform: FaultPlatform) -> None:
    """Shandong's process stopped (SIGSTOP): 10 calls for it on a gateway of 10 workers. Its
    bulkhead (8) lets 8 wait and refuses 2 at once; Jiangsu still answers."""
    stalled = platform.processes[SQLITE_CELL]
    assert stalled.popen is not None
    results: list[tuple[str, str, float]] = []

    def call_stalled() -> None:
        started = time.monotonic()
        with grpc.insecure_channel(platform.gateway.address) as channel:
            try:
                identity_service_pb2_grpc.IdentityServiceStub(channel).GetJwks(
                    pb.GetJwksRequest(), metadata=[("x-rhip-region", SQLITE_CELL)], timeout=3
                )
                results.append(("OK", "", time.monotonic() - started))
            except grpc.RpcError as error:
                reason = from_rpc_error(error).reason
                results.append((error.code().name, reason, time.monotonic() - started))

    os.kill(stalled.popen.pid, signal.SIGSTOP)
    try:
        threads = [threading.Thread(target=call_stalled) for _ in range(10)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: len(results) >= 2, 2.5, "the calls beyond the bulkhead refused")
        with grpc.insecure_channel(platform.gateway.address) as channel:
            identity_service_pb2_grpc.IdentityServiceStub(channel).GetJwks(
                pb.GetJwksRequest(), metadata=[("x-rhip-region", PG_CELL)], timeout=2
            )
        for thread in threads:
            thread.join(timeout=10)
    finally:
        os.kill(stalled.popen.pid, signal.SIGCONT)
    refused = [r for r in results if r[0] == "UNAVAILABLE"]
    assert Counter(r[0] for r in results) == {"DEADLINE_EXCEEDED": 8, "UNAVAILABLE": 2}
    assert {r[1] for r in refused} == {"CELL_BUSY"} and max(r[2] for r in refused) < 1.0
    stalled.wait_serving(BACK_WITHIN)


def _kill_and_restart(platform: FaultPlatform, name: str, label: str) -> None:
    process = platform.processes[name]
    load = WriteLoad(platform.gateway.address, platform.token, label=label).start()
    try:
        _wait_for(lambda: len(load.acknowledged) >= 30, what="writes before the kill")
        killed = time.monotonic()
        process.kill()
        process.start()
        process.wait_serving()
        _wait_for(lambda: load.first_ok_after(killed) is not None, BACK_WITHIN, "writes again")
        time.sleep(1.0)
    finally:
        load.stop()
    recovery = load.first_ok_after(killed)
    figures = _verify(platform, load)
    _report(f"{label} SIGKILL", {**figures, "recovery_s": f"{recovery:.2f}"})
    assert recovery is not None and recovery < BACK_WITHIN


def test_cell_killed_and_restarted_under_write_load(platform: FaultPlatform) -> None:
    _kill_and_restart(platform, PG_CELL, "cell")


def test_gateway_killed_and_restarted_under_write_load(platform: FaultPlatform) -> None:
    _kill_and_restart(platform, "gateway", "gateway")
