"""The two demo cells behind a gateway with its HTTP/JSON listener on, and a small HTTP client
(the standard library's, so the tests depend on nothing the gateway uses)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.demo import DEMO_PASSWORD
from support.cells import RunningCell
from support.platform import free_port
from support.two_cells import cells_behind_gateway

TIMEOUT = 15


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]

    def detail(self, kind: str) -> dict[str, Any]:
        """The error detail of this type (``ErrorInfo``, ``BadRequest``)."""
        found = [d for d in self.error["details"] if d["@type"].endswith(f"google.rpc.{kind}")]
        assert found, self.body
        return found[0]

    @property
    def reason(self) -> str:
        return self.detail("ErrorInfo")["reason"]

    @property
    def fields(self) -> list[str]:
        return [v["field"] for v in self.detail("BadRequest")["fieldViolations"]]


@dataclass
class HttpPlatform:
    http_port: int
    channel: grpc.Channel  # gRPC to the same gateway
    cells: dict[str, RunningCell]

    def request(
        self,
        verb: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            connection.request(verb, path, body=data, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                json.loads(raw) if raw else None,
            )
        finally:
            connection.close()

    def login(self, username: str, region: str) -> tuple[str, dict[str, Any]]:
        """(access token, principal) of a demo account, logged in over HTTP."""
        reply = self.request(
            "POST",
            "/identity/v1/tokens:login",
            {"password": {"username": username, "password": DEMO_PASSWORD}},
            headers={"x-rhip-region": region},
        )
        assert reply.status == 200, reply.body
        return reply.body["accessToken"], reply.body["principal"]

    def grpc_token(self, username: str, region: str) -> str:
        login = identity_service_pb2_grpc.IdentityServiceStub(self.channel).Login(
            id_pb.LoginRequest(
                password=id_pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
            ),
            metadata=[("x-rhip-region", region)],
            timeout=TIMEOUT,
        )
        return login.access_token


def http_platform(work: Path, **gateway_env: str) -> Iterator[HttpPlatform]:
    """Two SQLite cells (Jiangsu, Shandong) behind a gateway serving HTTP on a free port."""
    port = free_port()

    def url(name: str) -> str:
        return f"sqlite:///{work / name}.db"

    env = {"RHIP_GATEWAY_HTTP_LISTEN": f"127.0.0.1:{port}", **gateway_env}
    with cells_behind_gateway(work, url, **env) as (gateway_address, cells):
        channel = grpc.insecure_channel(gateway_address)
        try:
            yield HttpPlatform(port, channel, cells)
        finally:
            channel.close()
