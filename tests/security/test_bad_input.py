"""Bad input against every RPC, built from its request's descriptor (``hostile``): each field
given what a hostile caller sends there, and bytes no encoder would make, sent raw through a
generic channel. Sent by a caller who may make the call (the owner of the target, the
province administrator, nobody for login), so it reaches the service's own code.

Never INTERNAL or UNKNOWN, never past its deadline, no process down afterwards; and a
refused call writes nothing: the rows of every table of every cell (the audit log aside)
are counted before and after each RPC's batch, and must not move unless a call of the batch
was accepted. Then, property-based (hypothesis, ``strategies``): any message of any request
type, alone or merged over a request that would pass, sent by one who may make the call, is
no server fault either."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import given, seed
from hypothesis import strategies as st
from security.catalog import rule_for
from security.conftest import report
from security.hostile import field_mutations, raw_mutations
from security.requests import aimed
from security.rpcs import Caller, Rpc
from security.strategies import EXAMPLES, PROFILE, SEED, message_strategy
from security.world import World
from sqlalchemy import create_engine, func, inspect, literal, select, table, union_all
from sqlalchemy.engine import Engine


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


@dataclass
class Counted:
    """One cell database and the statement counting the rows of each of its tables."""

    engine: Engine
    statement: Any


# Tables a background worker fills from earlier, accepted writes (emr's timeline index, from
# archives' and referral's outboxes): they move while a refused batch runs.
BACKGROUND = ("emr_timeline",)


@pytest.fixture(scope="module")
def databases(world: World) -> Iterator[list[Counted]]:
    """Every cell database, with one UNION ALL of counts over its tables; the audit log and
    the schema's own table aside (a refused call is audited, by design), and BACKGROUND."""
    made = []
    for url in world.platform.databases:
        engine = create_engine(url)
        names = [
            n
            for n in inspect(engine).get_table_names()
            if "audit" not in n and "alembic" not in n and not n.startswith(BACKGROUND)
        ]
        counts = [
            select(literal(n).label("t"), func.count().label("n")).select_from(table(n))
            for n in names
        ]
        made.append(Counted(engine, union_all(*counts)))
    yield made
    for counted in made:
        counted.engine.dispose()


def row_counts(databases: list[Counted]) -> dict[str, int]:
    counts = {}
    for i, counted in enumerate(databases):
        with counted.engine.connect() as conn:
            for name, rows in conn.execute(counted.statement):
                counts[f"{i}:{name}"] = rows
    return counts


def test_bad_input_is_refused_cleanly_everywhere(
    world: World, rpcs: list[Rpc], caller: Caller, databases: list[Counted]
) -> None:
    answers: Counter[str] = Counter()
    half_written: list[str] = []
    checked_batches = 0
    for rpc in rpcs:
        md, path, value, _ = caller_for(rpc, world)
        valid = base_request(rpc, path, value)
        writes = rule_for(rpc.full_name).access in ("write", "cell")
        before = row_counts(databases) if writes else {}
        accepted = []
        cases: list[tuple[str, object]] = [*raw_mutations(valid), *field_mutations(valid)]
        if "request_id" in rpc.input.fields_by_name:
            cases += _replays(valid)
        for label, request in cases:
            outcome = caller.call(rpc, request, md, label=label)  # type: ignore[arg-type]
            answers[outcome.code.name] += 1
            if outcome.ok:
                accepted.append(label)
        if writes and not accepted:
            checked_batches += 1
            after = row_counts(databases)
            moved = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
            if moved:
                half_written.append(f"{rpc.name}: every call refused, yet rows moved {moved}")
    alive = _all_serving(world)
    report(
        "bad-input", world.platform.backend, Counter(), rpcs=len(rpcs),
        requests=sum(answers.values()), internal=len(caller.faults), half_writes=len(half_written),
        write_batches_counted=checked_batches, answers=dict(answers),
    )  # fmt: skip
    assert not caller.faults, f"{len(caller.faults)} server faults:\n" + "\n".join(
        caller.faults[:60]
    )
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
        if (
            field.type == field.TYPE_STRING
            and not field.is_repeated
            and field.name not in ("request_id",)
        ):
            setattr(second, field.name, getattr(second, field.name) + "-另一个请求体")
            break
    return [("request id, first body", first), ("request id, other body", second)]


def _all_serving(world: World) -> list[str]:
    down = []
    channels = {
        "gateway": world.platform.channel,
        **{c: r.channel for c, r in world.platform.cells.items()},
    }
    for name, channel in channels.items():
        try:
            status = (
                health_pb2_grpc.HealthStub(channel)
                .Check(health_pb2.HealthCheckRequest(), timeout=10)
                .status
            )
        except grpc.RpcError as error:
            down.append(f"{name}: {error.code().name}")
            continue
        if status != health_pb2.HealthCheckResponse.SERVING:
            down.append(f"{name}: {status}")
    return down


# The cells serve in this process: their threads draw span ids from ``random`` while hypothesis
# draws a request, which it reports as randomness inside a strategy; and a strategy over every
# field of a record form has a long repr. Neither changes what is drawn (seeded).
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_property_no_message_of_any_request_type_is_a_server_fault(
    world: World, rpcs: list[Rpc], caller: Caller
) -> None:
    targets = sorted(
        {t.value for kind in world.targets.values() for t in kind if t.value}
        | {"regions/320311", "tenants/", "healthRecords/x/checkUps/y"}
    )
    print(f"\n[security] properties: seed {SEED}, {EXAMPLES} examples (RHIP_FUZZ_SEED to replay)")

    @seed(SEED)
    @PROFILE
    @given(data=st.data())
    def one_call(data: st.DataObject) -> None:
        rpc = data.draw(st.sampled_from(rpcs), label="rpc")
        md, path, value, _ = caller_for(rpc, world)
        drawn = data.draw(message_strategy(rpc.input, targets), label="drawn")
        if data.draw(st.booleans(), label="into a valid request"):
            # The drawn fields over a request that would pass: deep code sees them.
            request = base_request(rpc, path, value)
            request.MergeFrom(drawn)
        else:
            request = drawn
        caller.call(rpc, request, md, label=repr(request)[:300])
        assert not caller.faults, caller.faults[-1]

    one_call()
