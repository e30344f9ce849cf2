"""Resident master index and electronic health cards.

Revision ID: identity_0002
Revises: identity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_key", sa.String(50), nullable=False),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("ethnicity", sa.String(2), nullable=False),
        sa.Column("residence_type", sa.String(16), nullable=False),
        sa.Column("home_path", sa.String(120), nullable=False),
        sa.Column("mother_id", sa.String(36), nullable=False),
        sa.Column("sex_override_reason", sa.String(500), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("merged_into", sa.String(36), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("update_time", TZ, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_resident_name_birth", "resident", ["name_key", "birth_date"])
    op.create_index("ix_resident_birth_date", "resident", ["birth_date"])
    op.create_index("ix_resident_home_path", "resident", ["home_path"])
    op.create_index("ix_resident_mother_id", "resident", ["mother_id"])
    op.create_table(
        "resident_document",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("doc_type", sa.String(40), nullable=False),
        sa.Column("lookup_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("issuing_country", sa.String(3), nullable=False),
        sa.Column("is_primary", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(60), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
    )
    op.create_index("ix_resident_document_resident_id", "resident_document", ["resident_id"])
    op.create_table(
        "resident_enrollment",
        sa.Column("resident_id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
    )
    op.create_index("ix_resident_enrollment_scope_path", "resident_enrollment", ["scope_path"])
    op.create_table(
        "resident_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("event_time", TZ, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_resident_event_resident_id", "resident_event", ["resident_id"])
    op.create_table(
        "resident_merge",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("survivor_id", sa.String(36), nullable=False),
        sa.Column("merged_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("undo_time", TZ, nullable=True),
        sa.Column("undo_reason", sa.String(500), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_resident_merge_survivor_id", "resident_merge", ["survivor_id"])
    op.create_index("ix_resident_merge_merged_id", "resident_merge", ["merged_id"])
    op.create_table(
        "health_card",
        sa.Column("card_id", sa.String(64), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False, unique=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("issue_time", TZ, nullable=False),
        sa.Column("revoke_time", TZ, nullable=True),
        sa.Column("revoke_reason", sa.String(500), nullable=False),
    )
    op.create_table(
        "card_qr_use",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("used_time", TZ, nullable=False),
    )
    op.create_index("ix_card_qr_use_used_time", "card_qr_use", ["used_time"])


def downgrade() -> None:
    for table in (
        "card_qr_use",
        "health_card",
        "resident_merge",
        "resident_event",
        "resident_enrollment",
        "resident_document",
        "resident",
    ):
        op.drop_table(table)
