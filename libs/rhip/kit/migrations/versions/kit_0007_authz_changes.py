"""The authorization policy's change log (rhip.kit.policy_store): what each version changed,
so a replica applies the changes since its version instead of reloading every rule.

Revision ID: kit_0007
Revises: kit_0006k

Starts empty: a replica whose version is older than the first logged change finds the log
incomplete and reloads everything once, as it did before.
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0007"
down_revision = "kit_0006k"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authz_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("ptype", sa.String(8), nullable=False, server_default=""),
        sa.Column("v0", sa.String(200), nullable=False, server_default=""),
        sa.Column("v1", sa.String(200), nullable=False, server_default=""),
        sa.Column("v2", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_authz_change_version", "authz_change", ["version"])


def downgrade() -> None:
    op.drop_index("ix_authz_change_version", table_name="authz_change")
    op.drop_table("authz_change")
