"""One resident's referrals and teleconsultations at an institution (``ListReferrals`` and
``ListTeleconsultations`` with ``resident``): emr asks it for a care relationship on every
read of another institution's documents, so it must not scan an institution's whole history.

Revision ID: referral_0004
Revises: referral_0003
"""

from alembic import op

revision = "referral_0004"
down_revision = "referral_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referral_resident", "referral", ["resident_id", "id"])
    op.create_index("ix_teleconsultation_resident", "teleconsultation", ["resident_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_teleconsultation_resident", table_name="teleconsultation")
    op.drop_index("ix_referral_resident", table_name="referral")
