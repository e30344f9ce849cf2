"""Spot checks (抽查): samples of records and their findings.

Revision ID: archives_0004
Revises: archives_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0004"
down_revision = "archives_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spot_check",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("parent", sa.String(length=80), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(op.f("ix_spot_check_scope_path"), "spot_check", ["scope_path"], unique=False)
    op.create_table(
        "spot_check_item",
        sa.Column("spot_check_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("spot_check_id", "record_id"),
    )
    op.create_table(
        "spot_check_finding",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("spot_check_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_spot_check_finding_spot_check_id"),
        "spot_check_finding",
        ["spot_check_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_spot_check_finding_record_id"), "spot_check_finding", ["record_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("spot_check_finding")
    op.drop_table("spot_check_item")
    op.drop_table("spot_check")
