"""HTTP/JSON parity, generated from the descriptors: for every ``google.api.http`` binding of
every method (rhip.gateway.http_rules.bindings, so a new RPC or binding is covered the day it
lands), the same request sent over HTTP and over gRPC through the same gateway gets the same
answer: the same status code, ErrorInfo reason and field violations, and for a success the
same message (what changes by itself between two reads, page tokens and audit trails, left
out as the isolation matrix leaves them out).

The requests are the security suite's (security.world, security.requests):
- insiders: every read, list and search of the world's targets by the one who may (the
  owner for its institution's targets, the province administrator for the others), and
  the public methods without a token: successes, compared message for message;
- an outsider: the Shandong city administrator aiming at each target: refusals;
- writes by the insider with nothing but the target set (a body that fails validation,
  or a write carried out once, over HTTP, and not repeated: a second one would meet
  another state), sent last so that reads meet the world as it was built;
- then the insider's writes with a plausible body: over gRPC, then the same request over
  HTTP, which carries the same request id and so gets the first answer back (AIP-155) or
  the same error; a write without a request id is carried out once and not compared.

A request whose bound fields do not fit the binding's template (a record's name where the
path says ``tenants/*``) cannot be sent over that binding by any client; it is counted, not
compared. Each binding must have compared at least one request.

SQLite only: the transcoding is the gateway's, the same whatever database the cells use."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf.message import Message
from rhip.gateway.http_rules import Binding, bindings
from security.catalog import rule_for
from security.conftest import report
from security.http_caller import HttpCaller, fits
from security.matrix import cases, stable
from security.platform import JIANGSU, Platform, running_platform
from security.requests import aimed
from security.rpcs import Caller, Outcome, Rpc, set_path
from security.world import World

OUTSIDER = "other cell admin (zz-admin)"
Case = tuple[str, Message, list[tuple[str, str]]]  # (label, request, metadata)


@pytest.fixture(scope="module", params=["sqlite"])
def platform(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """This module's platform: SQLite only (the conftest's runs PostgreSQL too)."""
    with running_platform(request.param, "", tmp_path_factory.mktemp("sec")) as made:
        yield made


@pytest.fixture(scope="module")
def transports(platform: Platform) -> tuple[HttpCaller, Caller]:
    return HttpCaller(platform.http_port), Caller(platform.channel)


def _insider(world: World, target_scopes: tuple[str, ...]) -> list[tuple[str, str]]:
    t1 = world.targets["tenant_id"][0].value
    return list(world.owner if target_scopes[0].endswith(t1) else world.admin)


def _reads(rpc: Rpc, world: World) -> list[Case]:
    """Successes the world provides: the insiders' reads, lists and searches; public calls."""

    rule = rule_for(rpc.full_name)
    if rule.access == "public":
        return [("public", aimed(rpc, "", ""), [("x-rhip-region", JIANGSU)])]
    if rule.access == "search":
        outsider = world.callers[OUTSIDER]
        return [
            (label, request, list(world.owner)) for label, request, _ in cases(rpc, world, outsider)
        ]
    if rule.access not in ("read", "list"):
        return []
    found = []
    for path, kind in rule.targets or (("", "cell"),):
        for target in world.targets[kind]:
            md = _insider(world, target.scopes)
            if not path:
                md.append(("x-rhip-region", target.region))
            found.append((f"insider {path}={target.value}", aimed(rpc, path, target.value), md))
    return found


def _refusals(rpc: Rpc, world: World) -> list[Case]:
    """The outsider's requests (as the isolation matrix makes them), replays left out."""
    outsider = world.callers[OUTSIDER]
    return [
        (f"outsider {label}", request, list(outsider.md))
        for label, request, _ in cases(rpc, world, outsider)
        if not label.startswith("replay=")
    ]


def _bare_writes(rpc: Rpc, world: World) -> list[Case]:
    """The insider's write with only its target set: most fail validation, with violations."""
    rule = rule_for(rpc.full_name)
    if rule.access != "write":
        return []
    found = []
    for path, kind in rule.targets or (("", "cell"),):
        target = world.targets[kind][0]
        request = rpc.request(**({path: target.value} if path else {}))
        md = [*_insider(world, target.scopes), ("x-rhip-region", target.region)]
        found.append((f"bare write {path}={target.value}", request, md))
    return found


def _reaimed(binding: Binding, rpc: Rpc, request: Message, world: World) -> Message | None:
    """``request`` with each bound field that does not fit ``binding``'s template set to a
    world target that does (a region where the rule names a tenant), else to a value of the
    template's shape naming the world's county: a request this path can carry, so that every
    binding is compared (the answer may be a refusal, the same over both)."""
    values = [t.value for targets in world.targets.values() for t in targets if t.value]
    copy = type(request)()
    copy.CopyFrom(request)
    for variable, pattern in re.findall(r"\{([\w.]+)(?:=([^}]*))?\}", binding.template):
        shape = re.compile(
            "/".join(
                r"[^/]+" if p in ("*", "**") else re.escape(p) for p in (pattern or "*").split("/")
            )
        )
        current = getattr_path(copy, variable)
        if current and shape.fullmatch(current):
            continue
        sample = (pattern or "*").replace("**", "320311").replace("*", "320311")
        set_path(copy, variable, next((v for v in values if shape.fullmatch(v)), sample))
    return copy if fits(rpc, copy, binding) else None


def getattr_path(message: Message, path: str) -> str:
    for part in path.split("."):
        message = getattr(message, part)
    return str(message)


def _unclocked(response: Message) -> bytes:
    """``stable``, and every timestamp of the last minute cleared: a clock read per call
    (the time a key was read at) differs between two calls whatever the transport."""
    copy = type(response)()
    copy.ParseFromString(stable(response))
    now = time.time()

    def clear(message: Message) -> None:
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if (
                field.message_type.full_name == "google.protobuf.Timestamp"
                and not field.is_repeated
            ):
                if abs(value.seconds - now) < 60:
                    message.ClearField(field.name)
            elif field.message_type.GetOptions().map_entry:
                continue
            else:
                for item in value if field.is_repeated else [value]:
                    clear(item)

    clear(copy)
    return bytes(copy.SerializeToString(deterministic=True))


def _writes(rpc: Rpc, world: World) -> list[Case]:
    """The insider's write with the security suite's plausible body (requests.fill), at the
    first target: carried out over gRPC, then replayed over HTTP with its request id."""
    rule = rule_for(rpc.full_name)
    if rule.access != "write":
        return []
    path, kind = (rule.targets or (("", "cell"),))[0]
    target = world.targets[kind][0]
    md = [*_insider(world, target.scopes), ("x-rhip-region", target.region)]
    return [(f"write {path}={target.value}", aimed(rpc, path, target.value), md)]


def _differs(over_http: Outcome, over_grpc: Outcome) -> str | None:
    if over_http.code is not over_grpc.code:
        return f"{over_http.code.name} over HTTP ({over_http.details[:80]}), {over_grpc.code.name} over gRPC ({over_grpc.details[:80]})"
    if over_http.ok:
        assert over_http.response is not None and over_grpc.response is not None
        if _unclocked(over_http.response) != _unclocked(over_grpc.response):
            return f"the answers differ:\n{over_http.response}\n{over_grpc.response}"
        return None
    if over_http.reason != over_grpc.reason:
        return f"reason {over_http.reason!r} over HTTP, {over_grpc.reason!r} over gRPC"
    if over_http.violations != over_grpc.violations:
        return f"violations {over_http.violations} over HTTP, {over_grpc.violations} over gRPC"
    return None


def test_every_binding_answers_over_http_what_grpc_answers(
    world: World, rpcs: list[Rpc], transports: tuple[HttpCaller, Caller]
) -> None:
    http, direct = transports
    served = {rpc.path: rpc for rpc in rpcs}
    compared: Counter[str] = Counter()  # binding → requests compared
    outcomes: Counter[str] = Counter()
    unexpressible = 0
    differences: list[str] = []
    carried_out: list[str] = []
    replayed: Counter[str] = Counter()  # valid writes sent over gRPC, replayed over HTTP

    def compare(binding: Binding, rpc: Rpc, case: Case, mode: str) -> None:
        """``both``: HTTP, then gRPC. ``once``: HTTP, and gRPC only if HTTP did not carry it
        out. ``replay``: gRPC, then the same request (the same request id) over HTTP, which
        the platform answers with the first answer; without a request id, not repeated."""
        nonlocal unexpressible
        label, request, md = case
        if not fits(rpc, request, binding):
            aimed_here = _reaimed(binding, rpc, request, world)
            if aimed_here is None:
                unexpressible += 1
                return
            label, request = f"{label} (re-aimed at this path)", aimed_here
        if mode == "replay":
            over_grpc = direct.call(rpc, request, md, label=label)
            if over_grpc.ok and not getattr(request, "request_id", ""):
                carried_out.append(f"{rpc.name} {label}")
                return
            over_http = http.call(rpc, request, md, label=label, binding=binding)
            replayed[over_grpc.code.name] += 1
        else:
            over_http = http.call(rpc, request, md, label=label, binding=binding)
            if over_http.ok and mode == "once":
                carried_out.append(f"{rpc.name} {label}")
                return
            over_grpc = direct.call(rpc, request, md, label=label)
        where = f"{binding.verb} {binding.template}"
        compared[where] += 1
        outcomes[over_grpc.code.name] += 1
        problem = _differs(over_http, over_grpc)
        if problem:
            differences.append(f"{where} ({rpc.name} {label}): {problem}")

    every = [(b, served.get(b.info.path)) for b in bindings()]
    missing = [b.info.path for b, rpc in every if rpc is None]
    assert not missing, f"bound but not served by the gateway: {missing}"
    # Reads first and refusals next (neither changes anything), writes last.
    for kind, mode in ((_reads, "both"), (_refusals, "both"), (_bare_writes, "once"),
                       (_writes, "replay")):  # fmt: skip
        for binding, rpc in every:
            assert rpc is not None
            for case in kind(rpc, world):
                compare(binding, rpc, case, mode)
    uncovered = sorted(
        f"{b.verb} {b.template}" for b, _ in every if not compared[f"{b.verb} {b.template}"]
    )
    report(
        "http-parity", world.platform.backend, Counter(), bindings=len(every),
        compared=sum(compared.values()), answers=dict(outcomes), differences=len(differences),
        unexpressible=unexpressible, writes_carried_out=len(carried_out),
        writes_replayed=dict(replayed),
        faults=len(http.faults) + len(direct.faults),
    )  # fmt: skip
    assert not http.faults, "\n".join(http.faults[:30])
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:60])
    assert not uncovered, f"bindings no request reached: {uncovered}"
    assert outcomes["OK"] >= 40  # successes really compared, not only refusals
    assert grpc.StatusCode.PERMISSION_DENIED.name in outcomes
