"""Kit tables in every service database: the hash-chained audit log and authorization rules.

Revision ID: kit_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0001"
down_revision = None
branch_labels = ("kit",)
depends_on = None

_APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("actor_tenant", sa.String(40), nullable=False),
        sa.Column("action", sa.String(120), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_event_scope", "audit_event", ["scope_path", "seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")

    op.create_table(
        "authz_rule",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("ptype", sa.String(8), nullable=False),
        sa.Column("v0", sa.String(200), nullable=False, server_default=""),
        sa.Column("v1", sa.String(200), nullable=False, server_default=""),
        sa.Column("v2", sa.String(200), nullable=False, server_default=""),
        sa.Column("v3", sa.String(200), nullable=False, server_default=""),
        sa.Column("v4", sa.String(200), nullable=False, server_default=""),
        sa.Column("v5", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ux_authz_rule", "authz_rule", ["ptype", "v0", "v1", "v2", "v3"], unique=True)
    op.create_table(
        "authz_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO authz_version (id, version) VALUES (1, 0)")

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_PG)
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )


def downgrade() -> None:
    op.drop_table("authz_version")
    op.drop_table("authz_rule")
    op.drop_table("audit_head")
    op.drop_table("audit_event")
