"""Every timeline entry now carries its clinical date (and its institution's name) from where
it is written; the entries stored before get the clinical date where emr's own tables hold it
exactly, and keep none where they do not:

- emr's documents: the day (China Standard Time) of the encounter's start when the document
  says it, else of its effective time — what ingest now writes (the first stored version's).
- archives and referral entries whose event is its own care (a record created, a transfer, a
  referral accepted…): the day of the entry's time, as their feeds now send it. A check-up or
  follow-up was recorded on one day for care given on another, which only archives knows:
  those keep no clinical date (shown as absent), as do mch's (which always sent one).

Institution names live in identity, not here: the entries stored before keep an empty name
and are shown with their tenant's id.

Revision ID: emr_0004
Revises: emr_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0004"
down_revision = "emr_0003"
branch_labels = None
depends_on = None

# The kinds whose day of care the entry's time does not tell (archives'); frozen here.
DATED_APART = ("RECORD_CHECK_UP", "RECORD_FOLLOW_UP")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # the day in UTC+8: shift the UTC wall time by eight hours
        occur_day = "((occur_time AT TIME ZONE 'UTC') + interval '8 hours')::date"
        document_day = (
            "((COALESCE(NULLIF(d.body::json->'encounter'->>'start_time', '')::timestamptz,"
            " d.effective_time) AT TIME ZONE 'UTC') + interval '8 hours')::date"
        )
    else:  # SQLite keeps UTC times as text; date() reads an ISO offset too
        occur_day = "date(occur_time, '+8 hours')"
        document_day = (
            "date(COALESCE(NULLIF(json_extract(d.body, '$.encounter.start_time'), ''),"
            " d.effective_time), '+8 hours')"
        )
    # The fragments spliced in are this file's constants (the dialect's day expression).
    op.execute(
        sa.text(
            f"UPDATE emr_timeline SET clinical_date = ("  # noqa: S608
            f"SELECT {document_day} FROM emr_document d"
            " WHERE d.doc_id = substr(emr_timeline.target, 11)"
            " ORDER BY d.version LIMIT 1)"
            " WHERE source = 'emr' AND clinical_date IS NULL"
            " AND target LIKE 'documents/%'"
        )
    )
    op.execute(
        sa.text(
            f"UPDATE emr_timeline SET clinical_date = {occur_day}"  # noqa: S608
            " WHERE source IN ('archives', 'referral') AND clinical_date IS NULL"
            " AND kind NOT IN (:check_up, :follow_up)"
        ).bindparams(check_up=DATED_APART[0], follow_up=DATED_APART[1])
    )


def downgrade() -> None:
    # The dates filled here cannot be told from those the feeds sent: nothing to undo.
    pass
