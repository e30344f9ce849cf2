"""EMR tables: documents (every version), parked documents, consents, break-glass accesses,
lab code mappings, the timeline index.

Revision ID: emr_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0001"
down_revision = None
branch_labels = ("emr",)
depends_on = "kit_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "emr_document",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("doc_id", sa.String(36), nullable=False),
        sa.Column("custodian_tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("source_document_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("effective_time", TZ, nullable=False),
        sa.Column("is_current", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("request_key", sa.String(36), nullable=True, unique=True),
        sa.UniqueConstraint(
            "custodian_tenant_id", "source_system", "source_document_id", "version",
            name="uq_emr_document_source",
        ),
    )  # fmt: skip
    op.create_index(
        "ix_emr_document_resident", "emr_document", ["resident_id", "is_current", "effective_time"]
    )
    op.create_index("ix_emr_document_doc", "emr_document", ["doc_id", "version"])
    op.create_table(
        "emr_parked",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("custodian_tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("source_document_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("identifiers", sa.LargeBinary(), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.UniqueConstraint(
            "custodian_tenant_id", "source_system", "source_document_id", "version",
            name="uq_emr_parked_source",
        ),
    )  # fmt: skip
    op.create_index("ix_emr_parked_scope", "emr_parked", ["scope_path", "id"])
    op.create_table(
        "emr_consent",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("grantee_tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("kinds", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("revoke_time", TZ, nullable=True),
        sa.Column("revoke_reason", sa.String(500), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("request_key", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_emr_consent_resident", "emr_consent", ["resident_id", "grantee_tenant_id"])
    op.create_table(
        "emr_break_glass",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("start_time", TZ, nullable=False),
        sa.Column("expire_time", TZ, nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("review_state", sa.String(12), nullable=False),
        sa.Column("review_note", sa.String(500), nullable=False),
        sa.Column("reviewer", sa.String(80), nullable=False),
        sa.Column("request_key", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_emr_break_glass_resident", "emr_break_glass", ["resident_id", "subject"])
    op.create_index("ix_emr_break_glass_scope", "emr_break_glass", ["scope_path", "id"])
    op.create_table(
        "emr_lab_mapping",
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("local_code", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("loinc_code", sa.String(10), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
        sa.Column("request_key", sa.String(36), nullable=True, unique=True),
    )
    op.create_table(
        "emr_timeline",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("occur_time", TZ, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(120), nullable=False),
        sa.Column("sort_key", sa.String(64), nullable=False),
    )
    op.create_index("ix_emr_timeline_resident", "emr_timeline", ["resident_id", "sort_key"])


def downgrade() -> None:
    for table in (
        "emr_timeline", "emr_lab_mapping", "emr_break_glass", "emr_consent", "emr_parked",
        "emr_document",
    ):  # fmt: skip
        op.drop_table(table)
