"""Referral tables: referrals (forms, consent, snapshot, state, deadline) and their
transitions.

Revision ID: referral_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "referral_0001"
down_revision = None
branch_labels = ("referral",)
depends_on = "kit_0001"


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("sender_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sender_region", sa.String(length=12), nullable=False),
        sa.Column("sender_scope", sa.String(length=120), nullable=False),
        sa.Column("receiver_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("receiver_scope", sa.String(length=120), nullable=False),
        sa.Column("managing_scope", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("department", sa.String(length=50), nullable=False),
        sa.Column("receiving_doctor", sa.String(length=50), nullable=False),
        sa.Column("outward", sa.Text(), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("return_form", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("follow_up_task", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("follow_up_due", sa.Date(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=36), nullable=True),
        sa.Column("receiver_region", sa.String(length=12), nullable=False),
        sa.Column("peer_region", sa.String(length=12), nullable=False, server_default=""),
        sa.Column("accept_seconds", sa.Integer(), nullable=True),
        sa.Column("suggested_by", sa.String(length=36), nullable=True, unique=True),
        sa.Column("sender_here", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_referral_sender", "referral", ["sender_scope", "id"])
    op.create_index("ix_referral_receiver", "referral", ["receiver_scope", "id"])
    op.create_index("ix_referral_deadline", "referral", ["state", "deadline"])
    op.create_table(
        "referral_transition",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referral_transition_referral", "referral_transition", ["referral_id"])


def downgrade() -> None:
    op.drop_table("referral_transition")
    op.drop_table("referral")
