"""One cell deployed as the Helm chart deploys it: identity and archives as separate servers,
each on its own address, behind the gateway. The routing table names archives' address, and
calls of both services answer through the gateway."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from archives.helpers import complete_form
from conftest import make_settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.cell import Cell, build_cell
from rhip.gateway.server import Gateway, build_gateway
from rhip.kit.routing import RoutingTable
from rhip.kit.telemetry import build_tracer_provider
from support.cells import PASSWORD, RunningCell, World, build_world
from support.errors import expect_error
from support.residents import XUZHOU_MAN, register_request
from support.residents import stub as resident_stub

TIMEOUT = 15


@dataclass
class SplitCell:
    world: World
    identity: Cell
    archives: Cell
    archives_spans: InMemorySpanExporter
    gateway: Gateway
    routes: Path
    channel: grpc.Channel  # to the gateway

    def md(self, username: str) -> list[tuple[str, str]]:
        reply = identity_service_pb2_grpc.IdentityServiceStub(self.channel).Login(
            pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=PASSWORD)),
            metadata=[("x-rhip-region", "320000")],
            timeout=TIMEOUT,
        )
        return [("authorization", f"Bearer {reply.access_token}")]

    def write_routes(self, *, archives_listed: bool) -> None:
        _write_routes(self.routes, self.identity, self.archives, archives_listed=archives_listed)


@pytest.fixture
def split_cell(tmp_path: Path, database_url: str, archives_url: str) -> Iterator[SplitCell]:
    spans = InMemorySpanExporter()
    identity_settings = make_settings(tmp_path / "identity", database_url)
    identity = build_cell(
        identity_settings,
        ("identity",),
        tracer_provider=build_tracer_provider("memory", "identity", memory=spans),
    )
    identity.start("127.0.0.1:0")
    channel = grpc.insecure_channel(f"127.0.0.1:{identity.port}")
    stoppable: list[Cell | Gateway] = [identity]
    try:
        # The world first: archives, started next, loads the role grants from the identity
        # database when it starts (then polls it).
        world = build_world(
            RunningCell(
                identity, channel, identity_service_pb2_grpc.IdentityServiceStub(channel), spans
            )
        )
        archives_spans = InMemorySpanExporter()
        archives = build_cell(
            make_settings(
                tmp_path / "archives",
                database_url,
                RHIP_ARCHIVES_DATABASE_URL=archives_url,
                RHIP_IDENTITY_ADDRESS=f"127.0.0.1:{identity.port}",
            ),
            ("archives",),
            tracer_provider=build_tracer_provider("memory", "archives", memory=archives_spans),
        )
        stoppable.append(archives)
        archives.start("127.0.0.1:0")
        routes = tmp_path / "routes.json"
        gateway = build_gateway(
            identity_settings,
            RoutingTable.from_file(_write_routes(routes, identity, archives, archives_listed=True)),
            # Sampled at the gateway, so the cells' (parent-based) spans are recorded too.
            tracer_provider=build_tracer_provider("memory", "gateway"),
        )
        stoppable.append(gateway)
        gateway.start("127.0.0.1:0")
        with grpc.insecure_channel(f"127.0.0.1:{gateway.port}") as gateway_channel:
            yield SplitCell(
                world, identity, archives, archives_spans, gateway, routes, gateway_channel
            )
    finally:
        channel.close()
        for part in reversed(stoppable):
            part.stop(0)


def _write_routes(path: Path, identity: Cell, archives: Cell, *, archives_listed: bool) -> Path:
    """The cell at identity's address, and (when listed) archives at its own."""
    cell: dict[str, object] = {
        "name": "jiangsu",
        "regions": ["320000"],
        "address": f"127.0.0.1:{identity.port}",
    }
    if archives_listed:
        cell["services"] = {"archives": f"127.0.0.1:{archives.port}"}
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(json.dumps({"cells": [cell]}))
    os.utime(path, ns=(0, max(path.stat().st_mtime_ns, mtime + 1_000_000)))  # seen as changed
    return path


def test_identity_and_archives_of_one_cell_answer_through_the_gateway(
    split_cell: SplitCell,
) -> None:
    split = split_cell
    md = split.md("qs-doctor")  # IdentityService, at the cell's default address
    registered = resident_stub(split.channel).RegisterResident(  # ResidentService: identity
        register_request(XUZHOU_MAN, region="320311"), metadata=md, timeout=TIMEOUT
    )
    api = archives_service_pb2_grpc.ArchivesServiceStub(split.channel)
    split.archives_spans.clear()
    created = api.CreateHealthRecord(  # ArchivesService, at the address the table names
        apb.CreateHealthRecordRequest(
            resident=registered.resident.name,
            township_code="001",
            village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
        timeout=TIMEOUT,
    )
    listed = api.ListHealthRecords(
        apb.ListHealthRecordsRequest(parent=f"tenants/{split.world.tenants['qs-chc']}"),
        metadata=md,
        timeout=TIMEOUT,
    )
    assert [r.name for r in listed.records] == [created.name]
    served = {s.name for s in split.archives_spans.get_finished_spans()}
    assert {
        "rhip.api.archives.v1.ArchivesService/CreateHealthRecord",
        "rhip.api.archives.v1.ArchivesService/ListHealthRecords",
    } <= served


def test_without_the_archives_entry_the_call_reaches_identity_and_fails(
    split_cell: SplitCell,
) -> None:
    split = split_cell
    md = split.md("qs-doctor")
    api = archives_service_pb2_grpc.ArchivesServiceStub(split.channel)
    request = apb.ListHealthRecordsRequest(parent=f"tenants/{split.world.tenants['qs-chc']}")
    split.write_routes(archives_listed=False)
    assert split.gateway.routes.reload_if_changed()
    expect_error(lambda: api.ListHealthRecords(request, metadata=md), grpc.StatusCode.UNIMPLEMENTED)
    split.write_routes(archives_listed=True)  # the reload brings archives back
    assert split.gateway.routes.reload_if_changed()
    assert api.ListHealthRecords(request, metadata=md, timeout=TIMEOUT).records == []
