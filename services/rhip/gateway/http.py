"""The gateway's HTTP/JSON listener (``RHIP_GATEWAY_HTTP_LISTEN``): every method with a
``google.api.http`` binding (rhip.gateway.http_rules), transcoded to the same cell along the
same path as a gRPC call: bearer token verified against the same trust, the coarse guard,
the rate limiter, a request id, the caller's deadline (``grpc-timeout`` header) and W3C trace
context, then ``CellProxy.forward``. Replies are the response message in proto3 JSON; errors
are ``google.rpc.Status`` in the JSON shape of AIP-193 (``{"error": {code, message, status,
details}}`` with the HTTP status of the gRPC code and every detail readable JSON).

Also serves the OpenAPI 3 document of these bindings at ``/openapi.json``, an interactive
reference reading it at ``/docs/`` (rhip.gateway.reference, no CDN), the web console at
``/console/`` (rhip.gateway.console; ``/`` leads there) and the console's bulk imports at
``/onboarding/v1/imports`` (rhip.gateway.imports: not an RPC, the ``rhip admin import`` code run
here for the browser).

The HTTP server is waitress (Pylons project, pure Python, no dependencies): one I/O thread
and a fixed pool of worker threads running a blocking WSGI app, the same model as the gRPC
side (a thread pool whose handlers block on the cell's reply), so the transcoding code is
plain synchronous code sharing CellProxy with the gRPC handlers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2  # noqa: F401  (details readable as JSON)
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from rhip.gateway.console import CONSOLE_PREFIX, Console
from rhip.gateway.cors import Cors
from rhip.gateway.http_rules import Binding, Router, bindings
from rhip.gateway.import_peers import HOP_HEADER, PeerAnswer, Replicas
from rhip.gateway.imports import IMPORTS_PREFIX, ImportJobs
from rhip.gateway.proxy import ERROR_DOMAIN, REGION_HEADER, CellProxy
from rhip.gateway.reference import DOCS_PREFIX, SECURITY_HEADERS, Reference
from rhip.kit.authn import TokenVerifier, acting_as, bearer_token
from rhip.kit.deadlines import deadline_from_remaining, reset_deadline, set_deadline
from rhip.kit.errors import (
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RhipError,
    Unauthenticated,
    invalid,
    status_message,
)
from rhip.kit.interceptors import AccessLog, bare_span, sampling_off
from rhip.kit.metrics import RpcObserver
from rhip.kit.telemetry import (
    REQUEST_ID_HEADER,
    adopted_request_id,
    extract_context,
    reset_request_id,
    set_request_id,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # grpc's default largest message
OPENAPI_PATH = "/openapi.json"
# AIP-193: the HTTP status of each gRPC code.
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
REASONS = {200: "OK", 499: "Client Closed Request", 501: "Not Implemented"}
_TIMEOUT = re.compile(r"(\d{1,8})([HMSmun])")
_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
StartResponse = Callable[..., Any]
HOP_ENVIRON = "HTTP_" + HOP_HEADER.upper().replace("-", "_")


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} {REASONS.get(status, 'Error')}"


def _timeout(value: str | None) -> float | None:
    """``grpc-timeout`` (``5S``, ``300m``) in seconds, as grpc-gateway reads it."""
    if not value:
        return None
    found = _TIMEOUT.fullmatch(value.strip())
    if found is None:
        raise InvalidArgument(
            "grpc-timeout is digits and a unit (H, M, S, m, u, n), e.g. 5S",
            reason="TIMEOUT_MALFORMED",
        )
    return int(found.group(1)) * _UNITS[found.group(2)]


def error_body(error: RhipError, domain: str, status: int | None = None) -> tuple[int, bytes]:
    """The HTTP status and AIP-193 JSON of an error, details as readable JSON objects
    (``status``: the router's own, 405, in the body's ``code`` as in the status line)."""
    status = status or HTTP_STATUS.get(error.code, 500)
    message = status_message(error, domain)
    document = {
        "error": {
            "code": status,
            "message": message.message,
            "status": error.code.name,
            "details": [json_format.MessageToDict(detail) for detail in message.details],
        }
    }
    return status, json.dumps(document, ensure_ascii=False).encode()


class HttpGateway:
    """The WSGI application and its waitress server."""

    def __init__(
        self,
        proxy: CellProxy,
        verifier: TokenVerifier,
        tracer_provider: trace.TracerProvider,
        openapi: Callable[[], dict[str, Any]],
        workers: int = 4,
        access_log: AccessLog | None = None,
        observer: RpcObserver | None = None,
        cors: Cors | None = None,
        console_dir: str = "",
        replicas: Replicas | None = None,
    ) -> None:
        self._proxy = proxy
        self._cors = cors or Cors()
        self._verifier = verifier
        self._tracer = tracer_provider.get_tracer("rhip.gateway.http")
        self._bare_spans = sampling_off(tracer_provider)
        self._router = Router(
            tuple(b for b in bindings() if not (b.info.client_streaming or b.info.server_streaming))
        )
        self._openapi = openapi
        self._openapi_body: bytes | None = None
        self._reference = Reference()
        self._console = Console(console_dir)
        self.imports = ImportJobs(replicas)
        self._workers = workers
        self._access_log = access_log or AccessLog()
        # Prometheus: HTTP calls counted by method and gRPC code, as gRPC calls are.
        self._observer = observer
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- the server ----------------------------------------------------------------------------
    def start(self, address: str) -> int:
        from waitress.server import create_server

        host, _, port = address.rpartition(":")
        self._server = create_server(
            self,
            host=host.strip("[]"),
            port=int(port),
            threads=self._workers,
            max_request_body_size=MAX_BODY_BYTES,
            ident="rhip-gateway",
            clear_untrusted_proxy_headers=True,
        )
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(
            target=self._serve, args=(self._server,), name="http-gateway", daemon=True
        )
        self._thread.start()
        log.info("gateway serving HTTP/JSON on port %d", self.port)
        return self.port

    def _serve(self, server: Any) -> None:
        try:
            server.run()
        except OSError:
            # stop() closes the sockets from another thread; the I/O loop may be in select()
            # on one of them then (EBADF). Only then: any other time it is a real failure.
            if self._server is not None:
                raise

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        # Workers first (they wake the I/O loop through the trigger that close() shuts),
        # then the listening socket and every open connection; the loop ends when none is left.
        server.task_dispatcher.shutdown(timeout=2)
        server.close()
        for channel in list(server._map.values()):
            channel.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- one request ---------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        verb = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if self._cors.is_preflight(environ):
            return self._preflight(environ, start_response)
        start_response = self._cors.wrap(environ, start_response)
        if path == OPENAPI_PATH and verb == "GET":
            if self._openapi_body is None:
                self._openapi_body = json.dumps(self._openapi(), ensure_ascii=False).encode()
            return self._reply(start_response, 200, self._openapi_body, "")
        if verb == "GET" and (path == "/docs" or path.startswith(DOCS_PREFIX)):
            asset = self._reference.get(path if path != "/docs" else DOCS_PREFIX)
            if asset is not None:
                if path == "/docs":  # relative links need the slash
                    start_response("301 Moved Permanently", [("Location", DOCS_PREFIX)])
                    return [b""]
                start_response("200 OK", [("Content-Type", asset[0]), *SECURITY_HEADERS])
                return [asset[1]]
        if verb == "GET" and (path in ("/", "/console") or path.startswith(CONSOLE_PREFIX)):
            if not path.startswith(CONSOLE_PREFIX):  # the console is the front page
                start_response("302 Found", [("Location", CONSOLE_PREFIX)])
                return [b""]
            page_status, page_headers, page = self._console.get(path)
            start_response(_status_line(page_status), page_headers)
            return [page]
        if path == IMPORTS_PREFIX or path.startswith(IMPORTS_PREFIX + "/"):
            return self._imports_call(verb, path, environ, start_response)
        started = time.perf_counter()
        request_id = adopted_request_id(environ.get("HTTP_X_REQUEST_ID")) or os.urandom(16).hex()
        request_token = set_request_id(request_id)
        binding: Binding | None = None
        span_token = deadline_token = None
        status, code = 500, "INTERNAL"
        if self._observer is not None:
            self._observer.started()
        try:
            headers = {
                "traceparent": environ.get("HTTP_TRACEPARENT", ""),
                "tracestate": environ.get("HTTP_TRACESTATE", ""),
            }
            span = self._span(verb, path, extract_context(headers))
            span_token = otel_context.attach(trace.set_span_in_context(span))
            try:
                remaining = _timeout(environ.get("HTTP_GRPC_TIMEOUT"))
                deadline_token = set_deadline(deadline_from_remaining(remaining))
                route = self._router.match(verb, path)
                if not isinstance(route, tuple):
                    raise self._no_route(verb, path, route is False)
                binding, variables = route
                body = self._proxy_call(binding, variables, environ, remaining)
                status, code = 200, "OK"
                return self._reply(start_response, 200, body, request_id)
            except RhipError as error:
                code = error.code.name
                wrong_verb = error.reason == "HTTP_METHOD_NOT_ALLOWED"
                status, body = error_body(
                    error, error.domain or _domain(binding), 405 if wrong_verb else None
                )
                return self._reply(start_response, status, body, request_id, error)
            except Exception:
                log.exception("unhandled error in HTTP %s %s", verb, path)
                internal = Internal("internal error; the request id identifies it")
                status, body = error_body(internal, ERROR_DOMAIN)
                return self._reply(start_response, status, body, request_id)
            finally:
                span.end()
        finally:
            if span_token is not None:
                otel_context.detach(span_token)
            if deadline_token is not None:
                reset_deadline(deadline_token)
            reset_request_id(request_token)
            elapsed_ms = (time.perf_counter() - started) * 1000
            if self._observer is not None:
                where = binding.info.path if binding is not None else "(no route)"
                self._observer.finished(where, code, elapsed_ms / 1000)
            if self._access_log.wants(code, elapsed_ms):
                where = binding.template if binding is not None else "(no route)"
                log.info("http %s %s %d %.1f ms", verb, where, status, elapsed_ms)

    def _proxy_call(
        self,
        binding: Binding,
        variables: dict[str, str],
        environ: dict[str, Any],
        remaining: float | None,
    ) -> bytes:
        info = binding.info
        incoming: dict[str, Any] = {}
        region = environ.get("HTTP_X_RHIP_REGION")
        if region:
            incoming[REGION_HEADER] = region
        principal = None
        token = ""
        if not info.public:  # public methods ignore any token, as over gRPC
            authorization = environ.get("HTTP_AUTHORIZATION")
            if authorization is not None:
                incoming["authorization"] = authorization
            token = bearer_token(incoming) or ""
            if not token:
                raise Unauthenticated("this method needs a bearer token", reason="TOKEN_MISSING")
            principal = self._verifier.verify(token)
        with acting_as(principal, token):
            request = binding.request(variables, environ.get("QUERY_STRING", ""), _body(environ))
            peer = f"ipv4:{environ.get('REMOTE_ADDR', '')}:{environ.get('REMOTE_PORT', '0')}"
            cell, metadata, timeout = self._proxy.admit(info, incoming, peer, remaining)
            reply = self._proxy.forward(info, cell, request.SerializeToString(), metadata, timeout)
        message = binding.response_class.FromString(reply)
        return json.dumps(json_format.MessageToDict(message), ensure_ascii=False).encode()

    def _imports_call(
        self, verb: str, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        """Start an import run (POST) or read one (GET), as the verified caller; a read of a
        job another replica runs answers what that replica answered."""
        request_id = adopted_request_id(environ.get("HTTP_X_REQUEST_ID")) or os.urandom(16).hex()
        try:
            authorization = environ.get("HTTP_AUTHORIZATION")
            token = bearer_token({"authorization": authorization} if authorization else {})
            if not token:
                raise Unauthenticated("this needs a bearer token", reason="TOKEN_MISSING")
            principal = self._verifier.verify(token)
            if verb == "POST" and path == IMPORTS_PREFIX:
                try:
                    body = json.loads(_body(environ) or b"null")
                except ValueError:
                    raise invalid("body", "is not JSON", "IMPORT_BODY") from None
                job = self.imports.start(principal, token, body)
            elif verb == "GET" and path != IMPORTS_PREFIX:
                found = self.imports.get(
                    principal,
                    token,
                    path.removeprefix(IMPORTS_PREFIX + "/"),
                    request_id=request_id,
                    forwarded=HOP_ENVIRON in environ,
                )
                if isinstance(found, PeerAnswer):
                    return self._relay(start_response, found, request_id)
                job = found
            else:
                raise self._no_route(verb, path, True)
            answer = json.dumps(job.to_json(), ensure_ascii=False).encode()
            return self._reply(start_response, 200, answer, request_id)
        except RhipError as error:
            wrong_verb = error.reason == "HTTP_METHOD_NOT_ALLOWED"
            status, body = error_body(error, ERROR_DOMAIN, 405 if wrong_verb else None)
            return self._reply(start_response, status, body, request_id, error)

    @staticmethod
    def _relay(start_response: StartResponse, answer: PeerAnswer, request_id: str) -> list[bytes]:
        """The owner replica's answer to a forwarded read, status and body as they came."""
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(answer.body))),
            (REQUEST_ID_HEADER, request_id),
        ]
        if answer.retry_after is not None:
            headers.append(("Retry-After", answer.retry_after))
        if answer.status == 401:
            headers.append(("WWW-Authenticate", "Bearer"))
        start_response(_status_line(answer.status), headers)
        return [answer.body]

    def _preflight(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """A browser's CORS preflight: 204 for a listed origin, a JSON 403 for another (with
        no CORS header, so the browser sends nothing); no cell is asked either way."""
        headers = self._cors.preflight_headers(environ["HTTP_ORIGIN"])
        if headers is not None:
            start_response("204 No Content", [*headers, ("Content-Length", "0")])
            return [b""]
        refused = PermissionDenied(
            "this origin may not call the API from a browser", reason="CORS_ORIGIN_NOT_ALLOWED"
        )
        status, body = error_body(refused, ERROR_DOMAIN)
        return self._reply(start_response, status, body, "")

    def _span(self, verb: str, path: str, parent: otel_context.Context) -> trace.Span:
        if self._bare_spans:
            return bare_span(parent)
        return self._tracer.start_span(
            f"HTTP {verb}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": verb},
        )

    @staticmethod
    def _no_route(verb: str, path: str, other_verb: bool) -> RhipError:
        if other_verb:
            error: RhipError = RhipError(
                f"{verb} is not allowed on this path", reason="HTTP_METHOD_NOT_ALLOWED"
            )
            error.code = grpc.StatusCode.UNIMPLEMENTED
            return error
        return NotFound("no method is bound to this HTTP path", reason="HTTP_PATH_UNKNOWN")

    @staticmethod
    def _reply(
        start_response: StartResponse,
        status: int,
        body: bytes,
        request_id: str,
        error: RhipError | None = None,
    ) -> list[bytes]:
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        if request_id:
            headers.append((REQUEST_ID_HEADER, request_id))
        if error is not None and error.retry_after_seconds is not None:
            headers.append(("Retry-After", str(max(1, round(error.retry_after_seconds)))))
        if status == 401:
            headers.append(("WWW-Authenticate", "Bearer"))
        start_response(_status_line(status), headers)
        return [body]


def _domain(binding: Binding | None) -> str:
    return f"{binding.info.api}.rhip" if binding is not None else ERROR_DOMAIN


def _body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""
