"""Resident presence: which cell holds a resident for an identity document, by the same keyed
digest as the claims (never the document itself), so that cells link their residents.

Revision ID: locator_0002
Revises: locator_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "locator_0002"
down_revision = "locator_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_presence",
        sa.Column("key_id", sa.String(20), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("cell", sa.String(6), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("update_time", TZ, nullable=False),
    )
    op.create_index("ix_resident_presence_resident", "resident_presence", ["cell", "resident_id"])


def downgrade() -> None:
    op.drop_table("resident_presence")
