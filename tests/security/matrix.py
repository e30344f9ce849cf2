"""The isolation matrix's engine, run over gRPC (test_isolation) and over HTTP/JSON
(test_isolation_http): every RPC × every principal outside a target × every target its
classification names (ids in the request, parents, search terms), each sent as it is and
again with a forged ``x-rhip-region`` naming the target's region.

A leak is an OK where the caller may not act, a list aimed at a parent the caller may not
see answering anything but PERMISSION_DENIED (AIP-211), or any answer carrying an id or name
of the owner's scope. The owner's view of every target is the same after the matrix as
before it: no refused call changed anything.

One run per world: the replays at the end may carry out a caller's own write (another
caller's request within its reach), which changes what a second run on the same world would
see; each transport has its own module and so its own world."""

from __future__ import annotations

from collections import Counter
from typing import Any

import grpc
from google.protobuf.message import Message
from security.catalog import rule_for
from security.conftest import report
from security.http_caller import HttpCaller, binding_of
from security.requests import aimed, fill
from security.rpcs import SERVER_FAULTS, Caller, Outcome, Rpc, strings_of
from security.world import Caller as Principal
from security.world import World

DENIED = grpc.StatusCode.PERMISSION_DENIED
# A refused call names no state of a target it may not see: permission comes before
# existence and before state (AIP-211/193).
REFUSALS = frozenset(
    {
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
    }
)

# Over HTTP, a target its binding's path cannot carry (a record as the parent of a GET bound
# to tenants/*) is refused by the gateway's router, before anything is forwarded.
ROUTER_REFUSALS = frozenset({"HTTP_PATH_UNKNOWN", "HTTP_METHOD_NOT_ALLOWED"})


def _leaked(world: World, principal: Principal, response: Message | None) -> list[str]:
    """The owner's ids and names in an answer to a caller outside what they belong to."""
    if response is None:
        return []
    foreign = [m for m, target in world.markers.items() if principal.outside(target, "read")]
    return sorted({m for s in strings_of(response) for m in foreign if m in s})


def _search_query(rpc: Rpc, world: World) -> Message:
    """A search for the owner's resident by what each field of the request can say."""
    display, number = world.residents[0]
    message = rpc.request()
    fields = rpc.input.fields_by_name
    if "display_name" in fields:
        message.display_name = display  # type: ignore[attr-defined]
    if "document" in fields:
        message.document.type = 1  # type: ignore[attr-defined]  # resident ID card
        message.document.number = number  # type: ignore[attr-defined]
    if "birth_date" in fields:
        message.birth_date = "1980-01-01"  # type: ignore[attr-defined]
    return fill(message)


def cases(rpc: Rpc, world: World, principal: Principal) -> list[tuple[str, Message, str]]:
    """(label, request, the region a forged header names) for one RPC and principal."""
    rule = rule_for(rpc.full_name)
    if rule.access == "public":
        return []
    if rule.access == "search":
        if not principal.outside(world.targets["resident"][0], "read"):
            return []
        return [("query", _search_query(rpc, world), "320311")]
    cases = []
    # Another caller's request, replayed: the same body and request id. The first answer
    # must not come back (a request id is unique per caller, AIP-155).
    for by, data in world.replays.get(rpc.input.full_name, []):
        if not principal.outside(by, "write"):
            continue  # a caller who may make the request itself: a request of its own
        replay = rpc.request()
        replay.ParseFromString(data)
        cases.append((f"replay={replay.request_id}", replay, ""))  # type: ignore[attr-defined]
    for path, kind in rule.targets or (("", "cell"),):
        for target in world.targets[kind]:
            if principal.outside(target, rule.access):
                cases.append(
                    (
                        f"{path or 'cell'}={target.value}",
                        aimed(rpc, path, target.value),
                        target.region,
                    )
                )
    return cases


def _judge(
    rpc: Rpc, world: World, principal: Principal, path_label: str, outcome: Outcome
) -> str | None:
    """What is wrong with ``outcome`` for a caller outside the target, or None."""
    access = rule_for(rpc.full_name).access
    leaked = _leaked(world, principal, outcome.response)
    if leaked:
        return f"answer carries {leaked}"
    if outcome.reason in ROUTER_REFUSALS:
        return None  # no HTTP path says this request: refused before any cell saw it
    if path_label.startswith("replay="):
        t1 = world.targets["tenant"][0]
        answer = strings_of(outcome.response) if outcome.response is not None else []
        if principal.outside(t1, "read") and any(t1.value.split("/")[1] in s for s in answer):
            return "a replay answered with the owner's tenant"
        return None if outcome.code not in SERVER_FAULTS else outcome.code.name
    if access in ("read", "write", "cell") and outcome.ok:
        return "OK"
    if (
        access == "list"
        and path_label.startswith("parent=")
        and outcome.code not in (DENIED, grpc.StatusCode.INVALID_ARGUMENT)
        # A caller who may list across its whole cell learns NOT_FOUND of a parent its cell
        # does not hold (rhip.kit.parents): another cell's tenant, routed to its own cell.
        and not (outcome.code is grpc.StatusCode.NOT_FOUND and principal.scope.count("/") == 1)
    ):
        return f"{outcome.code.name} (a list under a parent the caller may not see)"
    if not outcome.ok and outcome.code not in REFUSALS:
        return f"{outcome.code.name}: {outcome.details[:160]}"
    return None


def insiders_view(world: World, rpcs: list[Rpc], caller: Caller | HttpCaller) -> dict[str, bytes]:
    """Every read and list of every target, by the one who may: the owner for its
    institution's targets, the province administrator for the others. Their answers are the
    view a refused call must not change; a request the insider cannot even make
    (INVALID_ARGUMENT) means the catalogue names a target the RPC does not take."""
    view: dict[str, bytes] = {}
    t1 = world.targets["tenant_id"][0].value
    for rpc in rpcs:
        rule = rule_for(rpc.full_name)
        if rule.access not in ("read", "list"):
            continue
        for path, kind in rule.targets:
            for target in world.targets[kind]:
                md = world.owner if target.scopes[0].endswith(t1) else world.admin
                request = aimed(rpc, path, target.value)
                if not path:
                    md = (*md, ("x-rhip-region", target.region))
                outcome = caller.call(rpc, request, list(md), label="insider")
                key = f"{rpc.name} {path}={target.value}"
                assert outcome.code is not grpc.StatusCode.INVALID_ARGUMENT, (
                    f"{key}: {outcome.details} (fix its line in catalog.py)"
                )
                if outcome.ok and outcome.response is not None:
                    view[key] = stable(outcome.response)
    return view


def stable(response: Message) -> bytes:
    """The answer without what changes by itself (tokens, times, audit of the reads)."""
    copy: Any = type(response)()
    copy.CopyFrom(response)
    for name in ("next_page_token", "events", "rows_checked"):
        if name in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(name)
    return bytes(copy.SerializeToString(deterministic=True))


def run_matrix(world: World, rpcs: list[Rpc], caller: Caller | HttpCaller) -> None:
    """Send every case of every RPC for every principal through ``caller``; assert no leak,
    no change by a refused call, no server fault."""
    if isinstance(caller, HttpCaller):
        # Methods without a binding (cross-cell, streaming, the locator) have no HTTP path.
        rpcs = [rpc for rpc in rpcs if binding_of(rpc) is not None]
    before = insiders_view(world, rpcs, caller)
    assert len(before) >= 30, sorted(before)  # the insiders really read the targets
    leaks: list[str] = []
    refusals: Counter[str] = Counter()
    answered: list[str] = []  # OK to a caller outside the target: lists and searches only
    covered = set()
    unexpressible: Counter[bool] = Counter()  # over HTTP: requests no bound path can carry

    def send(principal: Principal, rpc: Rpc, label: str, request: Message, md: list) -> None:  # type: ignore[type-arg]
        forged = any(k == "x-rhip-region" for k, _ in md[len(principal.md) :])
        outcome = caller.call(rpc, request, md, label=f"{principal.name} {label}")
        refusals[outcome.code.name] += 1
        unexpressible[outcome.reason in ROUTER_REFUSALS] += 1
        if outcome.ok:
            answered.append(f"{principal.name} → {rpc.name} {label} {forged}")
        problem = _judge(rpc, world, principal, label, outcome)
        if problem:
            header = " (forged x-rhip-region)" if forged else ""
            leaks.append(f"{principal.name} → {rpc.name} {label}{header}: {problem}")

    replays = []
    for principal in world.callers.values():
        for rpc in rpcs:
            for label, request, region in cases(rpc, world, principal):
                covered.add(rpc.name)
                if label.startswith("replay="):
                    replays.append((principal, rpc, label, request))
                    continue
                # A call naming no target goes where the token routes it: only the forged
                # header aims it at the target's cell.
                for forged in (True,) if label.startswith("cell=") else (False, True):
                    md = list(principal.md) + ([("x-rhip-region", region)] if forged else [])
                    send(principal, rpc, label, request, md)
    after = insiders_view(world, rpcs, caller)
    changed = sorted(k for k in before if after.get(k) != before[k])
    # Replays last: another caller's request replayed is that caller's own request, and may
    # be carried out when its body is within the caller's reach (a write of its own, not a
    # refused call); only the first answer must never come back.
    for principal, rpc, label, request in replays:
        send(principal, rpc, label, request, list(principal.md))
    http = isinstance(caller, HttpCaller)
    report(
        "isolation-matrix" + ("-http" if http else ""), world.platform.backend, Counter(),
        rpcs=len(covered), principals=len(world.callers), requests=sum(refusals.values()),
        leaks=len(leaks), half_writes=len(changed), internal=len(caller.faults),
        answers=dict(refusals), ok_outside=len(answered), replays=len(replays),
        refused_by_the_router=unexpressible[True],
    )  # fmt: skip
    assert not caller.faults, "\n".join(caller.faults[:40])
    assert not leaks, f"{len(leaks)} leaks:\n" + "\n".join(leaks[:60])
    assert not changed, f"changed by refused calls: {changed}"
