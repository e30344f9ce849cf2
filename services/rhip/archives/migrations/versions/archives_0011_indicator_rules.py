"""The version of the indicator-count rules that ``indicator_count`` was computed under.

The counts are derived from the records by rhip.archives.indicator_counts; when its
``RULES_VERSION`` differs from the one stored here (or none is stored, as after this
migration), the service recomputes every count row once after migrating and stores the new
version. Empty on creation on purpose: an upgraded database gets its counts filled.

Revision ID: archives_0011
Revises: archives_0010
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0011"
down_revision = "archives_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indicator_rules")
