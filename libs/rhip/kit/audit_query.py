"""Searching the audit log (issue 12, "audit people can use"): who read or changed what, by
resident, actor, tenant, action and time, newest first, inside one region subtree.

Every service keeps its own hash-chained log (``rhip.kit.audit``); each answers this search
over its own log through its ``SearchAuditEvents`` method. "Who viewed this resident, when,
under which basis" is a search by resident: the events of reads and changes of that resident
(searches included: each returned resident is audited), with the caller's access basis
recorded at the time.

Events name a resident in their target (``residents/{id}``) or in their detail
(``"resident": id``); ``audit_resident`` indexes them by resident as they are appended.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.errors import Violations, invalid
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name
from rhip.kit.schema import audit_event, audit_resident
from rhip.kit.tenancy import catalog
from sqlalchemy import Connection, or_, select

if TYPE_CHECKING:
    from rhip.kit.authz import Authorizer
    from rhip.kit.db import Database

_ACTOR = re.compile(r"^(user|sa):[0-9A-Za-z-]{1,64}$")
_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$")


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; empty fields match everything. ``action`` may end in ``.*``.
    ``same_person``: residents whose events are the resident's too (a service that follows
    identity's merges names those merged into it), searched with ``resident_id`` only."""

    resident_id: str = ""
    actor: str = ""
    tenant_id: str = ""
    action: str = ""
    start: datetime | None = None
    end: datetime | None = None
    same_person: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditRecord:
    """One event as the log holds it (read model)."""

    seq: int
    event_time: str
    actor: str
    actor_tenant: str
    action: str
    target: str
    scope_path: str
    outcome: str
    trace_id: str
    request_id: str
    detail: dict[str, str]


def parse_filter(
    resident: str,
    actor: str,
    tenant: str,
    action: str,
    start: datetime | None,
    end: datetime | None,
) -> AuditFilter:
    """The filter from a request's fields; INVALID_ARGUMENT naming each bad one."""
    checks = Violations()
    resident_id = (
        checks.check(parse_resource_name, resident, "residents", "resident") if resident else ""
    ) or ""
    tenant_id = (
        checks.check(parse_resource_name, tenant, "tenants", "tenant") if tenant else ""
    ) or ""
    if actor and not _ACTOR.match(actor):
        checks.add("actor", "must look like user:{id} or sa:{id}", "ACTOR_FORMAT")
    if action and not _ACTION.match(action):
        checks.add("action", "must look like resident.read or resident.*", "ACTION_FORMAT")
    if start is not None and end is not None and end < start:
        checks.add("end_time", "must not be before start_time", "TIME_RANGE")
    checks.raise_if_any()
    return AuditFilter(resident_id, actor, tenant_id, action, start, end)


def search(
    conn: Connection, scope: str, where: AuditFilter, before_seq: int | None, limit: int
) -> list[AuditRecord]:
    """Events inside ``scope`` (a region path the caller may search) matching ``where``,
    newest first, strictly before ``before_seq`` when given; at most ``limit``."""
    e = audit_event
    query = select(e).where(or_(e.c.scope_path == scope, e.c.scope_path.like(f"{scope}/%")))
    if where.resident_id:
        about = audit_resident.c.resident_id
        whose = (
            about.in_(sorted({where.resident_id, *where.same_person}))
            if where.same_person
            else about == where.resident_id
        )
        query = query.where(e.c.seq.in_(select(audit_resident.c.seq).where(whose)))
    if where.actor:
        query = query.where(e.c.actor == where.actor)
    if where.tenant_id:
        query = query.where(e.c.actor_tenant == where.tenant_id)
    if where.action.endswith(".*"):
        query = query.where(e.c.action.like(where.action[:-1] + "%"))
    elif where.action:
        query = query.where(e.c.action == where.action)
    if where.start is not None:
        query = query.where(e.c.event_time >= _stamp(where.start))
    if where.end is not None:
        query = query.where(e.c.event_time < _stamp(where.end))
    if before_seq is not None:
        query = query.where(e.c.seq < before_seq)
    rows = conn.execute(query.order_by(e.c.seq.desc()).limit(limit)).mappings().all()
    return [_record(row) for row in rows]


def _stamp(value: datetime) -> str:
    """The log's own time format (``audit._now``): ISO 8601 in UTC with microseconds, which
    sorts as text."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _record(row: object) -> AuditRecord:
    r = dict(row)  # type: ignore[call-overload]
    detail = json.loads(r["detail"]) if r["detail"] else {}
    return AuditRecord(
        seq=r["seq"],
        event_time=r["event_time"],
        actor=r["actor"],
        actor_tenant=r["actor_tenant"],
        action=r["action"],
        target=r["target"],
        scope_path=r["scope_path"],
        outcome=r["outcome"],
        trace_id=r["trace_id"],
        request_id=r["request_id"],
        detail={str(k): str(v) for k, v in detail.items()},
    )


def parse_before(page_token_after: str | None) -> int | None:
    """The sequence number a page token continues before (``Page.after``)."""
    if page_token_after is None:
        return None
    try:
        return int(page_token_after)
    except ValueError:
        raise invalid("page_token", "is not a token from this list", "PAGE_TOKEN_INVALID") from None


def search_region(
    db: Database,
    authz: Authorizer,
    method: str,
    parent: str,
    where: AuditFilter,
    page: Page,
) -> tuple[list[AuditRecord], str]:
    """The use case behind every service's ``SearchAuditEvents`` (``method`` is its full
    name): permission at the parent region first (PERMISSION_DENIED for a region the caller
    may not search, known or not), then the search inside it; the search is audited too."""
    principal = current_principal()
    region = catalog().require(parse_resource_name(parent, "regions", "parent"), "parent")
    authz.require(principal, region.path, method)
    before = parse_before(page.after)
    with db.transaction(durable=False) as tx:
        rows = search(tx, region.path, where, before, page.size + 1)
        chunk = rows[: page.size]
        detail = {"hits": len(chunk)}
        if where.resident_id:
            detail["resident"] = where.resident_id  # type: ignore[assignment]
        audit.append(tx, audit.AuditEvent("audit.search", parent, region.path, detail=detail))
    token = page.next_token(str(chunk[-1].seq) if chunk else None, len(rows) > page.size)
    return chunk, token
