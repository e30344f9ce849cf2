"""The institution each county designated for its birth certificates (DOMAIN §4.2, §4.3): one
row per county, replaced by a new designation (the audit log keeps each).

Revision ID: mch_0008b
Revises: mch_0008c
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0008b"
down_revision = "mch_0008c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bmc_issuer_designation",
        sa.Column("county", sa.String(length=6), primary_key=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("document_ref", sa.String(length=100), nullable=False),
        sa.Column("designated_by", sa.String(length=80), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bmc_issuer_designation")
