"""Archives tables: health records, serials, history, check-ups, follow-ups, plans, tasks,
transfers.

Revision ID: archives_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0001"
down_revision = None
branch_labels = ("archives",)
depends_on = "kit_0001"


def upgrade() -> None:
    op.create_table(
        "check_up",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(op.f("ix_check_up_record_id"), "check_up", ["record_id"], unique=False)
    op.create_table(
        "follow_up",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("program", sa.String(length=20), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("consecutive_uncontrolled", sa.Integer(), nullable=False),
        sa.Column("referral_suggested", sa.Integer(), nullable=False),
        sa.Column("urgent_referral", sa.Integer(), nullable=False),
        sa.Column("next_due_date", sa.Date(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(op.f("ix_follow_up_record_id"), "follow_up", ["record_id"], unique=False)
    op.create_table(
        "follow_up_plan",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("program", sa.String(length=20), nullable=False),
        sa.Column("next_due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("managing_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "program"),
    )
    op.create_index(
        "ix_follow_up_plan_scope_due",
        "follow_up_plan",
        ["scope_path", "state", "next_due_date"],
        unique=False,
    )
    op.create_index(
        "ix_follow_up_plan_team_due",
        "follow_up_plan",
        ["team_id", "state", "next_due_date"],
        unique=False,
    )
    op.create_table(
        "health_record",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_number", sa.String(length=17), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("open_resident_id", sa.String(length=36), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("managing_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("managing_region", sa.String(length=6), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("creating_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("basic_info", sa.Text(), nullable=False),
        sa.Column("termination_reason", sa.String(length=20), nullable=False),
        sa.Column("termination_date", sa.Date(), nullable=True),
        sa.Column("termination_destination", sa.String(length=500), nullable=False),
        sa.Column("handover_note", sa.String(length=500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_resident_id"),
        sa.UniqueConstraint("record_number"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        "ix_health_record_region", "health_record", ["managing_region", "state"], unique=False
    )
    op.create_index(
        op.f("ix_health_record_resident_id"), "health_record", ["resident_id"], unique=False
    )
    op.create_index(
        "ix_health_record_scope_state", "health_record", ["scope_path", "state"], unique=False
    )
    op.create_index(op.f("ix_health_record_team_id"), "health_record", ["team_id"], unique=False)
    op.create_table(
        "record_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_record_event_record_id"), "record_event", ["record_id"], unique=False)
    op.create_table(
        "record_serial",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("next_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "record_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("program", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("follow_up_id", sa.String(length=36), nullable=False),
        sa.Column("scope_path", sa.String(length=120), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_record_task_record_id"), "record_task", ["record_id"], unique=False)
    op.create_index(
        "ix_record_task_scope_due", "record_task", ["scope_path", "state", "due_date"], unique=False
    )
    op.create_table(
        "record_transfer",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("record_number", sa.String(length=17), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("source_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("source_scope", sa.String(length=120), nullable=False),
        sa.Column("destination_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("destination_region", sa.String(length=6), nullable=False),
        sa.Column("destination_scope", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decline_reason", sa.String(length=500), nullable=False),
        sa.Column("moved_plans", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decide_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("decide_request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decide_request_id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        op.f("ix_record_transfer_destination_scope"),
        "record_transfer",
        ["destination_scope"],
        unique=False,
    )
    op.create_index(
        op.f("ix_record_transfer_record_id"), "record_transfer", ["record_id"], unique=False
    )
    op.create_index(
        op.f("ix_record_transfer_source_tenant_id"),
        "record_transfer",
        ["source_tenant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_record_transfer_destination_tenant_id"),
        "record_transfer",
        ["destination_tenant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_record_transfer_source_scope"), "record_transfer", ["source_scope"], unique=False
    )


def downgrade() -> None:
    for table in (
        "record_transfer",
        "record_task",
        "follow_up_plan",
        "follow_up",
        "check_up",
        "record_event",
        "record_serial",
        "health_record",
    ):
        op.drop_table(table)
