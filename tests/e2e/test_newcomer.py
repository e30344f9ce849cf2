"""The README's newcomer session against a real `rhip demo` platform (gateway process plus two
cell processes): log in through the gateway with `buf curl` (server reflection) as the seeded
administrator, list tenants, check health, then stop it with SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
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


def _buf_curl(address: str, method: str, body: dict, token: str = "", region: str = "") -> dict:  # type: ignore[type-arg]
    command = [BUF, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", json.dumps(body)]
    if token:
        command += ["-H", f"authorization: Bearer {token}"]
    if region:
        command += ["-H", f"x-rhip-region: {region}"]
    command.append(f"http://{address}/rhip.api.identity.v1.IdentityService/{method}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(BUF is None, reason="buf (buf-bin) is not installed")
def test_demo_login_and_list_tenants_with_buf_curl(tmp_path: Path) -> None:
    address = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "RHIP_DATA_DIR": str(tmp_path / "var"), "RHIP_ARGON2_MEMORY_KIB": "8192"}
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
        assert len(listed["tenants"]) == 5
        assert {t["regionCode"][:4] for t in listed["tenants"]} == {"3203"}
        with grpc.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="rhip.api.identity.v1.IdentityService")
            )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        process.send_signal(signal.SIGTERM)  # what Kubernetes sends: graceful shutdown, exit 0
        assert process.wait(timeout=20) == 0
