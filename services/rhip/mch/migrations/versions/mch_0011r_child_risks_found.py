"""A newborn risk factor found after the enrolment, at a visit (a birth defect seen at the home
visit): the visit keeps what it found, the child record the factors found since the enrolment,
the day they made the child high-risk and the extra newborn visits that added (empty for every
record before: nothing was found at a visit then).

Revision ID: mch_0011r
Revises: mch_0012s
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0011r"
down_revision = "mch_0012s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("child_record") as batch:
        batch.add_column(sa.Column("risks_found", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("high_risk_since", sa.Date()))
        batch.add_column(
            sa.Column("found_visits", sa.String(16), nullable=False, server_default="")
        )
    with op.batch_alter_table("child_visit") as batch:
        batch.add_column(
            sa.Column("risk_factors_found", sa.String(80), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("child_visit") as batch:
        batch.drop_column("risk_factors_found")
    with op.batch_alter_table("child_record") as batch:
        batch.drop_column("found_visits")
        batch.drop_column("high_risk_since")
        batch.drop_column("risks_found")
