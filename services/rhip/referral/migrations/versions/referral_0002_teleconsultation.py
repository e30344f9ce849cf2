"""Teleconsultation: cooperation agreements and teleconsultations; the cursor of the feed of
referral suggestions from archives.

Revision ID: referral_0002
Revises: referral_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "referral_0002"
down_revision = "referral_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "cooperation_agreement",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("inviting_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("inviting_scope", sa.String(length=120), nullable=False),
        sa.Column("invited_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("invited_scope", sa.String(length=120), nullable=False),
        sa.Column("scope_text", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("liability", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index(
        "ix_agreement_pair", "cooperation_agreement", ["inviting_tenant_id", "invited_tenant_id"]
    )
    op.create_index("ix_agreement_inviting", "cooperation_agreement", ["inviting_scope", "id"])
    op.create_index("ix_agreement_invited", "cooperation_agreement", ["invited_scope", "id"])
    op.create_table(
        "teleconsultation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("inviting_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("inviting_scope", sa.String(length=120), nullable=False),
        sa.Column("invited_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("invited_scope", sa.String(length=120), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("specialty", sa.String(length=50), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("physician", sa.String(length=80), nullable=False, server_default=""),
        sa.Column("scheduled_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_closed", sa.Text(), nullable=False, server_default=""),
        sa.Column("recording", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("session_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("decision", sa.Text(), nullable=False, server_default=""),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_tc_inviting", "teleconsultation", ["inviting_scope", "id"])
    op.create_index("ix_tc_invited", "teleconsultation", ["invited_scope", "id"])


def downgrade() -> None:
    op.drop_table("teleconsultation")
    op.drop_table("cooperation_agreement")
    op.drop_table("referral_cursor")
