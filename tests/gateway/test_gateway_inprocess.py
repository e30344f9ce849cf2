"""Gateway and a cell in one process (so both span exporters can be read): one trace id
across the hop, request ids, reflection (v1alpha and v1), health (Check and List), and
routing-table reloads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.gateway.server import Gateway, build_gateway
from rhip.kit.apis import cell_internal_methods, service_names
from rhip.kit.config import Settings
from rhip.kit.routing import RoutingTable
from rhip.kit.telemetry import build_tracer_provider
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.errors import expect_error


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    running = start_cell(settings)
    yield build_world(running)
    running.channel.close()
    running.cell.stop(0)


@pytest.fixture
def routes_file(tmp_path: Path, world: World) -> Path:
    path = tmp_path / "routes.json"
    cell = {
        "name": "jiangsu",
        "regions": ["320000"],
        "address": f"127.0.0.1:{world.running.cell.port}",
    }
    path.write_text(json.dumps({"cells": [cell]}))
    return path


@pytest.fixture
def gateway(
    settings: Settings, routes_file: Path
) -> Iterator[tuple[Gateway, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    gateway = build_gateway(
        settings,
        RoutingTable.from_file(routes_file),
        tracer_provider=build_tracer_provider("memory", "gateway", memory=spans),
    )
    gateway.start("127.0.0.1:0")
    yield gateway, spans
    gateway.stop(0)


def _stub(gateway: Gateway) -> identity_service_pb2_grpc.IdentityServiceStub:
    return identity_service_pb2_grpc.IdentityServiceStub(
        grpc.insecure_channel(f"127.0.0.1:{gateway.port}")
    )


def _login(
    stub: identity_service_pb2_grpc.IdentityServiceStub, username: str
) -> list[tuple[str, str]]:
    reply = stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=PASSWORD)),
        metadata=[("x-rhip-region", "320000")],
    )
    return [("authorization", f"Bearer {reply.access_token}")]


def test_one_trace_id_across_gateway_and_cell(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    proxy, gateway_spans = gateway
    stub = _stub(proxy)
    metadata = _login(stub, "xz-admin")
    cell_spans: InMemorySpanExporter = world.running.spans
    cell_spans.clear()
    gateway_spans.clear()
    _, call = stub.ListTenants.with_call(
        pb.ListTenantsRequest(parent="regions/320300"), metadata=metadata
    )
    request_id = dict(call.trailing_metadata())["x-request-id"]
    outer = [s for s in gateway_spans.get_finished_spans() if s.name.endswith("/ListTenants")]
    inner = [s for s in cell_spans.get_finished_spans() if s.name.endswith("/ListTenants")]
    assert len(outer) == 1 and len(inner) == 1
    assert inner[0].context.trace_id == outer[0].context.trace_id
    assert inner[0].parent.span_id == outer[0].context.span_id  # type: ignore[union-attr]
    assert len(request_id) == 32


def test_errors_from_the_cell_pass_through_with_details(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    stub = _stub(gateway[0])
    expect_error(
        lambda: stub.ListTenants(
            pb.ListTenantsRequest(parent="regions/320300", page_size=-1),
            metadata=_login(stub, "xz-admin"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_SIZE_NEGATIVE",
        "page_size",
    )
    expect_error(
        lambda: stub.Login(
            pb.LoginRequest(
                password=pb.PasswordCredentials(username="xz-admin", password="wrong-Passw0rd")
            ),
            metadata=[("x-rhip-region", "320300")],
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )


def test_reflection_lists_the_forwarded_services(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{gateway[0].port}")
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(
        stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    )
    names = {s.name for s in replies[0].list_services_response.service}
    assert "rhip.api.identity.v1.IdentityService" in names and "grpc.health.v1.Health" in names


BUF = shutil.which("buf", path=str(Path(sys.executable).parent)) or shutil.which("buf")
SERVING = health_pb2.HealthCheckResponse.SERVING


def _addresses(world: World, gateway: Gateway) -> dict[str, str]:
    return {
        "cell": f"127.0.0.1:{world.running.cell.port}",
        "gateway": f"127.0.0.1:{gateway.port}",
    }


def test_health_list_answers_every_service_on_the_cell_and_the_gateway(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    expected = {
        "cell": {"", "rhip.api.identity.v1.IdentityService"},
        "gateway": {"", *service_names()},  # every service it forwards
    }
    for where, address in _addresses(world, gateway[0]).items():
        with grpc.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            listed = health.List(health_pb2.HealthListRequest(), timeout=5)
            statuses = {name: reply.status for name, reply in listed.statuses.items()}
            assert expected[where] <= set(statuses), (where, sorted(statuses))
            assert all(status == SERVING for status in statuses.values()), (where, statuses)
            # List and Check tell the same.
            for name in statuses:
                checked = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
                assert checked.status == statuses[name], (where, name)


def _buf_curl(*arguments: str) -> str:
    assert BUF is not None
    command = [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(BUF is None, reason="buf (buf-bin) is not installed")
def test_reflection_v1_serves_a_real_client_on_the_cell_and_the_gateway(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    """``buf curl`` speaks reflection v1 only (``--reflect-protocol grpc-v1``): it lists
    every method (which describes every listed service, the reflection services included)
    and calls one through the descriptors it downloaded."""
    login = json.dumps({"password": {"username": "xz-admin", "password": PASSWORD}})
    for where, address in _addresses(world, gateway[0]).items():
        methods = _buf_curl("--reflect-protocol", "grpc-v1", "--list-methods", f"http://{address}")
        listed = set(methods.split())
        assert "rhip.api.identity.v1.IdentityService/Login" in listed, where
        assert "grpc.health.v1.Health/List" in listed, where
        assert "grpc.reflection.v1.ServerReflection/ServerReflectionInfo" in listed, where
        assert "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" in listed, where
        answer = _buf_curl(
            "--reflect-protocol", "grpc-v1", "-H", "x-rhip-region: 320300", "-d", login,
            f"http://{address}/rhip.api.identity.v1.IdentityService/Login",
        )  # fmt: skip
        assert json.loads(answer)["principal"]["regionCode"] == "320300", where


def test_routing_table_reloads_without_restart(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter], routes_file: Path
) -> None:
    proxy = gateway[0]
    stub = _stub(proxy)
    login = pb.LoginRequest(password=pb.PasswordCredentials(username="xz-admin", password=PASSWORD))
    expect_error(
        lambda: stub.Login(login, metadata=[("x-rhip-region", "370400")]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REGION_NOT_SERVED",
    )
    data = json.loads(routes_file.read_text())
    data["cells"][0]["regions"] = ["320000", "370000"]  # this cell now also serves Shandong
    routes_file.write_text(json.dumps(data))
    assert proxy.routes.reload_if_changed()
    # Routed now: the cell itself answers that the user (who proved the password) lives in
    # Xuzhou, not in the region the login was aimed at.
    error = expect_error(
        lambda: stub.Login(login, metadata=[("x-rhip-region", "370400")]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "WRONG_REGION",
    )
    assert error.metadata["region"] == "320300"
    routes_file.write_text("{not json")
    assert not proxy.routes.reload_if_changed()  # a broken file keeps the last good table
    assert proxy.routes.owner("370400") is not None


def test_bypassing_the_gateway_still_needs_a_token(world: World) -> None:
    running: RunningCell = world.running
    expect_error(
        lambda: running.stub.GetTenant(
            pb.GetTenantRequest(name=f"tenants/{world.tenants['qs-chc']}")
        ),
        grpc.StatusCode.UNAUTHENTICATED,
    )


def test_the_gateway_does_not_forward_cell_internal_methods(
    world: World, gateway: tuple[Gateway, InMemorySpanExporter]
) -> None:
    """ArchivesInternalService is for the services inside a cell: through the gateway it is
    UNIMPLEMENTED, as if it did not exist, even for a caller with a valid token; the cell
    itself serves it and refuses that caller (only its own cell account may call it)."""
    internal = sorted(cell_internal_methods())
    assert internal, "no cell_internal method declared"
    md = world.running.md("qs-doctor")
    for where, expected in ((gateway[0].port, grpc.StatusCode.UNIMPLEMENTED),
                            (world.running.cell.port, grpc.StatusCode.PERMISSION_DENIED)):  # fmt: skip
        with grpc.insecure_channel(f"127.0.0.1:{where}") as channel:
            for path in internal:
                call = channel.unary_unary(
                    path, request_serializer=lambda b: b, response_deserializer=lambda b: b
                )
                expect_error(lambda call=call: call(b"", metadata=md, timeout=5), expected)
