"""A probe service on a real RhipServer (the real interceptor chain), for kit tests that need
a server but no rhip service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from rhip.kit.authn import KeySource, TokenVerifier
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider
from rhip.kit.transport import Transport
from rhip.kit.trust import single_cell

PROBE_SERVICE = "rhip.api.probe.v1.ProbeService"


@contextmanager
def probe_channel(
    behaviours: dict[str, Callable[[bytes, Any], bytes]],
    keys: KeySource = lambda kid: None,
    public: bool = False,
    workers: int = 4,
) -> Iterator[grpc.Channel]:
    """A channel to a server whose methods ``/rhip.api.probe.v1.ProbeService/<name>`` run
    ``behaviours[name]`` (bytes in, bytes out); ``public`` methods need no token. Tokens
    verify with ``keys`` as the Jiangsu cell's (issuer ``rhip-identity/320000``)."""
    handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in behaviours.items()}
    spec = ServiceSpec(
        PROBE_SERVICE,
        lambda server: server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(PROBE_SERVICE, handlers),)
        ),
        public_methods=[f"/{PROBE_SERVICE}/{n}" for n in handlers] if public else [],
    )
    server = RhipServer(
        [spec],
        verifier=TokenVerifier(single_cell("320000", keys)),
        authorizer=None,
        tracer_provider=build_tracer_provider("none", "test"),
        meter=build_meter("test"),
        transport=Transport.plaintext(),
        workers=workers,
    )
    port = server.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        server.stop(0)
