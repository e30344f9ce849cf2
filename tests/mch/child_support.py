"""Child health helpers shared by the child tests (tests/mch): a newborn registered through
identity, enrolled, and a visit recorded — through the API with a clinician's token."""

from __future__ import annotations

from mch.conftest import Mch, days_ago, rid
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from support.residents import pb as rpb
from support.residents import stub as resident_stub

N, A = cpb.EYE_FINDING_NORMAL, cpb.EYE_FINDING_ABNORMAL


def register_child(mch: Mch, born_days_ago: int) -> str:
    """A newborn of the woman of the mch world, ``born_days_ago`` days old: its resident name."""
    baby = resident_stub(mch.running.channel).RegisterNewborn(
        rpb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="刘丽之子", sex=resident_pb2.SEX_MALE,
                birth_date=days_ago(born_days_ago), mother=mch.residents["woman"],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    return baby.name


def enroll(mch: Mch, child: str, who: str = "qs-doctor") -> cpb.ChildRecord:
    return mch.api.EnrollChild(
        mpb.EnrollChildRequest(child=child, request_id=rid()), metadata=mch.md(who)
    )


def record_visit(
    mch: Mch, record: str, day: str, who: str = "qs-doctor", **fields
) -> cpb.ChildVisit:  # type: ignore[no-untyped-def]
    eye = [cpb.EyeResult(item=k, finding=v) for k, v in fields.pop("eye", {}).items()]
    return mch.api.RecordChildVisit(
        mpb.RecordChildVisitRequest(
            parent=record, visit=cpb.ChildVisit(visit_date=day, eye=eye, **fields), request_id=rid()
        ),
        metadata=mch.md(who),
    )
