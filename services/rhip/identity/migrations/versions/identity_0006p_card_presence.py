"""Where each resident's health card was last scanned (a valid dynamic code), per institution:
proof that the resident was there, which emr reads as a care relationship for 24 hours.

Revision ID: identity_0006p
Revises: identity_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0006p"
down_revision = "identity_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_presence",
        sa.Column("resident_id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("scan_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("card_presence")
