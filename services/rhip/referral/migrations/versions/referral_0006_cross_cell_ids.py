"""Time-ordered ids across cells (issue 17): the id an agreement or a teleconsultation request
across cells gets is chosen at the first attempt (a UUIDv7) and kept under the request key, so
every retry names the same one in the other cell (rhip.referral.teleconsults.cross_ids).

Revision ID: referral_0006
Revises: referral_0005c
"""

import sqlalchemy as sa
from alembic import op

revision = "referral_0006"
down_revision = "referral_0005c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cross_cell_id",
        sa.Column("request_key", sa.String(length=36), primary_key=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cross_cell_id")
