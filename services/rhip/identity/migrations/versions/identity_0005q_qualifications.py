"""Institution qualifications (midwifery, birth certificates, risk grading, child eye care,
school health), granted and revoked by regional administrators.

Revision ID: identity_0005q
Revises: identity_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0005q"
down_revision = "identity_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_qualification",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("active_key", sa.String(80), nullable=True),
        sa.Column("licence_number", sa.String(64), nullable=False),
        sa.Column("granted_by", sa.String(80), nullable=False),
        sa.Column("grant_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(80), nullable=False),
        sa.Column("revoke_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(500), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("active_key"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        "ix_tenant_qualification_tenant_id", "tenant_qualification", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("tenant_qualification")
