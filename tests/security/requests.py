"""Requests built from a method's descriptor: the target field set, and the other fields a
caller would plausibly send filled by their names, so that a write reaches its permission
check with a body that could pass (a foreign caller with a sloppy body proves little)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from security.rpcs import Rpc, set_path

TEXT = "安全测试"
PASSWORD = "Security-Suite-Passw0rd-2"


def _filler(field: FieldDescriptor) -> Any:
    """A plausible value for a string or enum field, by its name; None to leave it unset."""
    name = field.name
    if field.type == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values if v.number]
        # The middle value: past the special first ones (a filing rate cannot be ranked, a
        # user cannot be made a service account) without being the newest, rarest one.
        return values[len(values) // 2] if values else None
    if name in ("sample_size", "permanent_population"):
        return 1
    if field.type != FieldDescriptor.TYPE_STRING:
        return None
    if name in ("township_code", "village_code"):
        return "001"
    if name == "role":
        return "practitioner"
    if name == "request_id":
        return str(uuid.uuid4())
    if name == "end_date":
        return date.today().replace(year=date.today().year + 1).isoformat()
    if name.endswith("date") or name == "as_of":
        return date.today().isoformat()
    if name == "method":
        return "signed_form"
    if "password" in name:
        return PASSWORD
    if name in ("reason", "resolution", "description", "display_name", "handover_note", "item"):
        return TEXT if name != "item" else "basic_info.blood_type_abo"
    if name.endswith("_reason") or name.endswith("_note"):
        return TEXT
    return None


def fill(message: Message, depth: int = 0) -> Message:
    """Fill unset top-level strings and enums by name (and those of set sub-messages)."""
    descriptor: Descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        if field.is_repeated:
            continue
        if field.message_type is not None:
            inner = field.message_type.full_name
            # The request's own sub-messages (a team, a consent, a follow-up) are made and
            # filled; timestamps and masks are left unset.
            if depth < 2 and (message.HasField(field.name) or not inner.startswith("google.")):
                fill(getattr(message, field.name), depth + 1)
            continue
        if getattr(message, field.name):
            continue
        value = _filler(field)
        if value is not None:
            setattr(message, field.name, value)
    return message


def aimed(rpc: Rpc, path: str, value: str) -> Message:
    """A request of ``rpc`` with ``path`` (``name``, ``tenant.name``) set to ``value``, the
    rest filled (``path`` empty: the target is the cell the call is routed to)."""
    message = rpc.request()
    if path:
        set_path(message, path, value)
    return fill(message)
