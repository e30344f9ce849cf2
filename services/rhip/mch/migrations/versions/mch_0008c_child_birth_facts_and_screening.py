"""Child health (DOMAIN §3.3): a child record keeps the birth facts that decide its newborn
home visits (birth weight, gestational weeks, multiples, birth defect, discharge date, and
whether they came from a delivery record); a child visit keeps its development warning-sign
check, haemoglobin with the anaemia flag, hearing screen per ear and why it refers. Existing
rows get "unknown" / "not done".

Revision ID: mch_0008c
Revises: mch_0007x
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0008c"
down_revision = "mch_0007x"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("child_record") as batch:
        batch.add_column(
            sa.Column("birth_weight_g", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("gestational_weeks", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("multiple_birth", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("birth_defect", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("discharge_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column(
                "facts_from_delivery", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("child_visit") as batch:
        batch.add_column(sa.Column("development", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("haemoglobin_g_l", sa.Float(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("anaemia", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("hearing_left", sa.String(8), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("hearing_right", sa.String(8), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("referral_reasons", sa.String(60), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("child_visit") as batch:
        for column in (
            "referral_reasons", "hearing_right", "hearing_left", "anaemia", "haemoglobin_g_l",
            "development",
        ):  # fmt: skip
            batch.drop_column(column)
    with op.batch_alter_table("child_record") as batch:
        for column in (
            "facts_from_delivery", "discharge_date", "birth_defect", "multiple_birth",
            "gestational_weeks", "birth_weight_g",
        ):  # fmt: skip
            batch.drop_column(column)
