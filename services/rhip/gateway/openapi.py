"""The OpenAPI 3 document of the HTTP bindings, generated from the descriptors
(rhip.gateway.http_rules) and the protos' comments.

The generated stubs carry no comments, so ``scripts/gen_openapi.py`` compiles the protos with
their source info, builds the document here and writes it next to the stubs
(``libs/rhip/api/openapi.json``, checked in, compared by ``--check`` like the stubs); the
gateway serves that file at ``/openapi.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import rhip.api
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from rhip.gateway import imports_openapi
from rhip.gateway.http_rules import Binding, bindings

OPENAPI_VERSION = "3.0.3"
FILE_NAME = "openapi.json"
_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?\}")
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "example": "1.5s"},
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated field paths (JSON names), e.g. `displayName,address`.",
    },
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
}
_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    # proto3 JSON writes 64-bit integers as strings
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64"},
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "A google.rpc.Status in the JSON shape of AIP-193.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer", "description": "The HTTP status."},
                "message": {"type": "string"},
                "status": {"type": "string", "description": "The gRPC code, e.g. NOT_FOUND."},
                "details": {
                    "type": "array",
                    "description": "google.rpc.ErrorInfo (reason, domain), google.rpc."
                    "BadRequest (fieldViolations), google.rpc.RetryInfo, each with its @type.",
                    "items": {"$ref": "#/components/schemas/google.protobuf.Any"},
                },
            },
        }
    },
}


Where = dict[tuple[int, ...], str]


def _walk_enum(enum: Any, path: tuple[int, ...], scope: str, where: Where, found: dict) -> None:
    name = f"{scope}.{enum.name}"
    found[name] = where.get(path, "")
    for k, value in enumerate(enum.value):
        found[f"{name}.{value.name}"] = where.get((*path, 2, k), "")


def _walk(message: Any, path: tuple[int, ...], scope: str, where: Where, found: dict) -> None:
    name = f"{scope}.{message.name}"
    found[name] = where.get(path, "")
    for k, field in enumerate(message.field):
        found[f"{name}.{field.name}"] = where.get((*path, 2, k), "")
    for k, nested in enumerate(message.nested_type):
        _walk(nested, (*path, 3, k), name, where, found)
    for k, enum in enumerate(message.enum_type):
        _walk_enum(enum, (*path, 4, k), name, where, found)


def comments_of(files: descriptor_pb2.FileDescriptorSet) -> dict[str, str]:
    """Full name (``pkg.Message``, ``pkg.Message.field``, ``pkg.Service.Method``, enum
    values) → its leading comment, from protoc's source info."""
    found: dict[str, str] = {}
    for file in files.file:
        where = {
            tuple(loc.path): loc.leading_comments.strip()
            for loc in file.source_code_info.location
            if loc.leading_comments.strip()
        }
        for i, message in enumerate(file.message_type):
            _walk(message, (4, i), file.package, where, found)
        for i, enum in enumerate(file.enum_type):
            _walk_enum(enum, (5, i), file.package, where, found)
        for i, service in enumerate(file.service):
            for k, method in enumerate(service.method):
                name = f"{file.package}.{service.name}.{method.name}"
                found[name] = where.get((6, i, 2, k), "")
    return {name: text for name, text in found.items() if text}


def _singular(collection: str) -> str:
    """``tenants`` → ``tenant``, ``pregnancies`` → ``pregnancy``, ``accesses`` → ``access``."""
    if collection.endswith("ies"):
        return collection[:-3] + "y"
    if collection.endswith("sses"):
        return collection[:-2]
    return collection[:-1] if collection.endswith("s") else collection


def _openapi_path(template: str) -> tuple[str, list[tuple[str, str, str]]]:
    """``/identity/v1/{name=tenants/*}`` → ``/identity/v1/tenants/{tenant}`` and its
    parameters (parameter, the request field it fills, the field's pattern)."""
    params: list[tuple[str, str, str]] = []

    def expand(found: re.Match[str]) -> str:
        field, pattern = found.group(1), found.group(2) or "*"
        segments = pattern.split("/")
        out = []
        for i, segment in enumerate(segments):
            if segment in ("*", "**"):
                collection = segments[i - 1] if i else field.split(".")[-1]
                name = _singular(collection)
                params.append((name, field, pattern))
                out.append("{" + name + "}")
            else:
                out.append(segment)
        return "/".join(out)

    return _VARIABLE.sub(expand, template), params


class _Builder:
    def __init__(self, comments: Mapping[str, str]) -> None:
        self.comments = comments
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.schemas["google.protobuf.Any"] = _WELL_KNOWN["google.protobuf.Any"]

    def ref(self, message: Descriptor) -> dict[str, Any]:
        name = message.full_name
        if name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[name])
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder: recursive messages
            self.schemas[name] = self._message(message)
        return {"$ref": f"#/components/schemas/{name}"}

    def _message(self, message: Descriptor) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": {}}
        if self.comments.get(message.full_name):
            schema["description"] = self.comments[message.full_name]
        for field in message.fields:
            schema["properties"][field.json_name] = self.field(field)
        return schema

    def _enum(self, enum: EnumDescriptor) -> dict[str, Any]:
        lines = [
            f"- `{v.name}`: {self.comments.get(f'{enum.full_name}.{v.name}', '')}".rstrip(": ")
            for v in enum.values
        ]
        return {
            "type": "string",
            "enum": [v.name for v in enum.values],
            "description": "\n".join(lines),
        }

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            schema: dict[str, Any] = {"type": "object", "additionalProperties": self.field(value)}
        else:
            if field.message_type is not None:
                single = self.ref(field.message_type)
            elif field.enum_type is not None:
                single = self._enum(field.enum_type)
            else:
                single = dict(_SCALARS[field.type])
            schema = {"type": "array", "items": single} if field.is_repeated else single
        text = self.comments.get(field.full_name)
        if text:
            if "$ref" in schema:  # OpenAPI 3.0 ignores siblings of $ref
                schema = {"allOf": [schema], "description": text}
            else:
                schema["description"] = (text + "\n" + schema.get("description", "")).strip()
        return schema

    def query_parameters(self, binding: Binding, bound: set[str]) -> list[dict[str, Any]]:
        if binding.body == "*":
            return []
        params = []
        for field in binding.method.input_type.fields:
            if field.name in bound or field.name == binding.body:
                continue
            if field.message_type is not None and field.message_type.full_name not in (
                "google.protobuf.Timestamp",
                "google.protobuf.FieldMask",
                "google.protobuf.Duration",
            ):
                continue  # messages travel in bodies
            params.append({"name": field.json_name, "in": "query", "schema": self.field(field)})
        return params


def build(comments: Mapping[str, str], all_bindings: Iterable[Binding] | None = None) -> dict:
    """The OpenAPI 3 document of every HTTP binding."""
    builder = _Builder(comments)
    paths: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for binding in sorted(all_bindings or bindings(), key=lambda b: (b.template, b.verb)):
        info = binding.info
        path, params = _openapi_path(binding.template)
        method_name = info.path.rsplit("/", 1)[1]
        service_name = info.service.rsplit(".", 1)[1]
        operation_id = f"{service_name}_{method_name}"
        seen[operation_id] = seen.get(operation_id, 0) + 1
        if seen[operation_id] > 1:
            operation_id += f"_{seen[operation_id]}"
        text = comments.get(f"{info.service}.{method_name}", method_name)
        parameters: list[dict[str, Any]] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": f"fills `{field}` (`{pattern}`)",
                "schema": {"type": "string"},
            }
            for name, field, pattern in params
        ]
        parameters += builder.query_parameters(
            binding, {field.split(".")[0] for _, field, _ in params}
        )
        parameters.append(
            {
                "name": "x-rhip-region",
                "in": "header",
                "required": info.public,
                "description": "GB/T 2260 code of the region whose cell serves the call "
                + ("(required: no token yet)" if info.public else "(default: the token's)"),
                "schema": {"type": "string", "pattern": "^[0-9]{6}$"},
            }
        )
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "tags": [service_name],
            "summary": text.split("\n")[0].rstrip("."),
            "description": text + f"\n\ngRPC: `{info.path.lstrip('/')}`",
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": builder.ref(binding.method.output_type)}
                    },
                },
                "default": {
                    "description": "An error (google.rpc.Status, AIP-193)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if info.public:
            operation["security"] = []
        if binding.body:
            if binding.body == "*":
                schema = builder.ref(binding.method.input_type)
            else:
                body_field = binding.method.input_type.fields_by_name[binding.body]
                assert body_field.message_type is not None
                schema = builder.ref(body_field.message_type)
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
        verb = binding.verb.lower()
        if verb in paths.setdefault(path, {}):
            raise ValueError(f"two methods bound to {binding.verb} {path}")
        paths[path][verb] = operation
    paths.update(imports_openapi.PATHS)
    builder.schemas.update(imports_openapi.SCHEMAS)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "rhip HTTP/JSON API",
            "version": "v1",
            "description": "Every public gRPC method of the platform over HTTP/JSON at the "
            "gateway (google.api.http bindings, AIP-127). Errors are google.rpc.Status "
            "(AIP-193). Log in with POST /identity/v1/tokens:login (header x-rhip-region), "
            "then send `Authorization: Bearer <accessToken>`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": dict(sorted(builder.schemas.items())),
        },
    }


def render(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def document_path() -> Path:
    """The checked-in document (next to the generated stubs)."""
    for root in map(Path, rhip.api.__path__):
        if (root / FILE_NAME).exists():
            return root / FILE_NAME
    return Path(next(iter(rhip.api.__path__))) / FILE_NAME


def load() -> dict:
    """The checked-in document, as the gateway serves it."""
    return json.loads(document_path().read_text(encoding="utf-8"))
