"""The resident locator: one claim per open health record, by keyed digest of the person's
identity document (never the document itself), with the key's id for rotation.

Revision ID: locator_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "locator_0001"
down_revision = None
branch_labels = ("locator",)
depends_on = "kit_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "open_record_claim",
        sa.Column("cell", sa.String(6), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("key_id", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("update_time", TZ, nullable=False),
    )
    op.create_index("ix_open_record_claim_digest", "open_record_claim", ["digest", "key_id"])


def downgrade() -> None:
    op.drop_table("open_record_claim")
