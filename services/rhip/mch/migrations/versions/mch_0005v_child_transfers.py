"""Child transfers (DOMAIN §3.3, §3.4): a child's health management moving to another
institution or, at school entry, to a school-health institution. ``open_record`` is the record
id while a transfer is PENDING and NULL after; its unique index keeps one open transfer per
child.

Revision ID: mch_0005v
Revises: mch_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0005v"
down_revision = "mch_0004m"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_transfer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("source_tenant_id", sa.String(36), nullable=False),
        sa.Column("source_scope", sa.String(200), nullable=False),
        sa.Column("target_tenant_id", sa.String(36), nullable=False),
        sa.Column("target_scope", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("consent_reference", sa.String(200), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("decline_reason", sa.String(500), nullable=False),
        sa.Column("moved_visits", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decide_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=True, unique=True),
        sa.Column("open_record", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_child_transfer_record_id", "child_transfer", ["record_id"])
    op.create_index("ix_child_transfer_source_tenant_id", "child_transfer", ["source_tenant_id"])
    op.create_index("ix_child_transfer_target_tenant_id", "child_transfer", ["target_tenant_id"])


def downgrade() -> None:
    op.drop_table("child_transfer")
