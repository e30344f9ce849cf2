"""Indicator counts per institution and day (rolled up per month and year), maintained by every
write of a record, its visits or its plans, so a region's indicators sum a few rows instead of
a pass over every record; filled here from the existing records.

The backfill runs rhip.archives.indicator_counts, the same code the writes run, so an
upgraded database holds exactly the counts the writes would have kept. That module reads and
writes through plain table clauses naming only the columns it needs (all present at this
revision), not the service's table classes.

Revision ID: archives_0009
Revises: archives_0008
"""

import sqlalchemy as sa
from alembic import op
from rhip.archives import indicator_counts

revision = "archives_0009"
down_revision = "archives_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    scope = sa.String(length=120).with_variant(sa.String(length=120, collation="C"), "postgresql")
    op.create_table(
        "indicator_count",
        sa.Column("scope_path", scope, nullable=False),
        sa.Column("managing_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in indicator_counts.METRICS),
        sa.PrimaryKeyConstraint(*indicator_counts.COUNT_KEY),
    )
    op.create_index(
        "ix_indicator_count_period", "indicator_count", ["grain", "period", "scope_path"]
    )
    indicator_counts.backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_indicator_count_period", table_name="indicator_count")
    op.drop_table("indicator_count")
