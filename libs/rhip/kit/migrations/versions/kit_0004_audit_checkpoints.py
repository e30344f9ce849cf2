"""Audit retention: signed checkpoints of purged events, and deletes allowed only below one.

Revision ID: kit_0004
Revises: kit_0003

``audit_event`` stays append-only for updates; a delete is refused unless the row lies at or
below the newest checkpoint's anchor (``last_seq``), so the database itself keeps anything
from being purged that no checkpoint seals. Checkpoints are append-only. ``audit_resident``
gets an index by sequence for the purge's deletes by range. (Written out in full: a
migration never imports live code.)
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0004"
down_revision = "kit_0003"
branch_labels = None
depends_on = None

_PG_GUARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE(
      (SELECT last_seq FROM audit_checkpoint ORDER BY number DESC LIMIT 1), 0) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION audit_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoint is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_append_only();
"""

_PG_UNGUARD = """
DROP TRIGGER audit_checkpoint_no_update ON audit_checkpoint;
DROP FUNCTION audit_checkpoint_append_only();
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
"""

_SQLITE_DELETE_GUARD = (
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "WHEN OLD.seq > COALESCE("
    "(SELECT last_seq FROM audit_checkpoint ORDER BY number DESC LIMIT 1), 0) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
)


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("event_count", sa.BigInteger, nullable=False),
        sa.Column("first_time", sa.String(32), nullable=False),
        sa.Column("last_time", sa.String(32), nullable=False),
        sa.Column("cutoff", sa.String(32), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("prev_digest", sa.String(64), nullable=False),
        sa.Column("create_time", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_resident_seq", "audit_resident", ["seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(_SQLITE_DELETE_GUARD)
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_checkpoint_no_{verb.lower()} BEFORE {verb} "
                "ON audit_checkpoint "
                "BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_UNGUARD)
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
    op.drop_index("ix_audit_resident_seq", "audit_resident")
    op.drop_table("audit_checkpoint")
