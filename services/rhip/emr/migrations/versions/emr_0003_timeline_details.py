"""Timeline entries say where and when in a reader's terms: the institution's name as the
source knew it (mch sends it; a name, not an id, where people read) and the clinical date, the
day the event happened (a visit's date), beside the time it was recorded.

Revision ID: emr_0003
Revises: emr_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0003"
down_revision = "emr_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty and NULL for the entries recorded before, and for sources that do not say.
    op.add_column(
        "emr_timeline",
        sa.Column("tenant_name", sa.String(200), nullable=False, server_default=""),
    )
    op.add_column("emr_timeline", sa.Column("clinical_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emr_timeline") as batch:
        batch.drop_column("clinical_date")
        batch.drop_column("tenant_name")
