"""Records that come back: a cell may keep the read-only trace of a record that left it and
the record itself again when the resident moves back, both under the same record number
(docs/domain §2.3: the number never changes). The number stays unique among the records in
force; traces (TRANSFERRED) are left out of the unique index.

Cross-cell requests the source never acknowledged end ABANDONED, with the reason.

Revision ID: archives_0008
Revises: archives_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0008"
down_revision = "archives_0007"
branch_labels = None
depends_on = None

IN_FORCE = sa.text("state <> 'transferred'")
# SQLite reflects the table's inline UNIQUE constraints without names: name them to drop one.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _number_constraint() -> str | None:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("health_record"):
        if constraint["column_names"] == ["record_number"]:
            return constraint["name"]
    return None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "health_record", recreate="always", naming_convention=NAMING
        ) as batch:
            batch.drop_constraint("uq_health_record_record_number", type_="unique")
    else:
        name = _number_constraint()
        if name:
            op.drop_constraint(name, "health_record", type_="unique")
    op.create_index(
        "uq_health_record_number_in_force",
        "health_record",
        ["record_number"],
        unique=True,
        postgresql_where=IN_FORCE,
        sqlite_where=IN_FORCE,
    )
    with op.batch_alter_table("record_transfer") as batch:
        batch.add_column(
            sa.Column("abandon_reason", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("record_transfer") as batch:
        batch.drop_column("abandon_reason")
    op.drop_index("uq_health_record_number_in_force", table_name="health_record")
    with op.batch_alter_table("health_record") as batch:
        batch.create_unique_constraint("uq_health_record_record_number", ["record_number"])
