"""Idempotency keys per caller: which request each (caller, request id) key was first used for.

Revision ID: kit_0002
Revises: kit_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0002"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_key",
        sa.Column("key", sa.String(36), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_request_key_create_time", "request_key", ["create_time"])


def downgrade() -> None:
    op.drop_table("request_key")
