"""Revoked sessions (rhip.kit.authz): a session ended by SignOut, kept until the last access
token it could have issued has expired.

Revision ID: kit_0006k
Revises: kit_0005

The rows live beside the authorization policy because they travel with it: writing one bumps
the policy version, so every service's policy watcher reloads the list within a second and
refuses the session's tokens without asking identity on each call.
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0006k"
down_revision = "kit_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_session",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("revoke_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_revoked_session_expire_time", "revoked_session", ["expire_time"])


def downgrade() -> None:
    op.drop_index("ix_revoked_session_expire_time", table_name="revoked_session")
    op.drop_table("revoked_session")
