"""The timeline index takes entries from the other services of the cell (archives, referral):
each keeps the source's read method whose permission shows it, and the scope paths that may
read it there (a referral has three: its sender, its receiver, the record's keeper).

Revision ID: emr_0002
Revises: emr_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0002"
down_revision = "emr_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty for emr's own documents: those are read by emr's own rules.
    op.add_column(
        "emr_timeline",
        sa.Column("read_method", sa.String(120), nullable=False, server_default=""),
    )
    op.create_table(
        "emr_timeline_scope",
        sa.Column("entry_id", sa.String(64), primary_key=True),
        sa.Column("scope_path", sa.String(120), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("emr_timeline_scope")
    op.drop_column("emr_timeline", "read_method")
