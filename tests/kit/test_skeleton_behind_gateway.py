"""A new service needs nothing outside its package and the registry line to be reached through
the gateway: a skeleton with a real proto in ``rhip.api.skeleton.v1`` (compiled here, as
``make proto`` would) is served by a cell built from a registry naming it, and the gateway
routes its RPC to that cell from the descriptors alone."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import grpc_tools
import pytest
from conftest import make_settings
from grpc_tools import protoc
from rhip.cell import build_cell, migrate_cell
from rhip.gateway.server import build_gateway
from rhip.kit.apis import api_names, methods, public_methods
from rhip.kit.modules import Built, CellContext, Registry, ServiceModule
from rhip.kit.routing import RoutingTable
from rhip.kit.server import ServiceSpec
from rhip.modules import REGISTRY
from support.platform import free_port, write_routes

REPO = Path(__file__).resolve().parents[2]
SERVICE = "rhip.api.skeleton.v1.SkeletonService"
PROTO = """syntax = "proto3";
package rhip.api.skeleton.v1;
import "google/protobuf/wrappers.proto";
import "rhip/api/common/v1/common.proto";
service SkeletonService {
  rpc Echo(google.protobuf.StringValue) returns (google.protobuf.StringValue) {
    option (rhip.api.common.v1.public) = true;
  }
}
"""


@pytest.fixture
def skeleton_api(tmp_path: Path) -> Iterator[None]:
    """The skeleton's API compiled into a directory on the path, as a service's generated
    code under libs/rhip/api would be; gone again afterwards."""
    source, generated = tmp_path / "proto", tmp_path / "gen"
    (source / "rhip/api/skeleton/v1").mkdir(parents=True)
    (source / "rhip/api/skeleton/v1/skeleton.proto").write_text(PROTO)
    generated.mkdir()
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"-I{source}", f"-I{REPO / 'proto'}", f"-I{well_known}",
                        f"--python_out={generated}", "rhip/api/skeleton/v1/skeleton.proto"]) == 0  # fmt: skip
    sys.path.insert(0, str(generated))
    importlib.invalidate_caches()
    methods.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(generated))
        for name in [m for m in sys.modules if m.startswith("rhip.api.skeleton")]:
            del sys.modules[name]
        importlib.invalidate_caches()
        methods.cache_clear()


def _skeleton_module() -> ServiceModule:
    def register(server: grpc.Server) -> None:
        echo = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Echo": echo}),)
        )

    def build(context: CellContext) -> Built:
        return Built([ServiceSpec(SERVICE, register, public_methods(SERVICE))])

    return ServiceModule("skeleton", build, lambda settings: None, requires=("identity",))


def test_the_gateway_routes_a_new_services_rpc_from_its_descriptors(
    skeleton_api: None, tmp_path: Path, database_url: str
) -> None:
    assert "skeleton" in api_names() and f"/{SERVICE}/Echo" in methods()
    registry = Registry([REGISTRY.modules["identity"], _skeleton_module()])
    settings = make_settings(tmp_path / "cell", database_url)
    migrate_cell(settings, registry.names, registry)
    cell = build_cell(settings, registry.names, registry=registry)
    cell_address = f"127.0.0.1:{free_port()}"
    gateway = None
    try:
        cell.start(cell_address)
        routes = write_routes(tmp_path / "routes.json", {"320000": cell_address})
        gateway = build_gateway(
            make_settings(tmp_path / "gw", database_url), RoutingTable.from_file(routes)
        )
        gateway_address = f"127.0.0.1:{free_port()}"
        gateway.start(gateway_address)
        with grpc.insecure_channel(gateway_address) as channel:
            echo = channel.unary_unary(f"/{SERVICE}/Echo")
            # google.protobuf.StringValue("你好") on the wire: field 1, length 6.
            body = b"\n\x06" + "你好".encode()
            answer = echo(body, metadata=[("x-rhip-region", "320311")], timeout=15)
            assert answer == body
            # A region no cell serves: the gateway answers itself, as for any other service.
            with pytest.raises(grpc.RpcError) as error:
                echo(body, metadata=[("x-rhip-region", "110000")], timeout=15)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "no cell serves region 110000" in (error.value.details() or "")
    finally:
        if gateway is not None:
            gateway.stop(0)
        cell.stop(0)
