"""Family-doctor teams and contracts.

Revision ID: archives_0002
Revises: archives_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0002"
down_revision = "archives_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_team",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(op.f("ix_care_team_tenant_id"), "care_team", ["tenant_id"], unique=False)
    op.create_table(
        "care_contract",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("active_record_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("end_reason", sa.String(length=500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_record_id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        op.f("ix_care_contract_record_id"), "care_contract", ["record_id"], unique=False
    )
    op.create_index(op.f("ix_care_contract_team_id"), "care_contract", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_table("care_contract")
    op.drop_table("care_team")
