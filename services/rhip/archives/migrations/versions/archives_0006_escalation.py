"""Escalation of transfers to the county administrators of both sides.

Revision ID: archives_0006
Revises: archives_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0006"
down_revision = "archives_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_transfer") as batch:
        batch.add_column(sa.Column("escalation", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("record_transfer") as batch:
        batch.drop_column("escalation")
