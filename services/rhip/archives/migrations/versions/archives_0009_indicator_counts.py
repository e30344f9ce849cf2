"""Indicator counts per institution and day (rolled up per month and year), maintained by every
write of a record, its visits or its plans, so a region's indicators sum a few rows instead of
a pass over every record.

Frozen like every migration: it creates the table only. The counts are derived data whose
rules live in rhip.archives.indicator_counts; the service fills them after migrating whenever
the rules version stored in ``indicator_rules`` (archives_0011) is not the code's, so an
upgraded database holds exactly the counts the writes would have kept under today's rules.

Revision ID: archives_0009
Revises: archives_0008
"""

import sqlalchemy as sa
from alembic import op

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
        # The six counts of this revision, written out: a migration never imports live code.
        *(
            sa.Column(m, sa.Integer(), nullable=False)
            for m in ("records", "dynamic", "qualified", "plans", "followed", "timely")
        ),
        sa.PrimaryKeyConstraint("scope_path", "managing_tenant_id", "grain", "period"),
    )
    op.create_index(
        "ix_indicator_count_period", "indicator_count", ["grain", "period", "scope_path"]
    )


def downgrade() -> None:
    op.drop_index("ix_indicator_count_period", table_name="indicator_count")
    op.drop_table("indicator_count")
