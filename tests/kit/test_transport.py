"""rhip.kit.tls and rhip.kit.transport: the settings' rules, server names checked, certificates
re-read on rotation, a key that does not fit refused; real servers on loopback with a CA made
for the test (tests/support/tls.py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from rhip.kit import transport as transport_module
from rhip.kit.channels import ChannelPool
from rhip.kit.config import ConfigError, load_settings
from rhip.kit.tls import TlsSettings
from rhip.kit.transport import CELL, GATEWAY, Transport, TransportError
from support.tls import Issued, LocalCA


def _tls(ca: LocalCA, issued: Issued, **fields: str) -> TlsSettings:
    return TlsSettings(str(issued.cert_file), str(issued.key_file), str(ca.ca_file), **fields)


def _serve(transport: Transport) -> Iterator[int]:
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = transport.listen(server, "127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(0)


def _answers(channel: grpc.Channel) -> bool:
    with channel:
        try:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            return False
    return True


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"RHIP_ENV": "production", "RHIP_SECRET_KEY": "A" * 43 + "="}, "RHIP_TLS_CERT_FILE"),
        ({"RHIP_TLS_CERT_FILE": "/c"}, "RHIP_TLS_KEY_FILE"),
        ({"RHIP_TLS_CERT_FILE": "/c", "RHIP_TLS_KEY_FILE": "/k"}, "RHIP_TLS_CA_FILE"),
        ({"RHIP_TLS": "on"}, "RHIP_TLS_CERT_FILE"),
        ({"RHIP_TLS": "off", "RHIP_TLS_CA_FILE": "/ca"}, "RHIP_TLS_CA_FILE"),
        ({"RHIP_TLS": "maybe"}, "RHIP_TLS"),
        ({"RHIP_TLS_CLIENT_AUTH": "optional"}, "RHIP_TLS_CLIENT_AUTH"),
        (
            {"RHIP_TLS_CERT_FILE": "/c", "RHIP_TLS_KEY_FILE": "/k", "RHIP_TLS_CA_FILE": "/ca",
             "RHIP_TLS_CLIENT_CERT_FILE": "/cc"},
            "RHIP_TLS_CLIENT_KEY_FILE",
        ),
    ],
)  # fmt: skip
def test_tls_settings_that_cannot_work_fail_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_production_runs_plaintext_only_when_told_to() -> None:
    settings = load_settings(
        {"RHIP_ENV": "production", "RHIP_SECRET_KEY": "A" * 43 + "=", "RHIP_TLS": "off"}
    )
    assert not settings.tls.enabled
    assert not load_settings({}).tls.enabled  # development: plaintext by default


def test_unreadable_or_mismatched_files_fail_at_start(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "ca")
    one, two = ca.issue("one"), ca.issue("two")
    with pytest.raises(
        TransportError, match="RHIP_TLS_KEY_FILE is not the key of RHIP_TLS_CERT_FILE"
    ):
        Transport(TlsSettings(str(one.cert_file), str(two.key_file), str(ca.ca_file)), CELL)
    with pytest.raises(TransportError, match="RHIP_TLS_CA_FILE"):
        Transport(TlsSettings(str(one.cert_file), str(one.key_file), str(tmp_path / "none")), CELL)


def test_plaintext_is_logged_as_such(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rhip.kit.transport"):
        for _ in _serve(Transport.plaintext()):
            pass
    assert "TLS is off" in caplog.text


def test_a_server_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "ca")
    client = Transport(_tls(ca, ca.issue("client")), GATEWAY)
    misnamed = Transport(_tls(ca, ca.issue("elsewhere", ("cell.example.org",))), GATEWAY)
    for port in _serve(misnamed):
        assert not _answers(client.channel(f"127.0.0.1:{port}"))
        # Only a channel told to expect that name (the process's own listener) gets through.
        assert _answers(client.channel(f"127.0.0.1:{port}", server_name="cell.example.org"))


def _replace(target: Issued, source: Issued) -> None:
    """Swap files in place as a Secret volume does (atomic renames)."""
    for src, dst in ((source.cert_file, target.cert_file), (source.key_file, target.key_file)):
        tmp = dst.with_suffix(".new")
        tmp.write_bytes(src.read_bytes())
        os.replace(tmp, dst)


def test_a_rotated_certificate_is_served_to_new_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "CHECK_EVERY_SECONDS", 0.0)
    ca = LocalCA(tmp_path / "ca")
    served = ca.issue("served")
    server = Transport(_tls(ca, served, client_auth="none"), CELL)
    client = Transport(_tls(ca, ca.issue("client")), GATEWAY)
    for port in _serve(server):
        address = f"127.0.0.1:{port}"
        assert _answers(client.channel(address))
        # A renewed certificate for another name: new connections are served with it.
        _replace(served, ca.issue("renewed", ("renewed.example.org",)))
        assert _answers(client.channel(address, server_name="renewed.example.org"))
        assert not _answers(client.channel(address))
        # A key that does not fit the certificate (a half-done rotation) is not adopted.
        broken = ca.issue("broken", ("broken.example.org",))
        served.cert_file.write_bytes(broken.cert)
        assert _answers(client.channel(address, server_name="renewed.example.org"))


def test_the_channel_pool_presents_a_rotated_client_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "CHECK_EVERY_SECONDS", 0.0)
    ca = LocalCA(tmp_path / "ca")
    pool = ChannelPool(Transport(_tls(ca, ca.issue("caller")), GATEWAY))
    before = pool.get("127.0.0.1:1")
    assert pool.get("127.0.0.1:1") is before
    caller = Issued(Path(pool.transport.tls.cert_file), Path(pool.transport.tls.key_file))
    _replace(caller, ca.issue("caller-renewed"))
    assert pool.get("127.0.0.1:1") is not before
    pool.close()


MAKERS = ("insecure_channel(", "secure_channel(", "add_insecure_port(", "add_secure_port(")


def test_no_listener_or_channel_is_made_outside_the_transport() -> None:
    """Every port and channel of libs/ and services/ goes through rhip.kit.transport, so TLS
    settings reach all of them."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}: {maker}"
        for base in ("libs/rhip", "services/rhip")
        for path in (root / base).rglob("*.py")
        if "api" not in path.relative_to(root / base).parts[:1] and path.name != "transport.py"
        for maker in MAKERS
        if maker in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
