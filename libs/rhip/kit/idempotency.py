"""Idempotent retries, one key space per caller (AIP-155, docs/architecture.md §4).

A ``request_id`` is the caller's own name for one attempt at a change. Two callers choosing
the same id (by accident, or by guessing another caller's, as deterministic demo ids allow)
are two unrelated requests: each use case stores and looks up ``request_key(request_id)``,
a UUID derived from the caller and the id, never the bare id, so one caller's replay cannot
reach another caller's answer. A caller replaying its own id with a different request is
refused (``REQUEST_ID_REUSED``): ``claim`` compares a digest of the request with the one
remembered when the id was first used.

The request being served is held by the server interceptor (``holding_request``); its digest
leaves out credential fields, so the table never holds a fast hash of a password.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from google.protobuf.message import Message
from rhip.kit.authn import on_behalf_of, optional_principal
from rhip.kit.errors import invalid
from rhip.kit.requests import validate_request_id
from rhip.kit.schema import request_key as _REQUEST_KEY
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

# Fixed forever: changing it would make every stored key unreachable for its retries.
_NAMESPACE = uuid.UUID("0193a3c2-7e1d-7c55-9a43-5b1f9d2e6c10")
_CREDENTIAL_WORDS = ("password", "secret")

_held: ContextVar[tuple[str, Message] | None] = ContextVar("rhip_held_request", default=None)


@contextmanager
def holding_request(method: str, request: object) -> Iterator[None]:
    """Hold the request being served (for ``claim``'s digest) while its handler runs."""
    reset = _held.set((method, request) if isinstance(request, Message) else None)
    try:
        yield
    finally:
        _held.reset(reset)


def request_key(request_id: str, field: str = "request_id") -> str:
    """The caller's key for ``request_id`` ("" without one); INVALID_ARGUMENT unless a UUID.

    The key names the calling principal and, for a service account acting for someone, that
    someone too: the same id from two callers gives two keys."""
    request_id = validate_request_id(request_id, field)
    if not request_id:
        return ""
    principal, original = optional_principal(), on_behalf_of()
    caller = principal.subject if principal is not None else ""
    behalf = original.subject if original is not None else ""
    return str(uuid.uuid5(_NAMESPACE, f"{caller}\x1f{behalf}\x1f{request_id}"))


def request_digest() -> str:
    """A digest of the request being served (method and body, credentials left out); "" when
    no request is held (a use case called outside a server, as the demo seed does)."""
    held = _held.get()
    if held is None:
        return ""
    method, request = held
    body = request
    credentials = [f.name for f in request.DESCRIPTOR.fields if _is_credential(f.name)]
    if credentials:
        body = type(request)()
        body.CopyFrom(request)
        for name in credentials:
            body.ClearField(name)
    return hashlib.sha256(
        method.encode() + b"\x00" + body.SerializeToString(deterministic=True)
    ).hexdigest()


def _is_credential(name: str) -> bool:
    return any(word in name for word in _CREDENTIAL_WORDS)


def claim(conn: Connection, key: str, field: str = "request_id") -> bool:
    """Remember ``key`` for the request being served, in the caller's transaction (so it is
    kept exactly when the change is). A key remembered for a different request is refused
    with INVALID_ARGUMENT ``REQUEST_ID_REUSED``; the same request passes, and the use case
    answers it from what it stored under the key. True when the key was already remembered
    (a retry of a request that was carried out)."""
    if not key:
        return False
    if _check(conn, key, field):
        return True
    conn.execute(  # values as parameters: compiled once (rhip.kit.history says why)
        insert(_REQUEST_KEY),
        {"key": key, "digest": request_digest(), "create_time": datetime.now(UTC)},
    )
    return False


def check_reuse(conn: Connection, key: str, field: str = "request_id") -> bool:
    """``claim``'s refusal without remembering anything (for a look-up before the write);
    True when the key is remembered for this request (a retry)."""
    return bool(key) and _check(conn, key, field)


def _check(conn: Connection, key: str, field: str) -> bool:
    """Whether ``key`` is remembered; raises when it was remembered for another request."""
    earlier = conn.execute(
        select(_REQUEST_KEY.c.digest).where(_REQUEST_KEY.c.key == key)
    ).scalar_one_or_none()
    if earlier is None:
        return False
    digest = request_digest()
    if earlier and digest and earlier != digest:
        raise invalid(field, "was already used by you for a different request", "REQUEST_ID_REUSED")
    return True
