"""A narrow covering index for indicator counts over a region's records (index-only scans on
PostgreSQL instead of reading the wide rows; a plain index on SQLite).

Revision ID: archives_0007
Revises: archives_0006
"""

from alembic import op

revision = "archives_0007"
down_revision = "archives_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_health_record_indicators",
        "health_record",
        ["scope_path"],
        postgresql_include=[
            "state",
            "managing_tenant_id",
            "create_time",
            "termination_date",
            "missing_items",
            "id",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_health_record_indicators", table_name="health_record")
