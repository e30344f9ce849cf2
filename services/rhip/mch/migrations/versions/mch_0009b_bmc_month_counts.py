"""The monthly birth-certificate report's counts per holder and month (rolled up per year),
maintained by every register row and serial change, so a province's month sums a few rows per
holder instead of its register rows and every serial; and the version they were computed
under.

Frozen like every migration: it creates the tables only. ``bmc_month_count_state`` starts
empty on purpose, so the service fills the counts from the existing rows right after migrating
(rhip.mch.stock.month_counts.bring_up_to_date, run by migrate_mch and build_mch).

Revision ID: mch_0009b
Revises: mch_0008b
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0009b"
down_revision = "mch_0008b"
branch_labels = None
depends_on = None

METRICS = ("first_issued", "replacements", "reissues", "voided_issued", "voided_blank", "lost",
           "destroyed", "on_hand")  # fmt: skip


def upgrade() -> None:
    # Byte order on PostgreSQL: a LIKE 'prefix/%' on the scope is an index range.
    scope = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")
    op.create_table(
        "bmc_month_count",
        sa.Column("scope_path", scope, nullable=False),
        sa.Column("holder", sa.String(length=50), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in METRICS),
        sa.PrimaryKeyConstraint("scope_path", "holder", "grain", "period"),
    )
    # A report reads one month's rows, or every year's, under a scope prefix.
    op.create_index(
        "ix_bmc_month_count_period", "bmc_month_count", ["grain", "period", "scope_path"]
    )
    op.create_table(
        "bmc_month_count_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bmc_month_count_state")
    op.drop_index("ix_bmc_month_count_period", table_name="bmc_month_count")
    op.drop_table("bmc_month_count")
