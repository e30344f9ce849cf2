"""A pregnancy's latest risk screening kept on its row (issue 14, performance): a woman's
episode and a page of the overdue list answer with it, and read it with the row instead of
ranking the screenings of each pregnancy. Backfilled from ``risk_screening`` (the latest by
date, then id, as the reads ranked them); from now on RecordRiskScreening writes it.

Revision ID: mch_0014s
Revises: mch_0013t
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0014s"
down_revision = "mch_0013t"
branch_labels = None
depends_on = None

_COLUMNS = (
    "screening_id", "screening_date", "screening_positive", "screening_findings",
    "screening_tenant_id", "screening_by", "screening_time",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        batch.add_column(
            sa.Column("screening_id", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("screening_date", sa.Date()))
        batch.add_column(
            sa.Column("screening_positive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("screening_findings", sa.Text(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("screening_tenant_id", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("screening_by", sa.String(80), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("screening_time", sa.DateTime(timezone=True)))
    # Only the screened pregnancies: one indexed look-up each (ix_risk_screening_pregnancy_id).
    op.execute(
        "UPDATE pregnancy SET screening_id = (SELECT s.id FROM risk_screening s"
        " WHERE s.pregnancy_id = pregnancy.id"
        " ORDER BY s.screening_date DESC, s.id DESC LIMIT 1)"
        " WHERE id IN (SELECT pregnancy_id FROM risk_screening)"
    )
    op.execute(
        "UPDATE pregnancy SET"
        " screening_date = (SELECT s.screening_date FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id),"
        " screening_positive = (SELECT s.positive FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id),"
        " screening_findings = (SELECT s.findings FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id),"
        " screening_tenant_id = (SELECT s.tenant_id FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id),"
        " screening_by = (SELECT s.screened_by FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id),"
        " screening_time = (SELECT s.create_time FROM risk_screening s"
        " WHERE s.id = pregnancy.screening_id)"
        " WHERE screening_id <> ''"
    )


def downgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        for column in _COLUMNS:
            batch.drop_column(column)
