"""SQLAlchemy table objects for the kit's own tables (created by the kit migrations)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

audit_event = Table(
    "audit_event",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_time", String(32), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("actor_tenant", String(40), nullable=False),
    Column("action", String(120), nullable=False),
    Column("target", String(200), nullable=False),
    Column("scope_path", String(200), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

authz_rule = Table(
    "authz_rule",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("ptype", String(8), nullable=False),
    Column("v0", String(200), nullable=False, server_default=""),
    Column("v1", String(200), nullable=False, server_default=""),
    Column("v2", String(200), nullable=False, server_default=""),
    Column("v3", String(200), nullable=False, server_default=""),
    Column("v4", String(200), nullable=False, server_default=""),
    Column("v5", String(200), nullable=False, server_default=""),
)

authz_version = Table(
    "authz_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

# What each policy version changed (kit_0007), so replicas apply changes instead of
# reloading every rule (rhip.kit.policy_store); op "revoke" carries a session id in v0.
authz_change = Table(
    "authz_change",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("version", BigInteger, nullable=False, index=True),
    Column("op", String(8), nullable=False),
    Column("ptype", String(8), nullable=False, server_default=""),
    Column("v0", String(200), nullable=False, server_default=""),
    Column("v1", String(200), nullable=False, server_default=""),
    Column("v2", String(200), nullable=False, server_default=""),
)

# Sessions ended by SignOut (kit_0006k), until their last access token has expired: loaded
# with the policy (rhip.kit.authz), so every service refuses their tokens.
revoked_session = Table(
    "revoked_session",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("revoke_time", DateTime(timezone=True), nullable=False),
    Column("expire_time", DateTime(timezone=True), nullable=False),
)

request_key = Table(
    "request_key",
    metadata,
    Column("key", String(36), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
)

audit_resident = Table(
    "audit_resident",
    metadata,
    Column("resident_id", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
)

# Signed checkpoints of purged audit events (rhip.kit.audit_checkpoint): the chain's new
# anchor once the events before it are deleted.
audit_checkpoint = Table(
    "audit_checkpoint",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
    Column("event_count", BigInteger, nullable=False),
    Column("first_time", String(32), nullable=False),
    Column("last_time", String(32), nullable=False),
    Column("cutoff", String(32), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("prev_digest", String(64), nullable=False),
    Column("create_time", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", String(128), nullable=False),
)

# The durable outbox (rhip.kit.outbox, kit_0005): the last position handed out per
# (stream, key), and the events themselves.
outbox_key = Table(
    "outbox_key",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("last_position", BigInteger, nullable=False),
)

outbox_event = Table(
    "outbox_event",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("stream", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("enqueued_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(300), nullable=False, server_default=""),
    Column("lease_owner", String(64), nullable=False, server_default=""),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("replays", Integer, nullable=False, server_default="0"),
)
