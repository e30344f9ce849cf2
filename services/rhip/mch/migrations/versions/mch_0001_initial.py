"""mch tables: pregnancies, antenatal and postpartum visits, risk assessments and high-risk
reports, deliveries and newborns, child health records and visits.

Revision ID: mch_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0001"
down_revision = None
branch_labels = ("mch",)
depends_on = "kit_0001"


def upgrade() -> None:
    op.create_table(
        "antenatal_visit",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("ga_days", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("missed_slot", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_antenatal_visit_pregnancy_id", "antenatal_visit", ["pregnancy_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("mother_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("pregnancy_scope", sa.String(200), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("ga_days", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=False),
        sa.Column("emergency_reason", sa.String(500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_delivery_pregnancy_id", "delivery", ["pregnancy_id"])
    op.create_index("ix_delivery_mother_id", "delivery", ["mother_id"])
    op.create_index("ix_delivery_tenant_id", "delivery", ["tenant_id"])
    op.create_table(
        "newborn",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("birth_order", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(12), nullable=False),
        sa.Column("birth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("length_cm", sa.Float(), nullable=False),
        sa.Column("apgar_1min", sa.Integer(), nullable=False),
        sa.Column("live_birth", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(50), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_newborn_delivery_id", "newborn", ["delivery_id"])
    op.create_table(
        "pregnancy",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("open_resident_id", sa.String(36), nullable=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("handbook_number", sa.String(30), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("lmp", sa.Date(), nullable=False),
        sa.Column("early", sa.Boolean(), nullable=False),
        sa.Column("within_local", sa.Boolean(), nullable=False),
        sa.Column("next_slot", sa.Integer(), nullable=False),
        sa.Column("next_slot_end", sa.Date(), nullable=True),
        sa.Column("risk_rank", sa.Integer(), nullable=False),
        sa.Column("purple", sa.Boolean(), nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("termination_reason", sa.String(12), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("termination_note", sa.String(500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("open_resident_id"),
        sa.UniqueConstraint("handbook_number"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_pregnancy_resident_id", "pregnancy", ["resident_id"])
    op.create_index("ix_pregnancy_tenant_id", "pregnancy", ["tenant_id"])
    op.create_index("ix_pregnancy_scope_path", "pregnancy", ["scope_path"])
    op.create_index("ix_pregnancy_next_slot_end", "pregnancy", ["next_slot_end"])
    op.create_table(
        "risk_assessment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column("colours", sa.String(60), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("rules_version", sa.String(20), nullable=False),
        sa.Column("assessor", sa.String(80), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("tenant_scope", sa.String(200), nullable=False),
        sa.Column("institution_level", sa.String(30), nullable=False),
        sa.Column("ga_days", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_risk_assessment_pregnancy_id", "risk_assessment", ["pregnancy_id"])

    op.create_table(
        "risk_report",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pregnancy_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("assessment_id", sa.String(36), nullable=False),
        sa.Column("colour", sa.Integer(), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("state", sa.String(14), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(80), nullable=False),
        sa.Column("acknowledge_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
    )
    op.create_index("ix_risk_report_pregnancy_id", "risk_report", ["pregnancy_id"])
    op.create_index("ix_risk_report_scope_path", "risk_report", ["scope_path"])

    op.create_table(
        "child_record",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("next_slot", sa.String(8), nullable=False),
        sa.Column("next_slot_end", sa.Date(), nullable=True),
        sa.Column("open_referral", sa.String(36), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("resident_id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_child_record_tenant_id", "child_record", ["tenant_id"])
    op.create_index("ix_child_record_next_slot_end", "child_record", ["next_slot_end"])
    op.create_table(
        "child_visit",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(8), nullable=False),
        sa.Column("missed_slot", sa.String(8), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("length_cm", sa.Float(), nullable=False),
        sa.Column("eye", sa.Text(), nullable=False),
        sa.Column("acuity_left", sa.Float(), nullable=False),
        sa.Column("acuity_right", sa.Float(), nullable=False),
        sa.Column("referral", sa.Boolean(), nullable=False),
        sa.Column("referral_followed_up", sa.Boolean(), nullable=False),
        sa.Column("six_month_referral_pending", sa.Boolean(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_child_visit_record_id", "child_visit", ["record_id"])


def downgrade() -> None:
    for table in (
        "risk_report",
        "newborn",
        "delivery",
        "risk_assessment",
        "antenatal_visit",
        "pregnancy",
    ):
        op.drop_table(table)
