"""Laboratory results of antenatal checks (DOMAIN §3.1: the first check's blood routine, urine
routine, blood type, liver and kidney function and hepatitis B; issue 14): a JSON object per
visit, empty for the checks recorded before.

Revision ID: mch_0011l
Revises: mch_0010h
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0011l"
down_revision = "mch_0010h"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("antenatal_visit") as batch:
        batch.add_column(sa.Column("labs", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("antenatal_visit") as batch:
        batch.drop_column("labs")
