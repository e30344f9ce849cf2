"""The console's bulk imports with several gateway replicas (rhip.gateway.import_peers): two real
gateways (replicas gw-a and gw-b, each with its HTTP listener) in front of the same two cells on
loopback, as a Kubernetes Service spreads the console's polls over the gateway's pods. An
import started on one replica is read on the other as on its own (progress, report, the
owner-only rule, generated passwords handed over once in total); a malformed id is refused
before anything is asked; an id naming a replica that stopped says so (IMPORT_RUNNER_GONE)."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from gateway.http_platform import HttpPlatform, Reply
from rhip.gateway.import_peers import HOP_HEADER, load_replicas
from rhip.gateway.server import Gateway, build_gateway
from rhip.kit.config import ConfigError
from rhip.kit.errors import NotFound, Unavailable
from rhip.kit.ids import uuid7
from rhip.kit.routing import RoutingTable
from support.platform import free_port
from support.two_cells import cells_behind_gateway

XUZHOU = "320300"
PREFIX = "/onboarding/v1/imports"
STOPPED = "gw-c"  # a replica named in the peer list whose listener is gone


@dataclass
class Replicas:
    a: HttpPlatform
    b: HttpPlatform
    # Starts another replica by name (in the peer list), on the same cells; a test stops it.
    start: Callable[[str], Gateway]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    work = Path(tmp_path_factory.mktemp("replicas"))
    ports = {name: free_port() for name in ("gw-a", "gw-b", STOPPED)}
    peers = ",".join(f"{name}=127.0.0.1:{port}" for name, port in ports.items())

    def url(name: str) -> str:
        return f"sqlite:///{work / name}.db"

    def env(name: str) -> dict[str, str]:
        return {
            "RHIP_GATEWAY_HTTP_LISTEN": f"127.0.0.1:{ports[name]}",
            "RHIP_GATEWAY_REPLICA": name,
            "RHIP_GATEWAY_PEERS": peers,
        }

    def start(name: str) -> Gateway:
        """Another replica: the same routing table, its own memory."""
        settings = make_settings(work / name, url(f"gateway-{name}"), **env(name))
        gateway = build_gateway(settings, RoutingTable.from_file(work / "routes.json"))
        gateway.start(f"127.0.0.1:{free_port()}")
        return gateway

    with cells_behind_gateway(work, url, **env("gw-a")) as (_, cells):
        second = start("gw-b")
        try:
            channel: Any = None  # these tests speak HTTP only
            yield Replicas(
                HttpPlatform(ports["gw-a"], channel, cells),
                HttpPlatform(ports["gw-b"], channel, cells),
                start,
            )
        finally:
            second.stop(0)


def _csv(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _upload(tag: str, dry_run: bool = False) -> dict[str, Any]:
    """An institution in Tongshan (Xuzhou) and a user there without a password (one is made)."""
    institutions = f"机构名称,机构类型,等级,区划代码,统一社会信用代码\n铜山区副本{tag}卫生室,村卫生室,,320312,\n"
    users = f"用户名,姓名,角色,所属机构,区划代码,初始密码\nreplica-{tag},副本医生{tag},医务人员,铜山区副本{tag}卫生室,,\n"
    return {
        "files": [
            {"fileName": f"机构{tag}.csv", "content": _csv(institutions)},
            {"fileName": f"用户{tag}.csv", "content": _csv(users)},
        ],
        "dryRun": dry_run,
    }


def _start(on: HttpPlatform, token: str, tag: str, dry_run: bool = False) -> str:
    reply = on.request("POST", PREFIX, _upload(tag, dry_run), token=token)
    assert reply.status == 200, reply.body
    return str(reply.body["id"])


def _until_done(on: HttpPlatform, token: str, job: str) -> list[Reply]:
    """Every answer to polling ``job`` on ``on`` until it finished."""
    answers: list[Reply] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        reply = on.request("GET", f"{PREFIX}/{job}", token=token)
        assert reply.status == 200, reply.body
        answers.append(reply)
        if reply.body["state"] != "RUNNING":
            return answers
        time.sleep(0.1)
    raise AssertionError(f"import {job} still running after 60 s")


def test_an_import_started_on_one_replica_is_followed_on_the_other(replicas: Replicas) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    job = _start(replicas.a, token, "one", dry_run=True)
    assert job.startswith("gw-a.")
    seen_on_b = _until_done(replicas.b, token, job)
    done = seen_on_b[-1].body
    assert done["state"] == "DONE" and done["id"] == job and done["dryRun"] is True
    assert done["counts"] == {"would create": 2}
    # The same report on the replica that ran it.
    on_a = replicas.a.request("GET", f"{PREFIX}/{job}", token=token)
    assert on_a.status == 200 and on_a.body == done


def test_another_administrator_is_refused_alike_on_both_replicas(replicas: Replicas) -> None:
    owner = replicas.a.login("xz-admin", XUZHOU)[0]
    job = _start(replicas.b, owner, "two", dry_run=True)
    assert job.startswith("gw-b.")
    assert _until_done(replicas.a, owner, job)[-1].body["state"] == "DONE"
    other = replicas.a.login("qs-admin", "320311")[0]
    on_a = replicas.a.request("GET", f"{PREFIX}/{job}", token=other)
    on_b = replicas.b.request("GET", f"{PREFIX}/{job}", token=other)
    assert on_a.status == on_b.status == 404
    assert on_a.body == on_b.body and on_a.reason == "IMPORT_NOT_FOUND"
    # No token: refused by the replica asked, before any forwarding.
    assert replicas.a.request("GET", f"{PREFIX}/{job}").status == 401


def test_generated_passwords_are_handed_over_once_across_replicas(replicas: Replicas) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    job = _start(replicas.a, token, "three")
    answers = _until_done(replicas.b, token, job)
    for on in (replicas.a, replicas.b, replicas.b, replicas.a):
        answers.append(on.request("GET", f"{PREFIX}/{job}", token=token))
    handed = [a.body["credentials"] for a in answers if "credentials" in a.body]
    assert handed == [[{"username": "replica-three", "password": handed[0][0]["password"]}]]
    assert answers[-1].body["counts"] == {"created": 2}


def test_the_request_id_reaches_the_replica_that_runs_the_import(replicas: Replicas) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    job = _start(replicas.a, token, "four", dry_run=True)
    reply = replicas.b.request(
        "GET", f"{PREFIX}/{job}", token=token, headers={"x-request-id": "poll-4.b"}
    )
    assert reply.status == 200 and reply.headers["x-request-id"] == "poll-4.b"
    _until_done(replicas.a, token, job)


@pytest.mark.parametrize(
    "job",
    [
        "0f8fad5b-d9cb-469f-a165-70867728950e",  # no replica
        "gw-a.not-a-uuid",
        "GW-A.0f8fad5b-d9cb-469f-a165-70867728950e",
        "evil.example:80.0f8fad5b-d9cb-469f-a165-70867728950e",
        "169.254.169.254.0f8fad5b-d9cb-469f-a165-70867728950e",
        "-gw.0f8fad5b-d9cb-469f-a165-70867728950e",
        "a" * 64 + ".0f8fad5b-d9cb-469f-a165-70867728950e",
    ],
)
def test_a_malformed_id_is_refused_and_never_forwarded(replicas: Replicas, job: str) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    reply = replicas.b.request("GET", f"{PREFIX}/{job}", token=token)
    assert reply.status == 400, reply.body
    assert reply.reason == "IMPORT_ID" and reply.fields == ["job"]


@pytest.mark.parametrize("replica", [STOPPED, "gw-unknown"])
def test_an_id_naming_a_replica_that_is_not_running_says_the_run_is_gone(
    replicas: Replicas, replica: str
) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    reply = replicas.b.request(
        "GET", f"{PREFIX}/{replica}.0f8fad5b-d9cb-469f-a165-70867728950e", token=token
    )
    assert reply.status == 404, reply.body
    assert reply.reason == "IMPORT_RUNNER_GONE"
    message = reply.error["message"]
    assert replica in message and "again is safe" in message and "unchanged" in message


def test_an_import_dies_with_its_replica_and_the_others_say_so(replicas: Replicas) -> None:
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    third = replicas.start(STOPPED)
    try:
        job = _start(HttpPlatform(third.http_port, None, {}), token, "six", dry_run=True)
        assert replicas.b.request("GET", f"{PREFIX}/{job}", token=token).status == 200
    finally:
        third.stop(0)
    for on in (replicas.a, replicas.b):
        reply = on.request("GET", f"{PREFIX}/{job}", token=token)
        assert reply.status == 404 and reply.reason == "IMPORT_RUNNER_GONE", reply.body


def test_a_forwarded_read_is_not_forwarded_again(replicas: Replicas) -> None:
    """A read marked as forwarded that reaches a replica other than the one its id names is
    answered there (the replica it names is not that one), never sent on: no loops."""
    token = replicas.a.login("xz-admin", XUZHOU)[0]
    job = _start(replicas.a, token, "five", dry_run=True)
    reply = replicas.b.request("GET", f"{PREFIX}/{job}", token=token, headers={HOP_HEADER: "gw-x"})
    assert reply.status == 404 and reply.reason == "IMPORT_RUNNER_GONE"
    _until_done(replicas.a, token, job)


def test_in_kubernetes_peers_are_only_the_addresses_the_peers_name_resolves_to() -> None:
    """``dns:`` mode: a replica's name is its pod IP, and a peer is called only while the
    headless Service's name resolves to it (here the real resolver, ``localhost``)."""
    replicas = load_replicas(
        {"RHIP_GATEWAY_REPLICA": "127.0.0.1", "RHIP_GATEWAY_PEERS": "dns:localhost:8080"}
    )
    assert replicas.name == "127-0-0-1"
    assert replicas.new_job_id().startswith("127-0-0-1.")
    assert replicas.address_of("127-0-0-1") == ("127.0.0.1", 8080)
    for elsewhere in ("10-0-0-7", "169-254-169-254", "gw-a"):
        assert replicas.address_of(elsewhere) is None
    fixed = load_replicas({"RHIP_GATEWAY_REPLICA": "gw-a", "RHIP_GATEWAY_PEERS": "gw-b=h:1"})
    assert fixed.address_of("gw-b") == ("h", 1) and fixed.address_of("gw-c") is None


def test_in_kubernetes_a_young_run_whose_replica_is_not_listed_yet_is_asked_again() -> None:
    """A pod takes the start as soon as it is ready; the cluster DNS lists it a few seconds
    later: meanwhile a peer answers 503 (ask again), and only an older run's replica is gone."""
    replicas = load_replicas(
        {"RHIP_GATEWAY_REPLICA": "127.0.0.1", "RHIP_GATEWAY_PEERS": "dns:localhost:8080"}
    )
    young = f"10-0-0-7.{uuid7()}"
    with pytest.raises(Unavailable) as unlisted:
        replicas.forward("10-0-0-7", f"{PREFIX}/{young}", "Bearer x", "")
    assert unlisted.value.reason == "IMPORT_RUNNER_UNAVAILABLE"
    assert unlisted.value.retry_after_seconds
    started_1970 = uuid.UUID(int=(1 << 80) | (0x7 << 76) | (0b10 << 62))  # a UUIDv7, 1 ms
    old = f"10-0-0-7.{started_1970}"
    with pytest.raises(NotFound) as gone:
        replicas.forward("10-0-0-7", f"{PREFIX}/{old}", "Bearer x", "")
    assert gone.value.reason == "IMPORT_RUNNER_GONE"


@pytest.mark.parametrize(
    "env",
    [
        {"RHIP_GATEWAY_REPLICA": "gw_a"},
        {"RHIP_GATEWAY_REPLICA": "a" * 64},
        {"RHIP_GATEWAY_REPLICA": "gw-a", "RHIP_GATEWAY_PEERS": "dns:peers:8080"},
        {"RHIP_GATEWAY_REPLICA": "10.0.0.1", "RHIP_GATEWAY_PEERS": "dns:peers"},
        {"RHIP_GATEWAY_PEERS": "gw-b=peer"},
        {"RHIP_GATEWAY_PEERS": "Gw-B=peer:1"},
    ],
)
def test_bad_replica_settings_fail_the_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="RHIP_GATEWAY_"):
        load_replicas(env)
