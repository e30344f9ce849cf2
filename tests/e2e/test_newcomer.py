"""The README's newcomer session against a real `rhip demo` platform (gateway process plus two
cell processes): log in through the gateway with `buf curl` (server reflection) as the seeded
administrator, list tenants, log in as a demo doctor and list the institution's health records
and overdue follow-ups (archives, through the gateway), check health, then stop it with
SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
BUF = shutil.which("buf", path=str(Path(sys.executable).parent)) or shutil.which("buf")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


IDENTITY = "rhip.api.identity.v1.IdentityService"
ARCHIVES = "rhip.api.archives.v1.ArchivesService"


def _buf_curl(address: str, method: str, body: dict, token: str = "", region: str = "") -> dict:  # type: ignore[type-arg]
    """``method``: ``Login`` (IdentityService) or ``Service/Method``."""
    command = [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", json.dumps(body)]
    if token:
        command += ["-H", f"authorization: Bearer {token}"]
    if region:
        command += ["-H", f"x-rhip-region: {region}"]
    path = method if "/" in method else f"{IDENTITY}/{method}"
    command.append(f"http://{address}/{path}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _http(address: str, path: str, body: dict | None, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{address}{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.mark.skipif(BUF is None, reason="buf (buf-bin) is not installed")
def test_demo_login_and_list_tenants_with_buf_curl(tmp_path: Path) -> None:
    address = f"127.0.0.1:{_free_port()}"
    http_address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "RHIP_DATA_DIR": str(tmp_path / "var"),
        "RHIP_ARGON2_MEMORY_KIB": "8192",
        "RHIP_GATEWAY_HTTP_LISTEN": http_address,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "rhip.cli", "demo", "--listen", address, "--cell-base-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "js-admin" in output and "Demo-Passw0rd-2026" in output, output
        login = _buf_curl(
            address,
            "Login",
            {"password": {"username": "js-admin", "password": "Demo-Passw0rd-2026"}},
            region="320000",
        )
        assert login["principal"]["regionCode"] == "320000"
        listed = _buf_curl(
            address, "ListTenants", {"parent": "regions/320300"}, login["accessToken"]
        )
        # Five health institutions and the police household-registration office (a verifier).
        assert len(listed["tenants"]) == 6
        kinds = [t["type"] for t in listed["tenants"]]
        assert kinds.count("TENANT_TYPE_PUBLIC_SECURITY") == 1
        assert {t["regionCode"][:4] for t in listed["tenants"]} == {"3203"}
        # The README's health-records session: the community health centre's doctor.
        doctor = _buf_curl(
            address,
            "Login",
            {"password": {"username": "xz-doctor-1", "password": "Demo-Passw0rd-2026"}},
            region="320300",
        )
        tenant = f"tenants/{doctor['principal']['tenantId']}"
        records = _buf_curl(
            address, f"{ARCHIVES}/ListHealthRecords", {"parent": tenant}, doctor["accessToken"]
        )
        assert len(records["records"]) == 3
        assert {r["state"] for r in records["records"]} == {"RECORD_STATE_ACTIVE"}
        assert {r["managingTenant"] for r in records["records"]} == {tenant}
        overdue = _buf_curl(
            address,
            f"{ARCHIVES}/ListOverdueFollowUpPlans",
            {"parent": tenant},
            doctor["accessToken"],
        )
        assert [p["program"] for p in overdue["plans"]] == ["PROGRAM_TYPE2_DIABETES"]
        with grpc.insecure_channel(address) as channel:
            for service in (IDENTITY, ARCHIVES):
                health = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service)
                )
                assert health.status == health_pb2.HealthCheckResponse.SERVING
        # The README's curl session: the same answers over HTTP/JSON, at the printed URL.
        assert f"http://{http_address}" in output, output
        http_login = _http(
            http_address,
            "/identity/v1/tokens:login",
            {"password": {"username": "js-admin", "password": "Demo-Passw0rd-2026"}},
            {"x-rhip-region": "320000"},
        )
        assert http_login["principal"]["regionCode"] == "320000"
        http_listed = _http(
            http_address,
            "/identity/v1/regions/320300/tenants",
            None,
            {"authorization": f"Bearer {http_login['accessToken']}"},
        )
        assert http_listed["tenants"] == listed["tenants"]
        # The README's first line: the console, at the address make run prints.
        assert f"http://{http_address}/console/" in output, output
        with urllib.request.urlopen(f"http://{http_address}/", timeout=60) as response:
            assert response.url.endswith("/console/")  # / leads to the console
            assert b'<div id="app">' in response.read()
    finally:
        process.send_signal(signal.SIGTERM)  # what Kubernetes sends: graceful shutdown, exit 0
        assert process.wait(timeout=20) == 0
