"""Prometheus metrics (rhip.kit.metrics): a real cell and a real gateway on loopback, each with
its endpoint on a port of its own; calls through the gateway move the counters and histograms
of both, labelled by method and code and by nothing personal; a scrape answers while every
worker of the cell waits on a locked database."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.gateway.server import Gateway, build_gateway
from rhip.kit.config import Settings
from rhip.kit.routing import RoutingTable
from sqlalchemy.engine import make_url
from support import residents
from support.cells import PASSWORD, World, build_world, start_cell

IDENTITY = "rhip.api.identity.v1.IdentityService"
RESIDENTS = "rhip.api.identity.v1.ResidentService"
# Every label any rhip metric carries: methods, codes, pools, servers, cells; never a
# tenant, subject, resident, request id or name.
ALLOWED_LABELS = {
    "grpc_service",
    "grpc_method",
    "grpc_code",
    "le",
    "server",
    "service",
    "pool",
    "cell",
}
RESIDENT_NAME = "王测试"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metered(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_listen="127.0.0.1:0")


@pytest.fixture
def world(metered: Settings) -> Iterator[World]:
    running = start_cell(metered)
    yield build_world(running)
    running.channel.close()
    running.cell.stop(0)


@pytest.fixture
def gateway(metered: Settings, tmp_path: Path, world: World) -> Iterator[Gateway]:
    routes = tmp_path / "routes.json"
    address = f"127.0.0.1:{world.running.cell.port}"
    routes.write_text(
        json.dumps({"cells": [{"name": "jiangsu", "regions": ["320000"], "address": address}]})
    )
    gateway = build_gateway(metered, RoutingTable.from_file(routes))
    gateway.start("127.0.0.1:0")
    yield gateway
    gateway.stop(0)


def scrape(port: int) -> tuple[str, Samples]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def rpc(samples: Samples, service: str, method: str, code: str, name: str) -> float:
    return value(samples, name, grpc_service=service, grpc_method=method, grpc_code=code)


def test_calls_through_the_gateway_move_both_processes_counters(
    world: World, gateway: Gateway
) -> None:
    cell = world.running.cell
    channel = grpc.insecure_channel(f"127.0.0.1:{gateway.port}")
    identity = identity_service_pb2_grpc.IdentityServiceStub(channel)
    _, gateway_before = scrape(gateway.metrics.port)
    _, cell_before = scrape(cell.metrics.port)

    def login(username: str) -> pb.LoginResponse:
        return identity.Login(
            pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=PASSWORD)),
            metadata=[("x-rhip-region", "320000")],
        )

    admin = [("authorization", f"Bearer {login('qs-admin').access_token}")]
    doctor = login("qs-doctor")
    md = [("authorization", f"Bearer {doctor.access_token}")]
    identity.ListTenants(pb.ListTenantsRequest(parent="regions/320311"), metadata=admin)
    identity.ListTenants(pb.ListTenantsRequest(parent="regions/320311"), metadata=admin)
    with pytest.raises(grpc.RpcError) as refused:
        identity.ListTenants(
            pb.ListTenantsRequest(parent="regions/320311", page_size=-1), metadata=admin
        )
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    number = residents.XUZHOU_MAN
    stub = residents.stub(channel)
    registered = stub.RegisterResident(
        residents.register_request(number, name=RESIDENT_NAME), metadata=md
    )
    stub.GetResident(residents.pb.GetResidentRequest(name=registered.resident.name), metadata=md)

    gateway_text, gateway_after = scrape(gateway.metrics.port)
    cell_text, cell_after = scrape(cell.metrics.port)
    for before, after in ((gateway_before, gateway_after), (cell_before, cell_after)):
        moved = {
            (service, method, code): rpc(after, service, method, code, name)
            - rpc(before, service, method, code, name)
            for service, method, code in (
                (IDENTITY, "Login", "OK"),
                (IDENTITY, "ListTenants", "OK"),
                (IDENTITY, "ListTenants", "INVALID_ARGUMENT"),
                (RESIDENTS, "RegisterResident", "OK"),
                (RESIDENTS, "GetResident", "OK"),
            )
            for name in ("grpc_server_handled_total",)
        }
        assert moved == {
            (IDENTITY, "Login", "OK"): 2,
            (IDENTITY, "ListTenants", "OK"): 2,
            (IDENTITY, "ListTenants", "INVALID_ARGUMENT"): 1,
            (RESIDENTS, "RegisterResident", "OK"): 1,
            (RESIDENTS, "GetResident", "OK"): 1,
        }
        # The histogram counts the same calls; its buckets are cumulative up to +Inf.
        labels = {"grpc_service": IDENTITY, "grpc_method": "ListTenants", "grpc_code": "OK"}
        count = value(after, "grpc_server_handling_seconds_count", **labels) - value(
            before, "grpc_server_handling_seconds_count", **labels
        )
        assert count == 2
        assert value(after, "grpc_server_handling_seconds_bucket", **labels, le="+Inf") == value(
            after, "grpc_server_handling_seconds_count", **labels
        )
        assert value(after, "grpc_server_handling_seconds_sum", **labels) > 0
        assert value(after, "rhip_grpc_workers", server="public") == cell.settings.grpc_workers
        assert value(after, "process_resident_memory_bytes") > 0

    # The cell: the audited read went through one group commit at least; pools and the
    # database watch are reported per service.
    assert (
        value(cell_after, "rhip_audit_flush_events_sum", service="identity")
        >= value(cell_before, "rhip_audit_flush_events_sum", service="identity") + 1
    )
    assert ("rhip_audit_queue_depth", frozenset({("service", "identity")})) in cell_after
    for service in ("identity", "archives"):
        assert value(cell_after, "rhip_db_pool_size", service=service, pool="write") > 0
        assert value(cell_after, "rhip_db_available", service=service) == 1
    assert value(cell_after, "rhip_grpc_workers", server="internal") == cell.settings.grpc_workers
    # The gateway: its bulkhead towards the one cell (nothing in flight now).
    assert value(gateway_after, "rhip_gateway_cell_inflight", cell="jiangsu") == 0
    assert value(gateway_after, "rhip_gateway_cell_inflight_limit") >= 1

    # Nothing personal in any label or anywhere in the text.
    personal = [
        number,
        number[:17],
        RESIDENT_NAME,
        registered.resident.name,
        registered.resident.resident_id,
        doctor.access_token[:40],
    ]
    personal += [*world.users.values(), *world.tenants.values(), "qs-doctor"]
    for text, samples in ((gateway_text, gateway_after), (cell_text, cell_after)):
        for item in personal:
            assert item not in text
        for _name, labels in samples:
            assert {key for key, _ in labels} <= ALLOWED_LABELS
            for key, label in labels:
                assert not re.search(r"\d{6,}", label), (key, label)


def hold_audit_lock(url: str) -> Callable[[], None]:
    """Take the lock the audit writer's append needs (SQLite: the database's write lock;
    PostgreSQL: the audit head's table); returns what releases it."""
    if url.startswith("sqlite:///"):
        blocker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        blocker = psycopg.connect(dsn)  # type: ignore[assignment]
        blocker.execute("LOCK TABLE audit_head IN EXCLUSIVE MODE")  # plain reads still run

    def release() -> None:
        blocker.rollback()
        blocker.close()

    return release


def test_a_scrape_answers_while_every_worker_waits_on_the_database(
    metered: Settings, world: World
) -> None:
    """Audited reads wait for their audit row; with the database's write lock held elsewhere,
    every worker of the cell waits, and the endpoint still answers and says so."""
    cell = world.running.cell
    md = world.running.md("qs-doctor")
    stub = residents.stub(world.running.channel)
    registered = stub.RegisterResident(
        residents.register_request(residents.XUZHOU_MAN), metadata=md
    )

    release = hold_audit_lock(metered.database_url("identity"))
    workers = cell.settings.grpc_workers
    outcomes: list[object] = []

    def read() -> None:
        try:
            stub.GetResident(
                residents.pb.GetResidentRequest(name=registered.resident.name),
                metadata=md,
                timeout=30,
            )
            outcomes.append("OK")
        except grpc.RpcError as error:
            outcomes.append(error.code())

    readers = [threading.Thread(target=read) for _ in range(workers)]
    try:
        for thread in readers:
            thread.start()
        busy = 0.0
        for _ in range(200):  # until every worker holds a waiting read
            _, samples = scrape(cell.metrics.port)
            busy = value(samples, "rhip_grpc_workers_busy", server="public")
            if busy == workers:
                break
            threading.Event().wait(0.05)
        assert busy == workers
    finally:
        release()
        for thread in readers:
            thread.join(30)
    # Each read either waited for its row or gave up cleanly; none answered unaudited.
    assert set(outcomes) <= {"OK", grpc.StatusCode.UNAVAILABLE}
    assert len(outcomes) == workers
