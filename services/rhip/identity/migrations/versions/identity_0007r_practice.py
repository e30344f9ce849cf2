"""A practitioner's practice registration on the user (title, start of independent practice,
certificate number), recorded by an administrator: what teleconsultation staffing is checked
against instead of the physician's own declaration.

Revision ID: identity_0007r
Revises: identity_0006p
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0007r"
down_revision = "identity_0006p"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.add_column(
            sa.Column("professional_title", sa.String(20), nullable=False, server_default="")
        )
        table.add_column(sa.Column("practice_since", sa.Date(), nullable=True))
        table.add_column(
            sa.Column("practice_certificate", sa.String(30), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.drop_column("practice_certificate")
        table.drop_column("practice_since")
        table.drop_column("professional_title")
