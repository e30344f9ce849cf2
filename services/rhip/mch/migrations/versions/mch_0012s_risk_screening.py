"""Risk screening (筛查, DOMAIN §3.2; issue 14): the screenings of a pregnancy, and on the
pregnancy the day a positive screening's assessment is due by (the overdue list's fourth key,
indexed like the others).

Revision ID: mch_0012s
Revises: mch_0011l
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0012s"
down_revision = "mch_0011l"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_screening",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("screening_date", sa.Date(), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("screened_by", sa.String(80), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), unique=True),
    )
    op.create_index("ix_risk_screening_pregnancy_id", "risk_screening", ["pregnancy_id"])
    with op.batch_alter_table("pregnancy") as batch:
        batch.add_column(sa.Column("assessment_due", sa.Date()))
        batch.create_index("ix_pregnancy_assessment_due", ["assessment_due"])


def downgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        batch.drop_index("ix_pregnancy_assessment_due")
        batch.drop_column("assessment_due")
    op.drop_index("ix_risk_screening_pregnancy_id", "risk_screening")
    op.drop_table("risk_screening")
