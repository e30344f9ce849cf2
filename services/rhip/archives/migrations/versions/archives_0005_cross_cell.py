"""Cross-cell transfers: the region of the other side of a transfer.

Revision ID: archives_0005
Revises: archives_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0005"
down_revision = "archives_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_transfer") as batch:
        batch.add_column(
            sa.Column("peer_region", sa.String(length=6), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("record_transfer") as batch:
        batch.drop_column("peer_region")
