"""Health and readiness from their own capacity (rhip.kit.health) and set in the background by
the database watch (rhip.kit.dbwatch), issue 12."""

from __future__ import annotations

import logging
import threading
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rhip.kit.authn import TokenVerifier
from rhip.kit.db import Database
from rhip.kit.dbwatch import DatabaseWatch, WatchMetrics
from rhip.kit.health import LIVENESS
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider
from rhip.kit.transport import Transport
from support.platform import free_port
from support.probe import PROBE_SERVICE

OTHER = "rhip.api.other.v1.OtherService"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _server(busy: threading.Event, running: threading.Semaphore | None = None) -> RhipServer:
    def block(request: bytes, _context: Any) -> bytes:
        if running is not None:
            running.release()
        busy.wait(10)
        return b""

    handlers = {"Block": grpc.unary_unary_rpc_method_handler(block)}
    register = lambda server: server.add_generic_rpc_handlers(  # noqa: E731
        (grpc.method_handlers_generic_handler(PROBE_SERVICE, handlers),)
    )
    return RhipServer(
        [
            ServiceSpec(PROBE_SERVICE, register, [f"/{PROBE_SERVICE}/Block"]),
            ServiceSpec(OTHER, lambda server: None),
        ],
        verifier=TokenVerifier(lambda kid: None),
        authorizer=None,
        tracer_provider=build_tracer_provider("none", "test"),
        meter=build_meter("test"),
        transport=Transport.plaintext(),
        workers=2,
    )


def _check(address: str, service: str = "", timeout: float = 1.0) -> Any:
    with grpc.insecure_channel(address) as channel:
        request = health_pb2.HealthCheckRequest(service=service)
        return health_pb2_grpc.HealthStub(channel).Check(request, timeout=timeout).status


def test_health_answers_on_its_own_port_while_every_worker_is_busy() -> None:
    release, running = threading.Event(), threading.Semaphore(0)
    server = _server(release, running)
    health = f"127.0.0.1:{free_port()}"
    port = server.start("127.0.0.1:0", health_address=health)
    main = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(main) as channel:
            block = channel.unary_unary(f"/{PROBE_SERVICE}/Block")
            calls = [block.future(b"", timeout=10) for _ in range(2)]  # both workers
            for _ in calls:
                assert running.acquire(timeout=5)
            # The main port's health waits behind them (what the probes used to ask) …
            with pytest.raises(grpc.RpcError) as caught:
                _check(main, timeout=0.5)
            assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            # … the health port answers at once.
            assert _check(health) == SERVING
            assert _check(health, LIVENESS) == SERVING
            release.set()
            for call in calls:
                call.result()
    finally:
        release.set()
        server.stop(0)
    assert server.health_port > 0


def test_readiness_names_what_is_unready_and_liveness_stays() -> None:
    server = _server(threading.Event())
    health = f"127.0.0.1:{free_port()}"
    server.start("127.0.0.1:0", health_address=health)
    try:
        server.readiness.set_ready("database:probe", [PROBE_SERVICE], False)
        assert _check(health) == NOT_SERVING  # the readiness probe: out of service
        assert _check(health, PROBE_SERVICE) == NOT_SERVING
        assert _check(health, OTHER) == SERVING  # its database answers
        assert _check(health, LIVENESS) == SERVING  # and no restart for a stalled database
        assert server.readiness.unready() == ["database:probe"]
        server.readiness.set_ready("database:probe", [PROBE_SERVICE], True)
        assert _check(health) == SERVING and _check(health, PROBE_SERVICE) == SERVING
    finally:
        server.stop(0)


def test_not_serving_until_started_then_not_serving_for_good_on_shutdown() -> None:
    server = _server(threading.Event())
    health = f"127.0.0.1:{free_port()}"
    server.start("127.0.0.1:0", serving=False, health_address=health)
    try:
        assert _check(health) == NOT_SERVING and _check(health, LIVENESS) == SERVING
        server.set_serving()
        assert _check(health) == SERVING
    finally:
        server.readiness.shutdown()
        assert _check(health) == NOT_SERVING and _check(health, LIVENESS) == NOT_SERVING
        server.stop(0)


def test_a_database_that_does_not_answer_is_reported_once_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on this port: every check fails.
    db = Database.connect(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    changes: list[bool] = []
    watch = DatabaseWatch(
        "probe", db, changes.append, WatchMetrics(build_meter("test")), timeout=2.0
    )
    caplog.set_level(logging.INFO)
    try:
        assert watch.check() is False
        assert watch.check() is False
    finally:
        watch.stop()
        db.dispose()
    assert changes == [False]  # reported on the change, not on every check
    [warning] = [r for r in caplog.records if r.name == "rhip.kit.dbwatch"]
    assert warning.levelname == "WARNING"
    assert "database of probe is not answering (OperationalError)" in warning.getMessage()
