"""The emr tables (created by the migrations, described here for the queries) and what every
feature store shares: the caller's connection. Nothing here commits: the use case owns the
transaction. Every query that can return documents takes the caller's scopes or the resident
the caller has a basis for, and filters in SQL."""

from __future__ import annotations

from datetime import datetime

from rhip.kit.db import utc
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()
TZ = DateTime(timezone=True)

document = Table(
    "emr_document",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("doc_id", String(36)),
    Column("custodian_tenant_id", String(36)),
    Column("scope_path", String(120)),
    Column("source_system", String(64)),
    Column("source_document_id", String(64)),
    Column("version", Integer),
    Column("kind", String(24)),
    Column("resident_id", String(36)),
    Column("effective_time", TZ),
    Column("is_current", Integer),
    Column("content_hash", String(64)),
    Column("body", Text),
    Column("create_time", TZ),
    Column("request_key", String(36)),
)

parked = Table(
    "emr_parked",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("custodian_tenant_id", String(36)),
    Column("scope_path", String(120)),
    Column("source_system", String(64)),
    Column("source_document_id", String(64)),
    Column("version", Integer),
    Column("kind", String(24)),
    Column("reason", String(40)),
    Column("body", Text),
    Column("identifiers", LargeBinary),
    Column("create_time", TZ),
)

consent = Table(
    "emr_consent",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(36)),
    Column("grantee_tenant_id", String(36)),
    Column("scope_path", String(120)),
    Column("purpose", String(200)),
    Column("kinds", String(200)),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("reference", String(200)),
    Column("revoke_time", TZ),
    Column("revoke_reason", String(500)),
    Column("recorded_by", String(80)),
    Column("create_time", TZ),
    Column("request_key", String(36)),
    Column("given_by", String(10), nullable=False, server_default="RESIDENT"),
    Column("guardian_relationship", String(10)),
)

break_glass = Table(
    "emr_break_glass",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(36)),
    Column("subject", String(80)),
    Column("tenant_id", String(36)),
    Column("scope_path", String(120)),
    Column("reason", String(500)),
    Column("start_time", TZ),
    Column("expire_time", TZ),
    Column("uses", Integer),
    Column("review_state", String(12)),
    Column("review_note", String(500)),
    Column("reviewer", String(80)),
    Column("request_key", String(36)),
)

lab_mapping = Table(
    "emr_lab_mapping",
    metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("local_code", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("loinc_code", String(10)),
    Column("create_time", TZ),
    Column("request_key", String(36)),
)

timeline = Table(
    "emr_timeline",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(36)),
    Column("occur_time", TZ),
    Column("source", String(16)),
    Column("kind", String(40)),
    Column("target", String(120)),
    Column("tenant_id", String(36)),
    Column("scope_path", String(120)),
    Column("sort_key", String(64)),
    # The source's read method whose permission shows the entry; empty for emr's documents.
    Column("read_method", String(120)),
    # The institution's name as the source sent it, and the day the event happened (emr_0003).
    Column("tenant_name", String(200)),
    Column("clinical_date", Date),
)

# The scope paths that may read a source's entry at its source (one row each).
timeline_scope = Table(
    "emr_timeline_scope",
    metadata,
    Column("entry_id", String(64), primary_key=True),
    Column("scope_path", String(120), primary_key=True),
)

# The re-scopes applied (RescopeTimelineEntries, emr_0006), by the source's event id: a
# redelivery, even one arriving after a later change of the same record, changes nothing.
timeline_change = Table(
    "emr_timeline_change",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("resident_id", String(36)),
    Column("target", String(120)),
    Column("apply_time", TZ),
)


# identity's resident change feed (emr_0008): how far emr has applied it, and the merges it
# applied: while a merge stands, the survivor's timeline shows the merged resident's entries.
resident_change_cursor = Table(
    "emr_resident_change_cursor",
    metadata,
    Column("source", String(20), primary_key=True),
    Column("last_sequence", BigInteger),
    Column("update_time", TZ),
)

timeline_merge = Table(
    "emr_timeline_merge",
    metadata,
    Column("merge_id", String(36), primary_key=True),
    Column("survivor_id", String(36)),
    Column("merged_id", String(36)),
    Column("state", String(10)),  # active, undone
    Column("merge_sequence", BigInteger),
    Column("undo_sequence", BigInteger),
    Column("apply_time", TZ),
    Column("undo_time", TZ),
)


class StoreBase:
    def __init__(self, connection: Connection) -> None:
        self.s = connection


def at(value: datetime | None) -> datetime:
    """A stored time (never NULL where this is used) as an aware UTC datetime."""
    stamp = utc(value)
    assert stamp is not None
    return stamp
