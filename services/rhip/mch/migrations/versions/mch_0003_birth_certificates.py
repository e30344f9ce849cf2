"""Birth medical certificates (DOMAIN §4): blank serials (one row each), the append-only stock
register, transfers between levels, and certificates (one VALID certificate per child, held by
a unique column that is NULL once a certificate is replaced, reissued or voided).

Revision ID: mch_0003
Revises: mch_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0003"
down_revision = "mch_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bmc_serial",
        sa.Column("serial", sa.String(10), primary_key=True),
        sa.Column("edition", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("holder_scope", sa.String(200), nullable=False),
        sa.Column("transfer_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_bmc_serial_holder_state", "bmc_serial", ["holder_scope", "state"])
    op.create_index("ix_bmc_serial_transfer_id", "bmc_serial", ["transfer_id"])
    op.create_table(
        "bmc_movement",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("edition", sa.SmallInteger(), nullable=False),
        sa.Column("first_serial", sa.String(10), nullable=False),
        sa.Column("last_serial", sa.String(10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("is_range", sa.Boolean(), nullable=False),
        sa.Column("from_holder", sa.String(50), nullable=False),
        sa.Column("to_holder", sa.String(50), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("from_scope", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("operator", sa.String(80), nullable=False),
        sa.Column("witness", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("police_report_ref", sa.String(100), nullable=False),
        sa.Column("newspaper_notice_ref", sa.String(100), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_bmc_movement_first_serial", "bmc_movement", ["first_serial"])
    op.create_index("ix_bmc_movement_range", "bmc_movement", ["is_range", "first_serial"])
    op.create_index(
        "ix_bmc_movement_scope_kind_time", "bmc_movement", ["scope_path", "kind", "create_time"]
    )
    op.create_table(
        "bmc_transfer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("from_holder", sa.String(50), nullable=False),
        sa.Column("to_holder", sa.String(50), nullable=False),
        sa.Column("from_scope", sa.String(200), nullable=False),
        sa.Column("to_scope", sa.String(200), nullable=False),
        sa.Column("edition", sa.SmallInteger(), nullable=False),
        sa.Column("first_serial", sa.String(10), nullable=False),
        sa.Column("last_serial", sa.String(10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("over_quota", sa.Boolean(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=False),
        sa.Column("confirmed_by", sa.String(80), nullable=False),
        sa.Column("confirmed_quantity", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_bmc_transfer_from_scope", "bmc_transfer", ["from_scope"])
    op.create_index("ix_bmc_transfer_to_scope", "bmc_transfer", ["to_scope"])
    op.create_table(
        "bmc_certificate",
        sa.Column("number", sa.String(10), primary_key=True),
        sa.Column("child_key", sa.String(80), nullable=False),
        sa.Column("valid_child", sa.String(80), nullable=True),
        sa.Column("newborn_id", sa.String(36), nullable=False),
        sa.Column("child_resident_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("issuer_tenant_id", sa.String(36), nullable=False),
        sa.Column("scope_path", sa.String(200), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("supersedes", sa.String(10), nullable=False),
        sa.Column("superseded_by", sa.String(10), nullable=False),
        sa.Column("ground", sa.String(30), nullable=False),
        sa.Column("pages", sa.String(20), nullable=False),
        sa.Column("loss_ref", sa.String(100), nullable=False),
        sa.Column("parentage_test_ref", sa.String(100), nullable=False),
        sa.Column("void_reason", sa.String(500), nullable=False),
        sa.Column("name_hash", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("printed", sa.LargeBinary(), nullable=False),
        sa.Column("issued_by", sa.String(80), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("valid_child"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_bmc_certificate_child_key", "bmc_certificate", ["child_key"])
    op.create_index(
        "ix_bmc_certificate_scope_time", "bmc_certificate", ["scope_path", "create_time"]
    )


def downgrade() -> None:
    for table in ("bmc_certificate", "bmc_transfer", "bmc_movement", "bmc_serial"):
        op.drop_table(table)
