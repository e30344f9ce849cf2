"""The security suite's caller over the gateway's HTTP/JSON listener: the same ``call(rpc,
request, metadata)`` as ``rpcs.Caller``, so a test written for gRPC runs over HTTP unchanged.

A request message becomes an HTTP request the way a client would write it from the method's
``google.api.http`` binding (read from the descriptors, never per RPC): the bound fields go
into the path (percent-encoded, so a value that does not fit the template still reaches the
router and is refused there), the body field or the whole rest into a JSON body, and the
rest into query parameters. Metadata become headers (``authorization``, ``x-rhip-region``).

Every answer is checked as a browser would read it: an error is JSON ``google.rpc.Status``
(AIP-193) whose HTTP status is the one of its gRPC code and whose details are readable
objects (``@type`` plus fields, never a base64 ``value``); anything else is a fault, like an
INTERNAL over gRPC."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from rhip.gateway.http import HTTP_STATUS
from rhip.gateway.http_rules import Binding, bindings
from security.rpcs import SERVER_FAULTS, TIMEOUT, Outcome, Rpc


def bindings_of(rpc: Rpc) -> list[Binding]:
    """The HTTP bindings of ``rpc``; none for cross-cell, streaming and platform-tier methods
    (they stay gRPC only, test_openapi says which)."""
    return [b for b in bindings() if b.info.path == rpc.path and not b.info.client_streaming]


def binding_of(rpc: Rpc, message: Message | None = None) -> Binding | None:
    """The binding a client would use for ``message``: the first whose path can carry it
    (``/healthRecords`` for no parent, ``/{parent=tenants/*}/healthRecords`` for one)."""
    found = bindings_of(rpc)
    if message is not None:
        for binding in found:
            if fits(rpc, message, binding):
                return binding
    return found[0] if found else None


def _get(message: Message, path: str) -> Any:
    for part in path.split("."):
        message = getattr(message, part)
    return message


def _drop(document: dict[str, Any], message: Message, path: str) -> None:
    """Remove proto field path ``a.b`` (its JSON names) from a MessageToDict document."""
    descriptor = message.DESCRIPTOR
    parents, holders = path.split("."), [document]
    for part in parents:
        name = descriptor.fields_by_name[part].json_name
        if not isinstance(holders[-1], dict) or name not in holders[-1]:
            return
        if part != parents[-1]:
            holders.append(holders[-1][name])
            descriptor = descriptor.fields_by_name[part].message_type
        else:
            del holders[-1][name]


def _query(document: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A JSON document as query parameters: nested objects as dotted names, lists repeated."""
    found: list[tuple[str, str]] = []
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found.extend(_query(value, name + "."))
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                item = "true" if item else "false"
            found.append((name, str(item)))
    return found


def http_request(binding: Binding, message: Message) -> tuple[str, bytes | None]:
    """(path with query, body) of ``message`` sent through ``binding``."""
    document = json_format.MessageToDict(message)
    path = binding.template
    for variable in binding.variables:
        value = str(_get(message, variable))
        start = path.index("{" + variable)
        end = path.index("}", start) + 1
        pattern = path[start:end].split("=", 1)[1][:-1] if "=" in path[start:end] else "*"
        if not value:
            # A path cannot say "unset": a client names something there (a population's
            # name its body also spells out), and the server judges the request.
            value = pattern.replace("**", "x").replace("*", "x1")
        # Segments encoded one by one: a value with the pattern's segments matches it, one
        # without them (a record where the path says tenants/*) reaches the router and is
        # refused there.
        path = path[:start] + quote(value, safe="/") + path[end:]
        _drop(document, message, variable)
    body: bytes | None = None
    if binding.body == "*":
        body, document = json.dumps(document, ensure_ascii=False).encode(), {}
    elif binding.body:
        name = message.DESCRIPTOR.fields_by_name[binding.body].json_name
        body = json.dumps(document.pop(name, {}), ensure_ascii=False).encode()
    query = urlencode(_query(document))
    return path + (f"?{query}" if query else ""), body


def fits(rpc: Rpc, message: Message, binding: Binding | None = None) -> bool:
    """True when ``binding`` (default: the method's first) can carry ``message``: every bound
    field set and fitting the template (a record's name does not fit ``tenants/*``)."""
    binding = binding or binding_of(rpc)
    if binding is None or not all(str(_get(message, v)) for v in binding.variables):
        return False
    path = http_request(binding, message)[0].split("?", 1)[0]
    return binding.match(path) is not None


@dataclass
class HttpOutcome(Outcome):
    status: int = 0  # the HTTP status


@dataclass
class HttpCaller:
    """Calls through the gateway's HTTP listener; counts like ``rpcs.Caller`` and keeps every
    fault: a server fault, a deadline, a status that is not AIP-193's, an unreadable error."""

    port: int
    counts: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    unbound: set[str] = field(default_factory=set)  # RPCs asked for that have no binding

    def call(
        self,
        rpc: Rpc,
        request: Message | bytes,
        metadata: list[tuple[str, str]] | None = None,
        *,
        label: str = "",
        binding: Binding | None = None,
    ) -> HttpOutcome:
        """``binding``: one of the method's bindings (default: the one that fits)."""
        if isinstance(request, bytes):
            self.unbound.add(rpc.name)
            return HttpOutcome(grpc.StatusCode.UNIMPLEMENTED, details="raw bytes")
        binding = binding or binding_of(rpc, request)
        if binding is None:
            # Not expressible over HTTP: the gRPC axis covers it.
            self.unbound.add(rpc.name)
            return HttpOutcome(grpc.StatusCode.UNIMPLEMENTED, details="no HTTP binding")
        path, body = http_request(binding, request)
        headers = {key: value for key, value in metadata or []}
        if body is not None:
            headers["content-type"] = "application/json"
        self.counts["requests"] += 1
        status, raw = self._send(binding.verb, path, body, headers)
        outcome = self._outcome(rpc, status, raw)
        self.counts[outcome.code.name] += 1
        if outcome.code in SERVER_FAULTS or outcome.code is grpc.StatusCode.DEADLINE_EXCEEDED:
            self.faults.append(f"{rpc.name} {label}: {outcome.code.name} {outcome.details[:200]}")
        return outcome

    def send(
        self, verb: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, Any]:
        """A raw request (a missing header, a path no client would build): status and JSON."""
        status, raw = self._send(verb, path, body, headers)
        return status, json.loads(raw) if raw else None

    def _send(
        self, verb: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(verb, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _outcome(self, rpc: Rpc, status: int, raw: bytes) -> HttpOutcome:
        try:
            document = json.loads(raw)
        except ValueError:
            self.faults.append(f"{rpc.name}: HTTP {status}, not JSON: {raw[:120]!r}")
            return HttpOutcome(grpc.StatusCode.UNKNOWN, status=status, details="not JSON")
        if status == 200:
            message = rpc.parse_response(b"")
            try:  # every field known: the answer has the schema the descriptors say
                json_format.ParseDict(document, message)
            except json_format.ParseError as error:
                self.faults.append(f"{rpc.name}: the answer does not parse: {error}")
                return HttpOutcome(grpc.StatusCode.UNKNOWN, status=status, details=str(error))
            return HttpOutcome(grpc.StatusCode.OK, message, status=status)
        return self._error(rpc, status, document)

    def _error(self, rpc: Rpc, status: int, document: Any) -> HttpOutcome:
        error = document.get("error") if isinstance(document, dict) else None
        if not isinstance(error, dict) or error.get("status") not in grpc.StatusCode.__members__:
            self.faults.append(f"{rpc.name}: HTTP {status} is no google.rpc.Status: {document}")
            return HttpOutcome(grpc.StatusCode.UNKNOWN, status=status, details=str(document))
        code = grpc.StatusCode[error["status"]]
        expected = 405 if status == 405 else HTTP_STATUS.get(code)  # 405: the router's own
        if status != expected or error.get("code") != status:
            self.faults.append(f"{rpc.name}: HTTP {status} for {code.name} (AIP-193: {expected})")
        reason, violations = "", []
        for detail in error.get("details", []):
            if "value" in detail or "@type" not in detail:
                self.faults.append(f"{rpc.name}: a detail is not readable JSON: {detail}")
            kind = detail.get("@type", "")
            if kind.endswith("google.rpc.ErrorInfo"):
                reason = detail.get("reason", "")
            elif kind.endswith("google.rpc.BadRequest"):
                violations = [
                    (v.get("field", ""), v.get("description", ""))
                    for v in detail.get("fieldViolations", [])
                ]
        return HttpOutcome(
            code,
            details=str(error.get("message", "")),
            status=status,
            reason=reason,
            violations=tuple(violations),
        )
