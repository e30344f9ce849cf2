"""The audit log indexed by resident (searches "who viewed this resident") and by actor.

Revision ID: kit_0003
Revises: kit_0002

Existing events are indexed here with the rule as it stands today, written out in full (a
migration never imports live code): the target ``residents/{id}[/…]`` and the detail's
``resident``.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "kit_0003"
down_revision = "kit_0002"
branch_labels = None
depends_on = None


def _residents(target: str, detail: str) -> set[str]:
    found = set()
    parts = target.split("/")
    if len(parts) >= 2 and parts[0] == "residents" and parts[1]:
        found.add(parts[1])
    named = json.loads(detail or "{}").get("resident")
    if isinstance(named, str) and named:
        found.add(named)
    return found


def upgrade() -> None:
    table = op.create_table(
        "audit_resident",
        sa.Column("resident_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_index("ix_audit_event_actor", "audit_event", ["actor", "seq"])
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT seq, target, detail FROM audit_event WHERE seq > :last "
                "ORDER BY seq LIMIT 5000"
            ),
            {"last": last},
        ).all()
        if not rows:
            break
        about = [
            {"resident_id": resident, "seq": row.seq}
            for row in rows
            for resident in sorted(_residents(row.target, row.detail))
        ]
        if about:
            bind.execute(sa.insert(table), about)
        last = rows[-1].seq


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor", "audit_event")
    op.drop_table("audit_resident")
