"""Indicators: missing items per record (qualified rate) and region populations.

Revision ID: archives_0003
Revises: archives_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0003"
down_revision = "archives_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("health_record") as batch:
        batch.add_column(
            sa.Column("missing_items", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "region_population",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "as_of"),
    )


def downgrade() -> None:
    op.drop_table("region_population")
    with op.batch_alter_table("health_record") as batch:
        batch.drop_column("missing_items")
