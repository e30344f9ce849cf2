"""Who gave a consent (PIPL art. 31: a minor under 14 consents through a guardian): the resident
or a guardian, and the guardian's relationship. Consents recorded before were the residents'.

Revision ID: emr_0007
Revises: emr_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0007"
down_revision = "emr_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("emr_consent") as batch:
        batch.add_column(
            sa.Column("given_by", sa.String(10), nullable=False, server_default="RESIDENT")
        )
        batch.add_column(sa.Column("guardian_relationship", sa.String(10)))


def downgrade() -> None:
    with op.batch_alter_table("emr_consent") as batch:
        batch.drop_column("guardian_relationship")
        batch.drop_column("given_by")
