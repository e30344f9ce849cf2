"""The hot reads of an episode (a woman's pregnancy, her antenatal visits, a page of an
institution's pregnancies) end their short transaction with their audit row: on PostgreSQL
the row and the COMMIT go together (MchBase._audit_read). Each read is audited, committed by
the time it answers, and the chain stays intact."""

from __future__ import annotations

from mch.conftest import Mch
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.kit import audit
from rhip.kit.schema import audit_event
from sqlalchemy import select


def _reads(mch: Mch) -> list[tuple[str, str, str]]:
    db = mch.running.cell.part("mch").db
    with db.engine.connect() as connection:  # another connection: only what is committed
        rows = connection.execute(
            select(audit_event.c.action, audit_event.c.target, audit_event.c.actor)
            .where(audit_event.c.action.in_(["pregnancy.read", "pregnancy.list",
                                             "pregnancy.visits.read"]))
            .order_by(audit_event.c.seq)
        ).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_each_read_of_an_episode_is_audited_and_committed_when_it_answers(mch: Mch) -> None:
    p = mch.register()
    md, actor = mch.md("qs-doctor"), f"user:{mch.world.users['qs-doctor']}"
    assert mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=md) == p
    visits = mch.api.ListAntenatalVisits(mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=md)
    assert len(visits.visits) == 1  # the registration's check
    page = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc")), metadata=md
    )
    assert [q.name for q in page.pregnancies] == [p.name]
    assert _reads(mch) == [
        ("pregnancy.read", p.name, actor),
        ("pregnancy.visits.read", p.name, actor),
        ("pregnancy.list", mch.tenant("qs-chc"), actor),
    ]
    db = mch.running.cell.part("mch").db
    with db.transaction() as tx:
        assert audit.verify(tx).intact
    # The transaction ended by its audit row leaves the connection fit for the next read.
    again = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=md)
    assert again == p and len(_reads(mch)) == 4
