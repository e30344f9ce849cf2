"""The server interceptor chain every rhip service runs, outermost first:

request id → telemetry span → error mapping → authentication.

The four steps run as one wrapper around each method's behaviour (plain try/finally, the
call's metadata read once), in the thread that runs the handler, so contextvars are set
where the handler reads them. Measured in tests/perf: four stacked ``@contextmanager``
interceptors and their context managers were a sixth of the gateway's Python time per call.

- request id: taken from the caller's ``x-request-id`` (the gateway sets one) when it is a
  short printable id (``adopted_request_id``), otherwise made here,
  sent back in the trailing metadata (with the status, on success and on error: sending it
  as initial metadata is a separate operation per call, ~8 % of the CPU of a read through
  the gateway, tests/perf), and held in a contextvar for the whole call, so the access log
  line carries it.
- telemetry: one server span per RPC (parent from W3C ``traceparent`` metadata), a latency
  histogram by method and status code (its count is the request count), and an access log
  line per ``AccessLog``: by default only for failed and slow calls. When no trace exporter is
  configured (sampler ALWAYS_OFF) the span is a bare non-recording span carrying the trace id,
  made without the SDK's sampling machinery.
- request parsing: grpc hands the chain the request's bytes and the chain parses them, so a
  message that does not decode is INVALID_ARGUMENT ``REQUEST_MALFORMED`` and an enum value
  that its enum does not define is ``ENUM_UNKNOWN`` (``parse_request``).
- error mapping: rhip errors become ``google.rpc.Status`` with details; anything else is
  INTERNAL with a generic message (the traceback goes to the log only); a status the handler
  aborted with is kept.
- authentication: verifies the bearer token (services trust no network position), refuses
  blocked subjects and, but for ChangePassword, users whose password must be changed; honours ``x-rhip-on-behalf-of`` from service accounts only, and puts the
  Principal in the contextvar for the handler. Public methods (login, JWKS) run without a
  principal, ignoring any token sent along.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import (
    INVALID_SPAN_ID,
    INVALID_TRACE_ID,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from rhip.kit.apis import password_change_methods
from rhip.kit.authn import (
    ON_BEHALF_OF_HEADER,
    Principal,
    PrincipalKind,
    TokenVerifier,
    acting_as,
    bearer_token,
)
from rhip.kit.authz import (
    Authorizer,
    password_change_required,
    session_revoked,
    subject_blocked,
)
from rhip.kit.deadlines import (
    ANSWER_MARGIN_SECONDS,
    deadline_from_remaining,
    require_time,
    reset_deadline,
    set_deadline,
)
from rhip.kit.errors import (
    Internal,
    InvalidArgument,
    PermissionDenied,
    RhipError,
    Unauthenticated,
    to_status,
)
from rhip.kit.idempotency import holding_request
from rhip.kit.metrics import RpcObserver
from rhip.kit.request_fields import CONTROL, check_fields
from rhip.kit.telemetry import (
    REQUEST_ID_HEADER,
    adopted_request_id,
    current_request_id,
    extract_context,
    reset_request_id,
    set_request_id,
)

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]
Parser = Callable[[Any], Any]

INFRASTRUCTURE_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


@dataclass(frozen=True)
class AccessLog:
    """Which calls get an access log line (``RHIP_ACCESS_LOG``): ``all``, ``errors`` (calls
    that failed or took at least ``slow_ms``; the default) or ``off``. Every call is still
    counted and timed in the metrics, and every read or write of personal data is in the
    audit log; a line per successful call cost ~36 µs of CPU per process and call (tests/perf)."""

    mode: str = "errors"
    slow_ms: float = 1000.0

    def wants(self, code: str, elapsed_ms: float) -> bool:
        if self.mode == "all":
            return True
        return self.mode == "errors" and (code != "OK" or elapsed_ms >= self.slow_ms)


def _sampling_off(provider: trace.TracerProvider) -> bool:
    return isinstance(provider, SdkTracerProvider) and provider.sampler is ALWAYS_OFF


def error_domain(method: str) -> str:
    """``/rhip.api.identity.v1.IdentityService/X`` → ``identity.rhip``."""
    parts = method.lstrip("/").split(".")
    return f"{parts[2]}.rhip" if len(parts) > 3 and parts[:2] == ["rhip", "api"] else "rhip"


class _Method:
    """What the chain needs to know about one method, worked out once."""

    __slots__ = (
        "_labels",
        "domain",
        "name",
        "password_change",
        "path",
        "public",
        "span_attributes",
        "span_name",
    )

    def __init__(self, path: str, public: bool, password_change: bool = False) -> None:
        self.path = path
        self.span_name = path.lstrip("/")
        service, _, self.name = self.span_name.partition("/")
        self.span_attributes = {
            "rpc.system": "grpc",
            "rpc.service": service,
            "rpc.method": self.name,
        }
        self.domain = error_domain(path)
        self.public = public
        self.password_change = password_change
        self._labels: dict[str, dict[str, str]] = {}

    def labels(self, code: str) -> dict[str, str]:
        """Metric attributes for this method and status code (one dict per code)."""
        labels = self._labels.get(code)
        if labels is None:
            labels = self._labels[code] = {"rpc.method": self.path, "rpc.grpc.status_code": code}
        return labels


class ServerInterceptor(grpc.ServerInterceptor):
    """The whole chain (see the module's docstring) as one wrapper per method, cached per
    method. Health and reflection are left alone. Streaming responses stay inside the chain
    while they stream."""

    def __init__(
        self,
        verifier: TokenVerifier,
        authorizer: Authorizer | None,
        tracer_provider: trace.TracerProvider,
        meter: Meter,
        public_methods: Iterable[str] = (),
        access_log: AccessLog | None = None,
        observer: RpcObserver | None = None,
    ) -> None:
        self._verifier = verifier
        self._observer = observer  # Prometheus counts (rhip.kit.metrics), when served
        self._authorizer = authorizer
        self._public = frozenset(public_methods)
        self._tracer = tracer_provider.get_tracer("rhip.kit.server")
        self._bare_spans = _sampling_off(tracer_provider)
        self._access_log = access_log or AccessLog()
        self._duration = meter.create_histogram(
            "rpc.server.duration", unit="ms", description="RPC latency (count: RPCs served)"
        )
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        handler = continuation(handler_call_details)
        if handler is None or method.startswith(INFRASTRUCTURE_PREFIXES):
            return handler
        cached = self._wrapped.get(method)
        if cached is None:
            cached = self._wrapped[method] = self._wrap_handler(handler, method)
        return cached

    def _wrap_handler(self, handler: grpc.RpcMethodHandler, path: str) -> grpc.RpcMethodHandler:
        """The chain around ``handler``. grpc receives the request as bytes (no
        ``request_deserializer``) and the chain parses it (``parse_request``), so that a
        message that does not decode is INVALID_ARGUMENT from inside the chain instead of
        grpcio's INTERNAL "Exception deserializing request!" before it. The gateway's
        handlers take bytes (no deserializer) and get none."""
        method = _Method(path, path in self._public, path in password_change_methods())
        kwargs = {"response_serializer": handler.response_serializer}
        deserializer = handler.request_deserializer
        parse = deserializer and _parsed(deserializer)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method, parse), **kwargs
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(handler.unary_stream, method, parse), **kwargs
            )
        each = deserializer and _each_parsed(deserializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, method, each), **kwargs
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(handler.stream_stream, method, each), **kwargs
        )

    # -- the chain, one call -----------------------------------------------------------------
    def _unary(self, behavior: Behavior, method: _Method, parse: Parser | None) -> Behavior:
        def run(request, context):
            call = _Call(self, method, context)
            try:
                try:
                    require_time("start it")  # its caller's deadline (rhip.kit.deadlines)
                    with acting_as(*self._authenticate(method, call)):
                        if parse is not None:
                            request = parse(request)
                        with holding_request(method.path, request):
                            return behavior(request, context)
                except Exception as error:
                    self._map_error(method, context, error)
                    raise  # the handler's own abort: keep its status
            except BaseException:
                call.failed()
                raise
            finally:
                call.finish()

        return run

    def _streaming(self, behavior: Behavior, method: _Method, parse: Parser | None) -> Behavior:
        def run(request, context):
            call = _Call(self, method, context)
            try:
                try:
                    require_time("start it")  # its caller's deadline (rhip.kit.deadlines)
                    with acting_as(*self._authenticate(method, call)):
                        if parse is not None:
                            request = parse(request)
                        with holding_request(method.path, request):
                            yield from behavior(request, context)
                except Exception as error:
                    self._map_error(method, context, error)
                    raise  # the handler's own abort: keep its status
            except BaseException:
                call.failed()
                raise
            finally:
                call.finish()

        return run

    # -- error mapping -----------------------------------------------------------------------
    @staticmethod
    def _map_error(method: _Method, context: grpc.ServicerContext, error: Exception) -> None:
        """Abort with the status for ``error``; returns only when the handler already
        aborted with a status of its own (the caller re-raises)."""
        if isinstance(error, RhipError):
            if error.code is grpc.StatusCode.INTERNAL:
                log.error("internal error in %s: %s", method.path, error.reason)
            context.abort_with_status(_with_request_id(to_status(error, method.domain)))
        if context.code() not in (None, grpc.StatusCode.OK):
            return
        log.exception("unhandled error in %s", method.path)
        internal = Internal("internal error; the request id identifies it")
        context.abort_with_status(_with_request_id(to_status(internal, method.domain)))

    # -- authentication ----------------------------------------------------------------------
    def _authenticate(
        self, method: _Method, call: _Call
    ) -> tuple[Principal | None, str, Principal | None]:
        """The verified caller, its token and the original caller it speaks for."""
        if method.public:
            return None, "", None
        metadata = call.metadata
        token = bearer_token(metadata)
        if token is None:
            raise Unauthenticated("this method needs a bearer token", reason="TOKEN_MISSING")
        principal = self._verifier.verify(token)
        if self._authorizer is not None:
            if self._authorizer.is_revoked(principal.session_id):
                raise session_revoked()
            if self._authorizer.is_blocked(principal.subject):
                raise subject_blocked()
            if not method.password_change and self._authorizer.must_change_password(
                principal.subject
            ):
                raise password_change_required()
        original = self._original_caller(principal, metadata)
        if call.recording:
            call.span.set_attribute("rhip.subject", principal.subject)
            call.span.set_attribute("rhip.tenant", principal.tenant_id)
        return principal, token, original

    def _original_caller(
        self, principal: Principal, metadata: Mapping[str, Any]
    ) -> Principal | None:
        """The caller named by ``x-rhip-on-behalf-of`` (cross-cell calls): only a service
        account may speak for someone, and that someone's token must verify too."""
        token = metadata.get(ON_BEHALF_OF_HEADER)
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


class _Call:
    """Request id and span of one call: set up on creation, torn down by ``finish``."""

    __slots__ = (
        "_deadline",
        "_deadline_token",
        "_request_id",
        "_span_token",
        "chain",
        "code",
        "context",
        "metadata",
        "method",
        "recording",
        "span",
        "start",
    )

    def __init__(self, chain: ServerInterceptor, method: _Method, context: grpc.ServicerContext):
        self.chain = chain
        self.method = method
        self.context = context
        # Read once: grpc builds a new tuple of tuples on every invocation_metadata() call.
        self.metadata: dict[str, Any] = dict(context.invocation_metadata())
        # request id (outermost, so the access log line below carries it)
        request_id = adopted_request_id(self.metadata.get(REQUEST_ID_HEADER)) or (
            os.urandom(16).hex()
        )
        self._request_id = set_request_id(request_id)
        self._deadline = deadline_from_remaining(context.time_remaining())
        self._deadline_token = set_deadline(self._deadline)
        try:
            context.set_trailing_metadata(((REQUEST_ID_HEADER, request_id),))
            # span (not ``start_as_current_span``: two generator context managers per call)
            parent = extract_context(self.metadata)
            if chain._bare_spans:
                self.span = _bare_span(parent)
            else:
                self.span = chain._tracer.start_span(
                    method.span_name,
                    context=parent,
                    kind=SpanKind.SERVER,
                    attributes=method.span_attributes,
                    record_exception=False,
                    set_status_on_exception=False,
                )
            self._span_token = otel_context.attach(trace.set_span_in_context(self.span))
        except BaseException:
            reset_deadline(self._deadline_token)
            reset_request_id(self._request_id)
            raise
        self.recording = self.span.is_recording()
        self.code = "OK"
        if chain._observer is not None:
            chain._observer.started()
        self.start = time.perf_counter()

    def failed(self) -> None:
        code = self.context.code()
        self.code = code.name if code else "UNKNOWN"
        self.span.set_status(Status(StatusCode.ERROR, self.code))

    def finish(self) -> None:
        try:
            elapsed_ms = (time.perf_counter() - self.start) * 1000
            method, code = self.method, self.code
            if self.recording:
                self.span.set_attribute("rpc.grpc.status_code", code)
            self.chain._duration.record(elapsed_ms, method.labels(code))
            if self.chain._observer is not None:
                self.chain._observer.finished(method.path, code, elapsed_ms / 1000)
            left = None if self._deadline is None else self._deadline - time.monotonic()
            if code == "OK" and left is not None and left <= 0:
                # Done, but too late: the caller (the gateway) has answered DEADLINE_EXCEEDED
                # already. Said here so that both logs tell the same story of this request id.
                log.warning(
                    "rpc %s OK %.1f ms, after its deadline: the caller was told DEADLINE_EXCEEDED",
                    method.name,
                    elapsed_ms,
                )
            elif code == "OK" and left is not None and left < ANSWER_MARGIN_SECONDS:
                # Done in time here, but the answer may still reach the caller after its
                # deadline (it is on its way): the caller may have heard DEADLINE_EXCEEDED.
                log.warning(
                    "rpc %s OK %.1f ms, %.0f ms before its deadline: the caller may have been "
                    "told DEADLINE_EXCEEDED",
                    method.name,
                    elapsed_ms,
                    left * 1000,
                )
            elif self.chain._access_log.wants(code, elapsed_ms):
                log.info("rpc %s %s %.1f ms", method.name, code, elapsed_ms)
        finally:
            self.span.end()
            otel_context.detach(self._span_token)
            reset_deadline(self._deadline_token)
            reset_request_id(self._request_id)


def parse_request(parse: Parser, data: Any) -> Any:
    """The request message from its wire bytes; a message that does not decode (corrupt or
    truncated bytes, invalid UTF-8 in a string field or map key, nesting beyond protobuf's
    recursion limit) is the caller's error, and so is a number an enum field does not define
    (proto3 parses it without complaint: ``rhip.kit.request_fields``) and a control character or an
    oversized string in any string field (``rhip.kit.request_fields``)."""
    try:
        message = parse(data)
    except DecodeError:
        raise InvalidArgument(
            "the request is not a valid message of this method's request type",
            reason="REQUEST_MALFORMED",
        ) from None
    # Every enum and string field, in one walk (rhip.kit.request_fields).
    found = check_fields(message)
    if found.enums:
        raise InvalidArgument(
            f"{found.enums[0].field}: {found.enums[0].description}",
            reason="ENUM_UNKNOWN",
            violations=found.enums,
        )
    bad = found.strings
    if bad:
        raise InvalidArgument(
            f"{bad[0].field}: {bad[0].description}",
            reason="CONTROL_CHARACTER" if bad[0].description == CONTROL else "STRING_TOO_LONG",
            violations=bad,
        )
    return message


def _parsed(parse: Parser) -> Parser:
    def parse_one(data: Any) -> Any:
        return parse_request(parse, data)

    return parse_one


def _each_parsed(parse: Parser) -> Parser:
    """For client-streaming methods: the request iterator, each message parsed as it is read
    (a bad one raises INVALID_ARGUMENT in the handler, which the chain maps)."""

    def parse_stream(requests: Iterable[Any]) -> Iterator[Any]:
        for data in requests:
            yield parse_request(parse, data)

    return parse_stream


class _Status(namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    pass


def _with_request_id(status: grpc.Status) -> grpc.Status:
    """``status`` with the call's request id in its trailers (an abort replaces the trailers
    set before)."""
    trailers = (*(status.trailing_metadata or ()), (REQUEST_ID_HEADER, current_request_id()))
    return _Status(status.code, status.details, trailers)


def _bare_span(parent: otel_context.Context) -> trace.Span:
    """What ALWAYS_OFF sampling makes of a server span, without the SDK's per-call work: a
    non-recording span in the caller's trace (or a new one), with a span id of its own, so
    logs and onward calls carry the trace."""
    caller = trace.get_current_span(parent).get_span_context()
    trace_id = caller.trace_id if caller.is_valid else random.getrandbits(128)
    span_id = random.getrandbits(64)
    if trace_id == INVALID_TRACE_ID or span_id == INVALID_SPAN_ID:  # 2**-64: draw again
        return _bare_span(parent)
    return NonRecordingSpan(
        SpanContext(
            trace_id,
            span_id,
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.DEFAULT),
            trace_state=caller.trace_state if caller.is_valid else None,
        )
    )


# For the gateway's HTTP listener (rhip.gateway.http): the same spans as the gRPC chain's.
bare_span = _bare_span
sampling_off = _sampling_off
