"""Indicator counts per institution and day (rolled up per month and year), maintained by
every write that changes what a pregnancy or a child counts for, so a region's indicators sum
a few rows instead of a pass over every pregnancy and child; the version of the rules they
were computed under; an index to find a child's mother's pregnancy from the newborn.

Frozen like every migration: it creates the tables only. The counts are derived data whose
rules live in rhip.mch.indicators.rules; ``mch_indicator_rules`` starts empty on purpose, so
the service fills the counts from the existing rows right after migrating (the same
transaction as nothing else: counts.bring_up_to_date, run by migrate_mch and build_mch), and
again whenever the rules version changes.

Revision ID: mch_0004m
Revises: mch_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0004m"
down_revision = "mch_0003"
branch_labels = None
depends_on = None

# The counts of this revision, written out: a migration never imports live code.
METRICS = (
    "acuity_6y", "children", "children_eye_checked", "children_seen", "early", "high_risk",
    "high_risk_managed", "live_births", "live_deliveries", "newborns_visited", "poor_vision_6y",
    "postpartum_visited", "registered",
)  # fmt: skip


def upgrade() -> None:
    # Byte order on PostgreSQL: a LIKE 'prefix/%' on the scope is an index range.
    scope = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")
    op.create_table(
        "mch_indicator_count",
        sa.Column("scope_path", scope, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in METRICS),
        sa.PrimaryKeyConstraint("scope_path", "tenant_id", "grain", "period"),
    )
    # A read as of D takes three ranges (earlier years, earlier months of D's year, days of
    # D's month up to D) out of the whole history, future rows included: by grain and period.
    op.create_index(
        "ix_mch_indicator_count_period", "mch_indicator_count", ["grain", "period", "scope_path"]
    )
    op.create_table(
        "mch_indicator_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )
    # A child's newborn visit changes its mother's newborn-visit count: found by the newborn.
    op.create_index("ix_newborn_resident_id", "newborn", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_newborn_resident_id", table_name="newborn")
    op.drop_table("mch_indicator_rules")
    op.drop_index("ix_mch_indicator_count_period", table_name="mch_indicator_count")
    op.drop_table("mch_indicator_count")
