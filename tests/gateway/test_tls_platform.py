"""The platform on TLS throughout: a gateway and the Jiangsu and Shandong cells (real servers
on loopback, demo worlds on SQLite: what is under test is the transport), each with a
certificate from a CA made for the run (tests/support/tls.py).

A cross-cell transfer request travels every kind of channel: client → gateway (TLS, bearer
token), gateway → cell (mutual TLS), cell → cell (each cell fetches the other's keys, mutual
TLS), cell → gateway's internal port (mutual TLS) → other cell, and archives → the cell's
own identity on loopback (mutual TLS). Then what must be refused is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from archives.two_cells import TwoCells, _record_in_xuzhou, _request
from conftest import make_settings
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rhip.api.archives.v1 import archives_peer_service_pb2_grpc, archives_service_pb2_grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.cell import Cell, build_cell
from rhip.gateway.server import Gateway, build_gateway
from rhip.identity.demo import seed_demo
from rhip.kit.errors import from_rpc_error
from rhip.kit.routing import RoutingTable
from support.errors import expect_error
from support.platform import free_port, write_routes
from support.tls import Issued, LocalCA

SERVING = health_pb2.HealthCheckResponse.SERVING


@dataclass
class TlsPlatform:
    ca: LocalCA
    gateway: Gateway
    cells: dict[str, Cell]
    gateway_address: str
    internal_address: str
    cell_addresses: dict[str, str]
    health_addresses: dict[str, str]
    gateway_cert: Issued

    def channel(self, address: str, pair: Issued | None = None, ca: bytes | None = None):  # type: ignore[no-untyped-def]
        """A client trusting ``ca`` (default: the platform's), presenting ``pair`` if given."""
        credentials = grpc.ssl_channel_credentials(
            root_certificates=ca or self.ca.ca,
            private_key=pair.key if pair else None,
            certificate_chain=pair.cert if pair else None,
        )
        return grpc.secure_channel(address, credentials)


@pytest.fixture(scope="module")
def tls_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsPlatform]:
    work = tmp_path_factory.mktemp("tls")
    ca = LocalCA(work / "ca")
    gateway_address = f"127.0.0.1:{free_port()}"
    internal_address = f"127.0.0.1:{free_port()}"
    ports = {code: free_port() for code in ("320000", "370000")}
    # Shandong is routed by name and its certificate names only "localhost": its archives'
    # calls to its own identity on 127.0.0.1 rely on Transport's own-name pinning.
    addresses = {"320000": f"127.0.0.1:{ports['320000']}", "370000": f"localhost:{ports['370000']}"}
    names = {"320000": ("127.0.0.1", "localhost"), "370000": ("localhost",)}
    health = {code: f"127.0.0.1:{free_port()}" for code in addresses}
    routes = write_routes(work / "routes.json", addresses)
    cells: dict[str, Cell] = {}
    gateway = None
    try:
        for code in addresses:
            settings = make_settings(
                work / code, f"sqlite:///{work / f'identity-{code}'}.db", cell=code,
                RHIP_ARCHIVES_DATABASE_URL=f"sqlite:///{work / f'archives-{code}'}.db",
                RHIP_CELL_CLIENT_ID=f"cell-{code}",
                RHIP_CELL_CLIENT_SECRET=f"tls-cell-secret-{code}",
                # Cross-cell calls go to the gateway's internal (mutual TLS) port.
                RHIP_GATEWAY_ADDRESS=internal_address, RHIP_ROUTES=str(routes),
                RHIP_HEALTH_LISTEN=health[code],
                **ca.env(ca.issue(f"cell-{code}", names[code])),
            )  # fmt: skip
            cells[code] = build_cell(settings)
            cells[code].start(f"127.0.0.1:{ports[code]}")
            seed_demo(cells[code].part("identity").usecases)
        gateway_cert = ca.issue("gateway")
        gateway = build_gateway(
            make_settings(
                work / "gw", f"sqlite:///{work / 'gateway'}.db",
                RHIP_INTERNAL_LISTEN=internal_address, **ca.env(gateway_cert),
            ),
            RoutingTable.from_file(routes),
        )  # fmt: skip
        gateway.start(gateway_address)
        yield TlsPlatform(
            ca, gateway, cells, gateway_address, internal_address, addresses, health, gateway_cert
        )
    finally:
        if gateway is not None:
            gateway.stop(0)
        for cell in cells.values():
            cell.stop(0)


def _check(channel: grpc.Channel) -> int:
    with channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    return int(reply.status)


def _refused(channel: grpc.Channel) -> None:
    """The handshake fails: the call never reaches a handler."""
    with pytest.raises(grpc.RpcError) as caught:
        _check(channel)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_cross_cell_request_travels_on_tls_end_to_end(tls_platform: TlsPlatform) -> None:
    channel = tls_platform.channel(tls_platform.gateway_address)  # no client certificate
    t = TwoCells(channel, archives_service_pb2_grpc.ArchivesServiceStub(channel), {})
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)  # Shandong → gateway (internal port) → Jiangsu
    assert transfer.state == apb.TRANSFER_STATE_PENDING
    at_source = t.api.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=transfer.name), metadata=xz, timeout=15
    )
    assert at_source.state == apb.TRANSFER_STATE_PENDING
    assert at_source.record == record.name
    channel.close()


def test_a_cell_refuses_clients_without_a_certificate_of_the_ca(tls_platform: TlsPlatform) -> None:
    address = tls_platform.cell_addresses["320000"]
    _refused(tls_platform.channel(address))  # TLS, no client certificate
    other = LocalCA(tls_platform.ca.directory.parent / "other", "another CA")
    _refused(tls_platform.channel(address, other.issue("intruder"), ca=tls_platform.ca.ca))
    _refused(grpc.insecure_channel(address))  # plaintext
    # A certificate of the platform's CA is let in (the gateway's, here).
    assert _check(tls_platform.channel(address, tls_platform.gateway_cert)) == SERVING


def test_the_gateway_serves_no_plaintext(tls_platform: TlsPlatform) -> None:
    _refused(grpc.insecure_channel(tls_platform.gateway_address))
    _refused(grpc.insecure_channel(tls_platform.internal_address))
    # Public port: TLS without a client certificate; internal port: a certificate required.
    assert _check(tls_platform.channel(tls_platform.gateway_address)) == SERVING
    _refused(tls_platform.channel(tls_platform.internal_address))


def test_a_client_that_does_not_trust_the_ca_fails(tls_platform: TlsPlatform) -> None:
    other = LocalCA(tls_platform.ca.directory.parent / "untrusted", "a CA the client trusts")
    _refused(tls_platform.channel(tls_platform.gateway_address, ca=other.ca))
    _refused(grpc.secure_channel(tls_platform.gateway_address, grpc.ssl_channel_credentials()))


def test_the_probes_health_port_stays_plaintext(tls_platform: TlsPlatform) -> None:
    """Kubernetes' gRPC probes cannot speak TLS: the health port answers grpc.health.v1 in
    plaintext, and nothing else."""
    address = tls_platform.health_addresses["320000"]
    assert _check(grpc.insecure_channel(address)) == SERVING
    with grpc.insecure_channel(address) as channel:
        stub = archives_service_pb2_grpc.ArchivesServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetHealthRecord(apb.GetHealthRecordRequest(name="healthRecords/x"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_speaking_for_others_needs_the_internal_mutual_tls_port(tls_platform: TlsPlatform) -> None:
    """A cell account's secret used from outside (the public port, no client certificate)
    cannot call on behalf of someone; the same call over mutual TLS gets past the gateway."""
    p = tls_platform
    public = p.channel(p.gateway_address)
    identity = identity_service_pb2_grpc.IdentityServiceStub(public)
    cell_token = identity.Login(
        id_pb.LoginRequest(
            client=id_pb.ClientCredentials(
                client_id="cell-370000", client_secret="tls-cell-secret-370000"
            )
        ),
        metadata=[("x-rhip-region", "370000")],
        timeout=15,
    ).access_token
    user = TwoCells(public, archives_service_pb2_grpc.ArchivesServiceStub(public), {})
    on_behalf = user.md("zz-doctor-1", "370400")[0][1].removeprefix("Bearer ")
    metadata = [
        ("authorization", f"Bearer {cell_token}"),
        ("x-rhip-on-behalf-of", on_behalf),
        ("x-rhip-region", "320000"),
    ]
    # A cross-cell method (what a cell calls on the other through the gateway).
    peer = archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(public)
    request = apb.CloseRecordTransferRequest(
        transfer_id="0193a000-0000-7000-8000-000000000000", decline_reason="不再需要"
    )
    expect_error(
        lambda: peer.CloseRecordTransfer(request, metadata=metadata, timeout=15),
        grpc.StatusCode.PERMISSION_DENIED,
        "ON_BEHALF_OF_NEEDS_MUTUAL_TLS",
    )
    internal = p.channel(p.internal_address, p.ca.issue("cell-370000-again"))
    with pytest.raises(grpc.RpcError) as caught:  # past the gateway: the Jiangsu cell answers
        archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(internal).CloseRecordTransfer(
            request, metadata=metadata, timeout=15
        )
    error = from_rpc_error(caught.value)
    assert caught.value.code() != grpc.StatusCode.UNAVAILABLE
    assert error.reason != "ON_BEHALF_OF_NEEDS_MUTUAL_TLS" and error.domain != "gateway.rhip"
    public.close()
    internal.close()
