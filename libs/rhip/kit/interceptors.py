"""The server interceptor chain every rhip service runs, outermost first:

request id → telemetry span → error mapping → authentication.

Each interceptor wraps the method's behaviour, so contextvars are set in the thread that runs
the handler.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode
from rhip.kit.authn import (
    ON_BEHALF_OF_HEADER,
    Principal,
    PrincipalKind,
    TokenVerifier,
    acting_as,
    bearer_token,
)
from rhip.kit.authz import Authorizer, subject_blocked
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
    """Base: runs each call of a method inside ``around(method, context)``, a context manager
    entered in the handler's thread; streaming responses stay inside it while they stream.
    Health and reflection are left alone. Wrapped handlers are cached per method."""

    def __init__(self) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def around(self, method: str, context: grpc.ServicerContext) -> AbstractContextManager[None]:
        raise NotImplementedError

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        method = handler_call_details.method
        handler = continuation(handler_call_details)
        if handler is None or method.startswith(INFRASTRUCTURE_PREFIXES):
            return handler
        cached = self._wrapped.get(method)
        if cached is None:
            cached = self._wrapped[method] = self._wrap_handler(handler, method)
        return cached

    def _unary(self, behavior: Behavior, method: str) -> Behavior:
        def run(request, context):  # type: ignore[no-untyped-def]
            with self.around(method, context):
                return behavior(request, context)

        return run

    def _streaming(self, behavior: Behavior, method: str) -> Behavior:
        def run(request, context):  # type: ignore[no-untyped-def]
            with self.around(method, context):
                yield from behavior(request, context)

        return run

    def _wrap_handler(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method), **kwargs
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(handler.unary_stream, method), **kwargs
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, method), **kwargs
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(handler.stream_stream, method), **kwargs
        )


class TelemetryInterceptor(_WrappingInterceptor):
    """One server span per RPC (parent taken from W3C ``traceparent`` metadata), plus a
    request counter and a latency histogram by method and status code."""

    def __init__(self, tracer_provider: trace.TracerProvider, meter: Meter) -> None:
        super().__init__()
        self._tracer = tracer_provider.get_tracer("rhip.kit.server")
        self._calls = meter.create_counter("rpc.server.requests", description="RPCs served")
        self._duration = meter.create_histogram(
            "rpc.server.duration", unit="ms", description="RPC latency"
        )

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        service, _, name = method.lstrip("/").partition("/")
        start = time.perf_counter()
        code = "OK"
        with self._tracer.start_as_current_span(
            method.lstrip("/"),
            context=extract_context(context.invocation_metadata()),
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except BaseException:
                code = context.code().name if context.code() else "UNKNOWN"
                span.set_status(Status(StatusCode.ERROR, code))
                raise
            finally:
                elapsed_ms = (time.perf_counter() - start) * 1000
                span.set_attribute("rpc.grpc.status_code", code)
                attrs = {"rpc.method": method, "rpc.grpc.status_code": code}
                self._calls.add(1, attrs)
                self._duration.record(elapsed_ms, attrs)
                log.info("rpc %s %s %.1f ms", name, code, elapsed_ms)


class RequestIdInterceptor(_WrappingInterceptor):
    """Takes ``x-request-id`` from the caller (the gateway sets one) or makes one, and
    sends it back in the initial metadata."""

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        incoming = dict(context.invocation_metadata()).get(REQUEST_ID_HEADER, "")
        request_id = str(incoming)[:64] if incoming else uuid.uuid4().hex
        token = set_request_id(request_id)
        try:
            context.send_initial_metadata(((REQUEST_ID_HEADER, request_id),))
            yield
        finally:
            reset_request_id(token)


class ErrorInterceptor(_WrappingInterceptor):
    """Maps rhip errors to ``google.rpc.Status`` with details; anything else is INTERNAL
    with a generic message (the traceback goes to the log only)."""

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        try:
            yield
        except RhipError as error:
            if error.code is grpc.StatusCode.INTERNAL:
                log.error("internal error in %s: %s", method, error.reason)
            context.abort_with_status(to_status(error, error_domain(method)))
        except Exception:
            if context.code() not in (None, grpc.StatusCode.OK):
                raise  # the handler aborted with a status of its own: keep it
            log.exception("unhandled error in %s", method)
            context.abort_with_status(
                to_status(
                    Internal("internal error; the request id identifies it"), error_domain(method)
                )
            )


class AuthnInterceptor(_WrappingInterceptor):
    """Verifies the bearer token (services trust no network position), refuses blocked
    subjects, and puts the Principal in the contextvar for the handler. Public methods
    (login, JWKS) run without a principal, ignoring any token sent along."""

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

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        if method in self._public:
            with acting_as(None):
                yield
            return
        token = bearer_token(dict(context.invocation_metadata()))
        if token is None:
            raise Unauthenticated("this method needs a bearer token", reason="TOKEN_MISSING")
        principal = self._verifier.verify(token)
        if self._authorizer is not None and self._authorizer.is_blocked(principal.subject):
            raise subject_blocked()
        original = self._original_caller(principal, context)
        span = trace.get_current_span()
        span.set_attribute("rhip.subject", principal.subject)
        span.set_attribute("rhip.tenant", principal.tenant_id)
        with acting_as(principal, token, original):
            yield

    def _original_caller(
        self, principal: Principal, context: grpc.ServicerContext
    ) -> Principal | None:
        """The caller named by ``x-rhip-on-behalf-of`` (cross-cell calls): only a service
        account may speak for someone, and that someone's token must verify too."""
        token = dict(context.invocation_metadata()).get(ON_BEHALF_OF_HEADER)
        if not token:
            return None
        if principal.kind is not PrincipalKind.SERVICE_ACCOUNT:
            raise PermissionDenied(
                "only service accounts call on behalf of others", reason="ON_BEHALF_OF_NOT_ALLOWED"
            )
        try:
            return self._verifier.verify(str(token))
        except Unauthenticated as error:
            raise Unauthenticated(
                f"the on-behalf-of token is not valid ({error.reason})",
                reason="ON_BEHALF_OF_INVALID",
            ) from None
