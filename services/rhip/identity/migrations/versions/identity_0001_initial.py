"""Identity tables: tenants, users, service accounts, role grants, refresh tokens, signing keys.

Revision ID: identity_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = "kit_0001"


def upgrade() -> None:
    op.create_table(
        "refresh_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False
    )
    op.create_table(
        "role_grant",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
        sa.UniqueConstraint("subject", "role", "scope_path", name="ux_role_grant"),
    )
    op.create_index(op.f("ix_role_grant_scope_path"), "role_grant", ["scope_path"], unique=False)
    op.create_index(op.f("ix_role_grant_subject"), "role_grant", ["subject"], unique=False)
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retire_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("suspend_reason", sa.String(length=500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(op.f("ix_tenant_region_code"), "tenant", ["region_code"], unique=False)
    op.create_index(op.f("ix_tenant_scope_path"), "tenant", ["scope_path"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
        sa.UniqueConstraint("username"),
    )
    op.create_index(op.f("ix_app_user_scope_path"), "app_user", ["scope_path"], unique=False)
    op.create_index(op.f("ix_app_user_tenant_id"), "app_user", ["tenant_id"], unique=False)
    op.create_table(
        "service_account",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        op.f("ix_service_account_tenant_id"), "service_account", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "service_account",
        "app_user",
        "tenant",
        "signing_key",
        "role_grant",
        "refresh_token",
    ):
        op.drop_table(table)
