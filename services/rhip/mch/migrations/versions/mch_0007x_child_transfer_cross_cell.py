"""Child transfers across cells: both cells keep a row under the transfer id the source chose,
each naming the other side's region (``peer_region``, empty within a cell). The state column
gains HANDING_OVER (the record on its way), which fits its 12 characters.

Revision ID: mch_0007x
Revises: mch_0006x
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0007x"
down_revision = "mch_0006x"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("child_transfer") as batch:
        batch.add_column(sa.Column("peer_region", sa.String(6), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("child_transfer") as batch:
        batch.drop_column("peer_region")
