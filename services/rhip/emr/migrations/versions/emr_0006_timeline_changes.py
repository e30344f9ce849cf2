"""The re-scopes of timeline entries emr applied (RescopeTimelineEntries): a record that
changes hands at its source (a child health record, a health record transferred to another
institution) sends one change of its entries' scope paths; emr keeps its event id so that a
redelivery changes nothing, even one that arrives after a later change of the same record.

Revision ID: emr_0006
Revises: emr_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0006"
down_revision = "emr_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emr_timeline_change",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36)),
        sa.Column("target", sa.String(120)),
        sa.Column("apply_time", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("emr_timeline_change")
