"""Pregnancy transfers (DOMAIN §3.1): a woman who moves has her open pregnancy's management
moved to another institution of the cell. ``open_pregnancy`` is the pregnancy id while a
transfer is PENDING and NULL after; its unique index keeps one open transfer per pregnancy.

Revision ID: mch_0013t
Revises: mch_0013a
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0013t"
down_revision = "mch_0013a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pregnancy_transfer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("source_tenant_id", sa.String(36), nullable=False),
        sa.Column("source_scope", sa.String(200), nullable=False),
        sa.Column("target_tenant_id", sa.String(36), nullable=False),
        sa.Column("target_scope", sa.String(200), nullable=False),
        sa.Column("requested_by", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("decline_reason", sa.String(500), nullable=False),
        sa.Column("withdraw_reason", sa.String(500), nullable=False),
        sa.Column("target_name", sa.String(200), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decide_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=True, unique=True),
        sa.Column("open_pregnancy", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_pregnancy_transfer_pregnancy_id", "pregnancy_transfer", ["pregnancy_id"])
    op.create_index(
        "ix_pregnancy_transfer_source_tenant_id", "pregnancy_transfer", ["source_tenant_id"]
    )
    op.create_index(
        "ix_pregnancy_transfer_target_tenant_id", "pregnancy_transfer", ["target_tenant_id"]
    )


def downgrade() -> None:
    op.drop_table("pregnancy_transfer")
