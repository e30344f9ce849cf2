"""Bad input against every RPC, built from its request's descriptor (``hostile``): each field
given what a hostile caller sends there, and bytes no encoder would make, sent raw through a
generic channel. Sent by a caller who may make the call (the owner of the target, the
province administrator, nobody for login), so it reaches the service's own code.

Never INTERNAL or UNKNOWN, never past its deadline, no process down afterwards; and a
refused call writes nothing: the rows of every table of every cell (the audit log aside)
are counted before and after each RPC's batch, and must not move unless a call of the batch
was accepted."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import Engine

from security.catalog import rule_for
from security.conftest import report
from security.hostile import field_mutations, raw_mutations
from security.requests import aimed
from security.rpcs import Caller, Rpc
from security.world import World

def caller_for(rpc: Rpc, world: World) -> tuple[list[tuple[str, str]], str, str, str]:
    """(metadata, target field, target value, region) of one who may make the call."""
    rule = rule_for(rpc.full_name)
    if rule.access == "public":
        return [("x-rhip-region", "320000")], "", "", "320000"
    path, kind = (rule.targets or (("", "cell"),))[0]
    target = world.targets[kind][0]
    t1 = world.targets["tenant_id"][0].value
    md = world.owner if any(s.endswith(t1) for s in target.scopes) else world.admin
    return [*md, ("x-rhip-region", target.region)], path, target.value, target.region


def base_request(rpc: Rpc, path: str, value: str):  # type: ignore[no-untyped-def]
    request = aimed(rpc, path, value)
    if rpc.name == "Login":  # an account that does not exist: nothing to lock out
        request.password.username = "nobody-security"
        request.password.password = "wrong"
    return request


@pytest.fixture(scope="module")
def engines(world: World) -> Iterator[list[Engine]]:
    made = [create_engine(url) for url in world.platform.databases]
    yield made
    for engine in made:
        engine.dispose()


def row_counts(engines: list[Engine]) -> dict[str, int]:
    """Rows per table of every cell database; the audit log and login bookkeeping aside (a
    refused call is audited; a failed login is counted, by design)."""
    counts = {}
    for i, engine in enumerate(engines):
        names = [n for n in inspect(engine).get_table_names() if "audit" not in n and "alembic" not in n]
        with engine.connect() as conn:
            for name in names:
                counts[f"{i}:{name}"] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
    return counts


def test_bad_input_is_refused_cleanly_everywhere(
    world: World, rpcs: list[Rpc], caller: Caller, engines: list[Engine]
) -> None:
    answers: Counter[str] = Counter()
    half_written: list[str] = []
    checked_batches = 0
    for rpc in rpcs:
        md, path, value, _ = caller_for(rpc, world)
        valid = base_request(rpc, path, value)
        before = row_counts(engines)
        accepted = []
        cases: list[tuple[str, object]] = [*raw_mutations(valid), *field_mutations(valid)]
        if "request_id" in rpc.input.fields_by_name:
            cases += _replays(valid)
        for label, request in cases:
            outcome = caller.call(rpc, request, md, label=label)  # type: ignore[arg-type]
            answers[outcome.code.name] += 1
            if outcome.ok:
                accepted.append(label)
        if rule_for(rpc.full_name).access in ("write", "cell") and not accepted:
            checked_batches += 1
            after = row_counts(engines)
            moved = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
            if moved:
                half_written.append(f"{rpc.name}: every call refused, yet rows moved {moved}")
    alive = _all_serving(world)
    report(
        "bad-input", world.platform.backend, Counter(), rpcs=len(rpcs),
        requests=sum(answers.values()), internal=len(caller.faults), half_writes=len(half_written),
        write_batches_counted=checked_batches, answers=dict(answers),
    )  # fmt: skip
    assert not caller.faults, f"{len(caller.faults)} server faults:\n" + "\n".join(caller.faults[:60])
    assert not half_written, "\n".join(half_written)
    assert alive == [], f"not serving after the run: {alive}"


def _replays(valid):  # type: ignore[no-untyped-def]
    """The same request id twice, the second time with another body."""
    request_id = str(uuid.uuid4())
    first = type(valid)()
    first.CopyFrom(valid)
    first.request_id = request_id
    second = type(valid)()
    second.CopyFrom(first)
    for field in second.DESCRIPTOR.fields:
        if field.type == field.TYPE_STRING and not field.is_repeated and field.name not in ("request_id",):
            setattr(second, field.name, getattr(second, field.name) + "-另一个请求体")
            break
    return [("request id, first body", first), ("request id, other body", second)]


def _all_serving(world: World) -> list[str]:
    down = []
    channels = {"gateway": world.platform.channel, **{c: r.channel for c, r in world.platform.cells.items()}}
    for name, channel in channels.items():
        try:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status
        except grpc.RpcError as error:
            down.append(f"{name}: {error.code().name}")
            continue
        if status != health_pb2.HealthCheckResponse.SERVING:
            down.append(f"{name}: {status}")
    return down
