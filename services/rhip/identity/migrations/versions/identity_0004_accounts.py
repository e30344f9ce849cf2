"""Account administration: a user's state (disabled by an administrator, with the reason) and
whether a reset password must be changed; the user's earlier password hashes (the policy's
history); an index to revoke every refresh token of one user.

Revision ID: identity_0004
Revises: identity_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="active"))
        batch.add_column(
            sa.Column("disable_reason", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("password_change_required", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "password_history",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])
    op.create_index("ix_refresh_token_subject", "refresh_token", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_refresh_token_subject", "refresh_token")
    op.drop_index("ix_password_history_user_id", "password_history")
    op.drop_table("password_history")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("password_change_required")
        batch.drop_column("disable_reason")
        batch.drop_column("state")
