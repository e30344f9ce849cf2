"""HTTP bindings read from the descriptors' ``google.api.http`` annotations (AIP-127): which
HTTP method and path template reach which gRPC method, and how a request's path variables,
query parameters and JSON body become the request message (protobuf's ``json_format``).

Nothing here is written per RPC: a method with an annotation is reachable over HTTP, one
without (the cross-cell methods) is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.descriptor_pool import Default as default_pool
from google.protobuf.message import Message
from rhip.kit.apis import MethodInfo, methods
from rhip.kit.errors import InvalidArgument, clip, invalid

HTTP_VERBS = ("get", "put", "post", "delete", "patch")
_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?\}")
_PARSE_AT = re.compile(r' at "?[\w.\[\]]+"?\.*$')
_FAILED_FIELD = re.compile(r"Failed to parse (\w+) field: ")
_UNKNOWN_FIELD = re.compile(r'has no field named "(\w+)" at "([\w.]+)"')


def _segment_pattern(pattern: str) -> str:
    """A variable's pattern (``tenants/*``, ``**``) as a regular expression."""
    parts = []
    for segment in pattern.split("/"):
        if segment == "**":
            parts.append(r"[^:]+")
        elif segment == "*":
            parts.append(r"[^/:]+")
        else:
            parts.append(re.escape(segment))
    return "/".join(parts)


@dataclass(frozen=True)
class Binding:
    """One HTTP binding of one method."""

    verb: str  # "GET"
    template: str  # "/identity/v1/{name=tenants/*}"
    body: str  # "" (none), "*" (the whole request) or a field of the request
    info: MethodInfo
    method: MethodDescriptor
    regex: re.Pattern[str]
    variables: tuple[str, ...]  # field paths bound from the path, in order

    @property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.input_type)

    @property
    def response_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.output_type)

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        return {
            name: unquote(value) for name, value in zip(self.variables, found.groups(), strict=True)
        }

    def request(self, variables: Mapping[str, str], query: str, body: bytes) -> Message:
        """The request message: body, then query parameters, then path variables (the path
        wins). Bad JSON or a value its field cannot take is INVALID_ARGUMENT naming the field."""
        fields: dict[str, Any] = {}
        if self.body:
            document = _json_body(body)
            if self.body == "*":
                if not isinstance(document, dict):
                    raise invalid("body", "the body must be a JSON object", "REQUEST_MALFORMED")
                fields = document
            else:
                if not isinstance(document, dict):
                    raise invalid(self.body, "must be a JSON object", "REQUEST_MALFORMED")
                _put(fields, self.body, document)
        if self.body != "*":
            for name, value in parse_qsl(query, keep_blank_values=True):
                _put_query(fields, self.method.input_type, name, value)
        for name, value in variables.items():
            _put(fields, name, value)
        message = self.request_class()
        try:
            json_format.ParseDict(fields, message)
        except json_format.ParseError as error:
            raise _parse_error(str(error)) from None
        return message


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        where = (
            f" (line {error.lineno}, column {error.colno})"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise invalid("body", f"the body is not valid JSON{where}", "REQUEST_MALFORMED") from None


def _put(fields: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` (proto or JSON names) in a JSON-shaped dict."""
    *parents, last = path.split(".")
    for name in parents:
        child = fields.get(name)
        if not isinstance(child, dict):
            child = fields[name] = {}
        fields = child
    fields[last] = value


def _put_query(fields: dict[str, Any], message: Descriptor, name: str, value: str) -> None:
    """A query parameter (``pageSize=10``, ``update_mask=a,b``, repeated ``tag=x&tag=y``,
    ``overdueOnly=true``)."""
    descriptor: FieldDescriptor | None = None
    current = message
    for part in name.split("."):
        descriptor = current.fields_by_name.get(part) or current.fields_by_camelcase_name.get(part)
        if descriptor is None:
            raise invalid(name, "no such field in this request", "UNKNOWN_FIELD")
        if descriptor.message_type is not None:
            current = descriptor.message_type
    assert descriptor is not None
    typed: Any = value
    if descriptor.type == FieldDescriptor.TYPE_BOOL and value in ("true", "false"):
        typed = value == "true"  # JSON wants a boolean; a string stays (and is refused)
    if descriptor.is_repeated:
        *parents, last = name.split(".")
        holder = fields
        for part in parents:
            holder = holder.setdefault(part, {})
        holder.setdefault(last, []).append(typed)
    else:
        _put(fields, name, typed)


def _parse_error(text: str) -> InvalidArgument:
    """json_format's message (``Failed to parse tenant field: Failed to parse type field:
    Invalid enum value X ... at CreateTenantRequest.tenant.type.``) as one violation naming
    the request field (JSON names, as the caller wrote them) and the reason."""
    text = text.split("\n", 1)[0]
    unknown = _UNKNOWN_FIELD.search(text)
    if unknown:
        path = [*unknown.group(2).split(".")[1:], unknown.group(1)]
        return invalid(".".join(path), "no such field in this message", "UNKNOWN_FIELD")
    names = _FAILED_FIELD.findall(text)
    description = _FAILED_FIELD.sub("", text)
    description = _PARSE_AT.sub("", description).rstrip(".").strip() or "cannot be parsed"
    return invalid(".".join(names) or "body", clip(description), "REQUEST_MALFORMED")


def _bindings_of(info: MethodInfo, method: MethodDescriptor) -> Iterator[Binding]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return
    rule: http_pb2.HttpRule = options.Extensions[annotations_pb2.http]
    for one in (rule, *rule.additional_bindings):
        verb = one.WhichOneof("pattern")
        if verb not in HTTP_VERBS:
            continue
        template = getattr(one, verb)
        variables = tuple(m.group(1) for m in _VARIABLE.finditer(template))
        regex = ""
        last = 0
        for m in _VARIABLE.finditer(template):
            regex += re.escape(template[last : m.start()])
            regex += f"({_segment_pattern(m.group(2) or '*')})"
            last = m.end()
        regex += re.escape(template[last:])
        yield Binding(
            verb.upper(),
            template,
            one.body,
            info,
            method,
            re.compile(regex),
            variables,
        )


@cache
def bindings() -> tuple[Binding, ...]:
    """Every HTTP binding of every method, literal-richest templates first (so that
    ``/residents:lookup`` is tried before ``/{name=residents/*}``)."""
    pool = default_pool()
    found: list[Binding] = []
    for info in methods().values():
        service = pool.FindServiceByName(info.service)
        method = service.methods_by_name[info.path.rsplit("/", 1)[1]]
        found.extend(_bindings_of(info, method))
    return tuple(sorted(found, key=lambda b: (-len(_VARIABLE.sub("", b.template)), b.template)))


class Router:
    """(HTTP method, path) → binding and path variables."""

    def __init__(self, all_bindings: tuple[Binding, ...] | None = None) -> None:
        self._by_verb: dict[str, list[Binding]] = {}
        for binding in all_bindings if all_bindings is not None else bindings():
            self._by_verb.setdefault(binding.verb, []).append(binding)

    def match(self, verb: str, path: str) -> tuple[Binding, dict[str, str]] | bool | None:
        """The binding and its variables; None when no method has this path at all, False
        when one has it under another HTTP method (405)."""
        for binding in self._by_verb.get(verb, ()):
            variables = binding.match(path)
            if variables is not None:
                return binding, variables
        for other, candidates in self._by_verb.items():
            if other != verb and any(b.match(path) is not None for b in candidates):
                return False
        return None
