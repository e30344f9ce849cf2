"""Service modules (rhip.kit.modules, rhip.modules): a service added as one module is built,
served, migrated and seeded by the cell with no edit anywhere else; a service another one of
the same process calls answers on a thread pool of its own, so callers never starve it; and
the registry, the APIs and the chart list the same services."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path

import grpc
import pytest
import yaml
from conftest import make_settings
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rhip.cell import build_cell, migrate_cell
from rhip.kit.apis import PLATFORM_APIS, api_names, methods
from rhip.kit.config import ConfigError, Settings
from rhip.kit.modules import Built, CellContext, Registry, ServiceModule
from rhip.kit.server import ServiceSpec
from rhip.modules import REGISTRY

CHART = Path(__file__).resolve().parents[2] / "helm" / "rhip"
SKELETON = "rhip.test.skeleton.v1.SkeletonService"
CALL = f"/{SKELETON}/Call"
WORKERS = 2


class Skeleton:
    """A one-RPC service that calls identity in the same process while holding its worker:
    ``Call`` waits until ``WORKERS`` calls hold every worker of the public pool, then asks
    identity (its health check, which needs a worker of whatever pool serves identity)."""

    def __init__(self, context: CellContext) -> None:
        self.context = context
        self.all_held = threading.Barrier(WORKERS)
        self.seeded = 0

    def call(self, request: bytes, rpc: grpc.ServicerContext) -> bytes:
        self.all_held.wait(timeout=10)
        with grpc.insecure_channel(self.context.address_of("identity")) as channel:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return b"ok"

    def register(self, server: grpc.Server) -> None:
        handler = grpc.method_handlers_generic_handler(
            SKELETON, {"Call": grpc.unary_unary_rpc_method_handler(self.call)}
        )
        server.add_generic_rpc_handlers((handler,))


def skeleton_registry(made: list[Skeleton], migrated: list[str]) -> Registry:
    def build(context: CellContext) -> Built:
        skeleton = Skeleton(context)
        made.append(skeleton)
        return Built([ServiceSpec(SKELETON, skeleton.register, (CALL,))], parts=skeleton)

    def seed(built: Mapping[str, Built], settings: Settings) -> str:
        built["skeleton"].parts.seeded += 1
        return "skeleton demo data: 1 thing"

    module = ServiceModule(
        "skeleton", build, lambda settings: migrated.append(settings.cell), requires=("identity",)
    ).with_demo(seed)
    return Registry([REGISTRY.modules["identity"], module])


def test_a_new_module_is_built_served_migrated_and_seeded_and_never_starves_identity(
    tmp_path: Path, database_url: str
) -> None:
    made: list[Skeleton] = []
    migrated: list[str] = []
    registry = skeleton_registry(made, migrated)
    settings = make_settings(tmp_path, database_url, RHIP_GRPC_WORKERS=str(WORKERS))
    migrate_cell(settings, ["skeleton"], registry)
    assert migrated == ["320000"]
    assert registry.required_in_process(("identity", "skeleton")) == ("identity",)
    cell = build_cell(settings, registry.names, registry=registry)
    try:
        cell.start("127.0.0.1:0", serving=False)
        lines = cell.seed_demo()  # identity's demo world first, then the new service's
        assert len(lines) == 2 and lines[1] == "skeleton demo data: 1 thing"
        cell.server.set_serving()
        call = grpc.insecure_channel(f"127.0.0.1:{cell.port}").unary_unary(CALL)
        # Every public worker is held by a skeleton call that waits on identity: identity
        # answers from its own pool, so all of them complete.
        results: list[object] = []
        threads = [
            threading.Thread(target=lambda: results.append(call(b"", timeout=20)))
            for _ in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == [b"ok"] * WORKERS
        assert made[0].seeded == 1
    finally:
        cell.stop(0)


def test_a_module_whose_required_service_is_elsewhere_needs_its_address(
    tmp_path: Path, database_url: str
) -> None:
    registry = skeleton_registry([], [])
    settings = make_settings(tmp_path, database_url)
    with pytest.raises(ConfigError, match="RHIP_IDENTITY_ADDRESS is required"):
        build_cell(settings, ["skeleton"], registry=registry)


def test_registry_refuses_unknown_services_and_modules_before_their_requirements() -> None:
    with pytest.raises(ConfigError, match=r"unknown service.*archive\b.*available: identity"):
        REGISTRY.resolve("identity,archive")
    assert REGISTRY.resolve("archives,identity") == ("identity", "archives")  # build order
    skeleton = ServiceModule("skeleton", lambda c: Built([]), lambda s: None, requires=("x",))
    with pytest.raises(ValueError, match="requires"):
        Registry([skeleton])


def test_a_service_called_by_one_built_before_it_gets_a_loopback_port_too() -> None:
    # archives and referral feed emr's timeline (calls_later), emr requires both.
    assert "emr" in REGISTRY.required_in_process(("identity", "archives", "referral", "emr"))
    assert "emr" not in REGISTRY.required_in_process(("identity", "emr"))
    assert REGISTRY.required_in_process(("identity", "archives")) == ("identity",)


def test_the_registry_serves_every_api_and_the_chart_lists_the_same_services() -> None:
    # Every API is either a cell's (served by a registry module) or named a platform API
    # (served by the gateway process itself: the resident locator); never both, never neither.
    apis = {m.api for m in methods().values()}
    assert set(REGISTRY.names) == apis - PLATFORM_APIS
    assert apis >= PLATFORM_APIS and not PLATFORM_APIS & set(REGISTRY.names)
    assert set(api_names()) == set(REGISTRY.names)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values["services"]) == set(REGISTRY.names)
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert set(schema["properties"]["services"]["properties"]) == set(REGISTRY.names)
    route = schema["definitions"]["cellRoute"]["properties"]
    assert set(route["services"]["items"]["enum"]) == set(REGISTRY.names)
