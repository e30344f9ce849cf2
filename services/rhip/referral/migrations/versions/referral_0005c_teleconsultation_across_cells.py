"""Teleconsultation across cells (issue 17): an agreement or a teleconsultation whose other
institution is in another region cell names that institution's region (``peer_region``); both
cells hold it under the same id, and every move is relayed to the other cell. Empty within one
cell, as every existing row is.

Revision ID: referral_0005c
Revises: referral_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "referral_0005c"
down_revision = "referral_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("cooperation_agreement", "teleconsultation"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("peer_region", sa.String(length=6), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in ("teleconsultation", "cooperation_agreement"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("peer_region")
