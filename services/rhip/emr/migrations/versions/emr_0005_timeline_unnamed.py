"""An index of the timeline entries that carry no institution name (stored before the sources
sent names, or when identity could not say at the time): the names worker
(rhip.emr.timeline.names) finds their institutions through it, in a few index pages instead of
a scan of the whole timeline, and as entries are named they leave it.

Revision ID: emr_0005
Revises: emr_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0005"
down_revision = "emr_0004"
branch_labels = None
depends_on = None

UNNAMED = "tenant_name IS NULL OR tenant_name = ''"


def upgrade() -> None:
    op.create_index(
        "ix_emr_timeline_unnamed",
        "emr_timeline",
        ["tenant_id"],
        postgresql_where=sa.text(UNNAMED),
        sqlite_where=sa.text(UNNAMED),
    )


def downgrade() -> None:
    op.drop_index("ix_emr_timeline_unnamed", table_name="emr_timeline")
