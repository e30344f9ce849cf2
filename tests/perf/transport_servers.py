"""The servers of the transport benchmark: sync and async gRPC servers reading a record through
the real token verification and authorization, in processes of their own."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc
from _common import (
    serve_sync_forever,
)
from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    select,
)

SERVICE = "rhip.bench.v1.Bench"
METHOD = f"/{SERVICE}/Get"
ACTION = "rhip.api.identity.v1.IdentityService/GetTenant"
KID = "bench-1"
ISSUER = "rhip-identity/110000"  # a cell of the platform (make_verifier)
SYNC_WORKERS = (
    16  # as in the sync-vs-async decision; the platform now defaults to 4 (bench_gateway)
)
POOL_SIZE = SYNC_WORKERS  # a kept connection per worker, as rhip.cell configures it

# label, server kind, verifier cache
SCENARIOS: list[tuple[str, str, bool]] = [
    ("echo-sync", "echo-sync", True),
    ("echo-async", "echo-async", True),
    ("real-sync", "real-sync", True),
    ("real-async", "real-async", True),
    ("real-sync, no token cache", "real-sync", False),
    ("real-async, no token cache", "real-async", False),
]

metadata = MetaData()
bench_record = Table(
    "bench_record",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("scope_path", String(200), nullable=False),
    Column("payload", LargeBinary, nullable=False),
)
GET_RECORD = select(bench_record.c.scope_path, bench_record.c.payload).where(
    bench_record.c.id == bindparam("id")
)


# -- servers ---------------------------------------------------------------------------------
def _handler(get, stats):  # type: ignore[no-untyped-def]
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Get": grpc.unary_unary_rpc_method_handler(get),
            "Stats": grpc.unary_unary_rpc_method_handler(stats),
        },
    )


def _count_connects(sync_engine, counters: dict) -> None:  # type: ignore[no-untyped-def]
    """Count new database connections: a pool smaller than the concurrency churns."""
    from sqlalchemy import event

    def on_connect(*_):  # type: ignore[no-untyped-def]
        counters["db_connects"] += 1

    event.listen(sync_engine, "connect", on_connect)


def make_verifier(cfg: dict, token_cache: bool):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from rhip.kit.authn import TokenVerifier
    from rhip.kit.routing import CellRoute, RoutingTable
    from rhip.kit.tenancy import RegionLevel, catalog
    from rhip.kit.trust import CellKeys

    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cfg["public_key"]))
    # One cell owning every province (the bench's tenants are spread over the country),
    # issuing as ISSUER: the real trust check on the uncached path.
    provinces = tuple(
        r.code for r in catalog()._by_code.values() if r.level is RegionLevel.PROVINCE
    )
    cell = CellRoute("bench", "", provinces)
    return TokenVerifier(
        CellKeys(RoutingTable((cell,)), lambda _cell: lambda kid: public if kid == KID else None),
        cache_size=50_000 if token_cache else 0,
    )


def _real_parts(cfg: dict, token_cache: bool):  # type: ignore[no-untyped-def]
    from rhip.kit.authz import Authorizer, PolicyStore
    from rhip.kit.db import Database, make_engine

    verifier = make_verifier(cfg, token_cache)
    policy_db = Database(make_engine(cfg["db_url"], pool_size=POOL_SIZE))
    authz = Authorizer(PolicyStore(policy_db))
    t0 = time.perf_counter()
    authz.start()  # loads the policy and starts the watcher, as a service does
    print(f"policy loaded in {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)
    return verifier, authz, policy_db


def serve_sync(kind: str, cfg: dict, token_cache: bool) -> None:

    from rhip.kit.authn import bearer_token

    counters = {"db_connects": 0}

    def stats(request: bytes, context: grpc.ServicerContext) -> bytes:
        return json.dumps(counters).encode()

    if kind == "echo-sync":

        def get(request: bytes, context: grpc.ServicerContext) -> bytes:
            return request

    else:
        verifier, authz, db = _real_parts(cfg, token_cache)
        engine = db.engine
        _count_connects(engine, counters)

        def get(request: bytes, context: grpc.ServicerContext) -> bytes:
            token = bearer_token(dict(context.invocation_metadata()))
            if token is None:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "no token")
            principal = verifier.verify(token)
            with engine.connect() as conn:
                row = conn.execute(GET_RECORD, {"id": int(request)}).first()
            if row is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such record")
            if not authz.enforce(principal.subject, row.scope_path, ACTION):
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")
            return row.payload

    serve_sync_forever(_handler(get, stats), SYNC_WORKERS)


async def serve_async(kind: str, cfg: dict, token_cache: bool) -> None:
    from rhip.kit.authn import bearer_token

    counters = {"db_connects": 0}

    async def stats(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return json.dumps(counters).encode()

    if kind == "echo-async":

        async def get(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            return request

    else:
        from sqlalchemy.ext.asyncio import create_async_engine

        verifier, authz, _ = _real_parts(cfg, token_cache)
        engine = create_async_engine(
            cfg["db_url"], pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_recycle=1800
        )
        _count_connects(engine.sync_engine, counters)

        async def get(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            token = bearer_token(dict(context.invocation_metadata()))
            if token is None:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "no token")
            principal = verifier.verify(token)
            async with engine.connect() as conn:
                row = (await conn.execute(GET_RECORD, {"id": int(request)})).first()
            if row is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, "no such record")
            if not authz.enforce(principal.subject, row.scope_path, ACTION):
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")
            return row.payload

    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((_handler(get, stats),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(server.stop(0)))
    print(f"PORT {port}", flush=True)
    await server.wait_for_termination()
