"""The server interceptor chain every rhip service runs, outermost first:

telemetry span → request id → error mapping → authentication.

Each interceptor wraps the method's behaviour (so contextvars are set in the thread that runs
the handler) and caches the wrapped handler per method.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode

from rhip.kit.authn import TokenVerifier, acting_as, bearer_token
from rhip.kit.authz import Authorizer
from rhip.kit.errors import Internal, PermissionDenied, RhipError, Unauthenticated, to_status
from rhip.kit.telemetry import (
    REQUEST_ID_HEADER,
    extract_context,
    reset_request_id,
    set_request_id,
)

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]

INFRASTRUCTURE_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


def error_domain(method: str) -> str:
    """``/rhip.api.identity.v1.IdentityService/X`` → ``identity.rhip``."""
    parts = method.lstrip("/").split(".")
    return f"{parts[2]}.rhip" if len(parts) > 3 and parts[:2] == ["rhip", "api"] else "rhip"


class _WrappingInterceptor(grpc.ServerInterceptor):
    """Base: wraps unary and streaming behaviours of each handler once per method."""

    def __init__(self) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def applies_to(self, method: str) -> bool:
        return True

    def wrap(self, behavior: Behavior, method: str, streaming: bool) -> Behavior:
        raise NotImplementedError

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        method = handler_call_details.method
        handler = continuation(handler_call_details)
        if handler is None or not self.applies_to(method):
            return handler
        cached = self._wrapped.get(method)
        if cached is not None:
            return cached
        wrapped = self._wrap_handler(handler, method)
        self._wrapped[method] = wrapped
        return wrapped

    def _wrap_handler(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self.wrap(handler.unary_unary, method, False), **kwargs
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self.wrap(handler.unary_stream, method, True), **kwargs
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self.wrap(handler.stream_unary, method, False), **kwargs
            )
        return grpc.stream_stream_rpc_method_handler(
            self.wrap(handler.stream_stream, method, True), **kwargs
        )


def _consume(result: Any, streaming: bool) -> Any:
    """Run a streaming response to completion inside the wrapper's context."""
    return list(result) if streaming else result


class TelemetryInterceptor(_WrappingInterceptor):
    """One server span per RPC (parent taken from W3C ``traceparent`` metadata), plus a
    request counter and a latency histogram by method, tenant and status code."""

    def __init__(self, tracer_provider: trace.TracerProvider, meter: Meter) -> None:
        super().__init__()
        self._tracer = tracer_provider.get_tracer("rhip.kit.server")
        self._calls = meter.create_counter("rpc.server.requests", description="RPCs served")
        self._duration = meter.create_histogram(
            "rpc.server.duration", unit="ms", description="RPC latency"
        )

    def applies_to(self, method: str) -> bool:
        return not method.startswith(INFRASTRUCTURE_PREFIXES)

    def wrap(self, behavior: Behavior, method: str, streaming: bool) -> Behavior:
        service, _, name = method.lstrip("/").partition("/")
        tracer, calls, duration = self._tracer, self._calls, self._duration

        def traced(request, context):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            parent = extract_context(context.invocation_metadata())
            code = "OK"
            with tracer.start_as_current_span(
                method.lstrip("/"),
                context=parent,
                kind=SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    return _consume(behavior(request, context), streaming)
                except BaseException:
                    code = context.code().name if context.code() else "UNKNOWN"
                    span.set_status(Status(StatusCode.ERROR, code))
                    raise
                finally:
                    span.set_attribute("rpc.grpc.status_code", code)
                    attrs = {"rpc.method": method, "rpc.grpc.status_code": code}
                    calls.add(1, attrs)
                    duration.record((time.perf_counter() - start) * 1000, attrs)

        return traced


class RequestIdInterceptor(_WrappingInterceptor):
    """Takes ``x-request-id`` from the caller (the gateway sets one) or makes one, and
    sends it back in the initial metadata."""

    def wrap(self, behavior: Behavior, method: str, streaming: bool) -> Behavior:
        def with_request_id(request, context):  # type: ignore[no-untyped-def]
            incoming = dict(context.invocation_metadata()).get(REQUEST_ID_HEADER, "")
            request_id = incoming[:64] if incoming else uuid.uuid4().hex
            token = set_request_id(request_id)
            try:
                context.send_initial_metadata(((REQUEST_ID_HEADER, request_id),))
                return _consume(behavior(request, context), streaming)
            finally:
                reset_request_id(token)

        return with_request_id


class ErrorInterceptor(_WrappingInterceptor):
    """Maps rhip errors to ``google.rpc.Status`` with details; anything else is INTERNAL
    with a generic message (the traceback goes to the log only)."""

    def wrap(self, behavior: Behavior, method: str, streaming: bool) -> Behavior:
        domain = error_domain(method)

        def mapped(request, context):  # type: ignore[no-untyped-def]
            try:
                return _consume(behavior(request, context), streaming)
            except RhipError as error:
                if error.code is grpc.StatusCode.INTERNAL:
                    log.error("internal error in %s: %s", method, error.reason)
                context.abort_with_status(to_status(error, domain))
            except Exception:
                log.exception("unhandled error in %s", method)
                context.abort_with_status(
                    to_status(Internal("internal error; the request id identifies it"), domain)
                )

        return mapped


class AuthnInterceptor(_WrappingInterceptor):
    """Verifies the bearer token (services trust no network position), refuses blocked
    subjects, and puts the Principal in the contextvar for the handler."""

    def __init__(
        self,
        verifier: TokenVerifier,
        authorizer: Authorizer | None,
        public_methods: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self._verifier = verifier
        self._authorizer = authorizer
        self._public = frozenset(public_methods)

    def applies_to(self, method: str) -> bool:
        return not method.startswith(INFRASTRUCTURE_PREFIXES)

    def wrap(self, behavior: Behavior, method: str, streaming: bool) -> Behavior:
        public = method in self._public
        verifier, authorizer = self._verifier, self._authorizer

        def authenticated(request, context):  # type: ignore[no-untyped-def]
            if public:  # Login, JWKS: a stale token sent along must not get in the way
                return _consume(behavior(request, context), streaming)
            token = bearer_token(dict(context.invocation_metadata()))
            if token is None:
                raise Unauthenticated("this method needs a bearer token", reason="TOKEN_MISSING")
            principal = verifier.verify(token)
            if authorizer is not None and authorizer.is_blocked(principal.subject):
                raise PermissionDenied(
                    "the account or its tenant is suspended", reason="SUBJECT_BLOCKED"
                )
            with acting_as(principal):
                return _consume(behavior(request, context), streaming)

        return authenticated
