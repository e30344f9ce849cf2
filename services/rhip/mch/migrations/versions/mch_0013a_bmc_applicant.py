"""First-issue applicants of birth certificates (DOMAIN §4.2, §4.3): who applied (the mother in
person, or a person she authorized: their name sealed, their relationship and the authorization
reference), the explanation of a late application and the county of the child's intended
household registration. Empty for every certificate before: none was recorded then.

Revision ID: mch_0013a
Revises: mch_0011r
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0013a"
down_revision = "mch_0011r"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bmc_certificate") as batch:
        batch.add_column(
            sa.Column("applicant_kind", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("applicant_name", sa.LargeBinary()))
        batch.add_column(
            sa.Column("applicant_relationship", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("authorization_ref", sa.String(100), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("late_explanation", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("household_region_code", sa.String(6), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("bmc_certificate") as batch:
        for name in ("household_region_code", "late_explanation", "authorization_ref",
                     "applicant_relationship", "applicant_name", "applicant_kind"):  # fmt: skip
            batch.drop_column(name)
