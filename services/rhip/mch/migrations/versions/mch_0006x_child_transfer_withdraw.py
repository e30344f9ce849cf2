"""Child transfers the source withdraws while pending (with its reason), and the target
institution's name as it was when the transfer was asked (what the child's record shows while
the transfer is open; across cells the source cannot look it up later).

Revision ID: mch_0006x
Revises: mch_0005v
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0006x"
down_revision = "mch_0005v"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("child_transfer") as batch:
        batch.add_column(
            sa.Column("withdraw_reason", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("target_name", sa.String(200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("child_transfer") as batch:
        batch.drop_column("target_name")
        batch.drop_column("withdraw_reason")
