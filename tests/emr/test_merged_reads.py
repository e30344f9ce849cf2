"""Reading a merged resident's documents (#16), on SQLite and PostgreSQL: while identity's
merge of the alias (B) into the man (A) stands, the caller's basis for the man counts for the
alias's documents — the record that moved to him (its managing institution), a card scan of
his, an open referral of his, his consent, break-glass for him — beside the alias's own
consents; GetDocument and the timeline judge alike, each read audited with the basis it
rested on (``basis_resident`` naming the man when it was his), and the man's "who read my
records" includes the reads of the alias's documents. After the undo the bases separate."""

from __future__ import annotations

import uuid

import grpc
import pytest
from emr.helpers import Emr, lab_report, summary
from emr.test_care_relationships import _referral
from emr.test_timeline_feeds import _wait
from emr.test_timeline_merges import _merge, _record, _timeline, _undo
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.identity.v1 import resident_service_pb2 as rpb_service
from rhip.emr.timeline.merge_store import MergesStore
from support.errors import expect_error
from support.residents import dynamic_qr
from support.residents import stub as resident_stub

DENIED = grpc.StatusCode.PERMISSION_DENIED
pytestmark = pytest.mark.cell_env(
    RHIP_CELL_CLIENT_ID="cell-320000",
    RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
    RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS="100",
    RHIP_EMR_RESIDENT_EVENTS_INTERVAL_MS="100",
)


def _id(emr: Emr, resident: str) -> str:
    return emr.residents[resident].removeprefix("residents/")


def _merged(emr: Emr, standing: bool) -> None:
    """Wait until emr has applied the merge (or its undo) from identity's feed."""
    db = emr.running.cell.part("emr").db

    def survivors() -> tuple[str, ...]:
        with db.read() as conn:
            return MergesStore(conn).survivors(_id(emr, "alias"))

    _wait(lambda: survivors() == ((_id(emr, "man"),) if standing else ()))


def _get(emr: Emr, name: str, who: str) -> dpb.ClinicalDocument:
    return emr.api.GetDocument(pb.GetDocumentRequest(name=name), metadata=emr.md(who))


def _documents_shown(emr: Emr, who: str, resident: str) -> set[str]:
    return {e.target for e in _timeline(emr, who, resident) if e.source == "emr"}


def _reads(emr: Emr, resident: str) -> list[pb.AuditEvent]:
    """The ``document.read`` events "who read my records" answers for ``resident``."""
    return list(
        emr.api.SearchAuditEvents(
            pb.SearchAuditEventsRequest(
                parent="regions/320311", resident=emr.residents[resident], action="document.read"
            ),
            metadata=emr.md("qs-admin"),
        ).events
    )


def _last_read(emr: Emr, name: str) -> dict[str, str]:
    """The detail of the newest successful read of document ``name`` (of the alias)."""
    found = [e for e in _reads(emr, "alias") if e.target == name and e.outcome == "OK"]
    return {**found[0].detail, "basis": found[0].basis}


def test_the_survivors_managing_institution_reads_the_merged_residents_documents(
    alias: Emr,
) -> None:
    emr = alias
    _record(emr, "man")  # the Quanshan centre manages the man's record
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name  # the hospital's
    expect_error(lambda: _get(emr, alias_doc, "qs-doctor"), DENIED)

    merge = _merge(emr)
    _merged(emr, True)
    assert _get(emr, alias_doc, "qs-doctor").name == alias_doc
    assert _last_read(emr, alias_doc) == {
        "basis": "care_relationship:managing",
        "basis_resident": _id(emr, "man"),
        "resident": _id(emr, "alias"),
    }
    assert alias_doc in _documents_shown(emr, "qs-doctor", "man")
    timeline_read = emr.api.SearchAuditEvents(
        pb.SearchAuditEventsRequest(
            parent="regions/320311", resident=emr.residents["man"], action="timeline.read"
        ),
        metadata=emr.md("qs-admin"),
    ).events[0]
    assert _id(emr, "alias") in timeline_read.detail["basis_residents"]

    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, alias_doc, "qs-doctor"), DENIED)
    assert alias_doc not in _documents_shown(emr, "qs-doctor", "man")
    assert alias_doc not in _documents_shown(emr, "qs-doctor", "alias")


def test_the_survivors_consent_opens_its_kinds_and_the_merged_residents_own_keeps_counting(
    alias: Emr,
) -> None:
    emr = alias
    number = emr.numbers["alias"]
    alias_summary = emr.submit(summary(number, "MZ-ALIAS")).name
    alias_lab = emr.submit(lab_report(number, "LIS-ALIAS")).name
    own = emr.consent("alias", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_LAB_REPORT])
    merge = _merge(emr)
    _merged(emr, True)
    assert _get(emr, alias_lab, "hosp2-doctor").name == alias_lab  # the alias's own consent
    expect_error(lambda: _get(emr, alias_summary, "hosp2-doctor"), DENIED)  # none of the kind

    his = emr.consent("man", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_OUTPATIENT_SUMMARY])
    assert _get(emr, alias_summary, "hosp2-doctor").name == alias_summary
    assert _last_read(emr, alias_summary)["basis"] == his.name.replace("consents/", "consent:")
    assert _last_read(emr, alias_summary)["basis_resident"] == _id(emr, "man")
    # Each read names the consent that opened it: the lab report still the alias's own.
    _get(emr, alias_lab, "hosp2-doctor")
    assert _last_read(emr, alias_lab)["basis"] == own.name.replace("consents/", "consent:")
    assert "basis_resident" not in _last_read(emr, alias_lab)
    assert _documents_shown(emr, "hosp2-doctor", "man") == {alias_summary, alias_lab}

    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, alias_summary, "hosp2-doctor"), DENIED)
    assert _get(emr, alias_lab, "hosp2-doctor").name == alias_lab
    assert _documents_shown(emr, "hosp2-doctor", "alias") == {alias_lab}
    assert _documents_shown(emr, "hosp2-doctor", "man") == set()


def test_break_glass_for_the_survivor_covers_the_merged_residents_documents(alias: Emr) -> None:
    emr = alias
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name
    access = emr.api.StartBreakGlass(
        pb.StartBreakGlassRequest(
            parent=emr.residents["man"], reason="急诊昏迷，需既往病史", request_id=str(uuid.uuid4())
        ),
        metadata=emr.md("hosp2-doctor"),
    )
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)  # another resident yet
    merge = _merge(emr)
    _merged(emr, True)
    assert _get(emr, alias_doc, "hosp2-doctor").name == alias_doc
    assert _last_read(emr, alias_doc)["basis"] == access.name.replace(
        "breakGlassAccesses/", "break_glass:"
    )
    assert alias_doc in _documents_shown(emr, "hosp2-doctor", "man")
    queue = emr.api.ListBreakGlassAccesses(
        pb.ListBreakGlassAccessesRequest(parent="regions/320311"), metadata=emr.md("qs-admin")
    )
    assert [(a.name, a.uses) for a in queue.accesses] == [(access.name, 2)]  # each use counted

    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)
    assert alias_doc not in _documents_shown(emr, "hosp2-doctor", "man")


def test_a_card_scan_of_the_survivor_opens_the_merged_residents_documents(alias: Emr) -> None:
    emr = alias
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name
    merge = _merge(emr)
    _merged(emr, True)
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)
    payload = dynamic_qr(emr.running.channel, emr.residents["man"], emr.md("qs-doctor"))
    resident_stub(emr.running.channel).VerifyHealthCardQrCode(
        rpb_service.VerifyHealthCardQrCodeRequest(payload=payload), metadata=emr.md("hosp2-doctor")
    )
    assert _get(emr, alias_doc, "hosp2-doctor").name == alias_doc
    assert _last_read(emr, alias_doc)["basis"] == "care_relationship:card_scan"
    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)


def test_an_open_referral_of_the_survivor_opens_the_merged_residents_documents(
    alias: Emr,
) -> None:
    emr = alias
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name
    referral = _referral(emr)  # the man's, from the Quanshan centre to the second hospital
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)
    merge = _merge(emr)
    _merged(emr, True)
    assert _get(emr, alias_doc, "hosp2-doctor").name == alias_doc
    assert _last_read(emr, alias_doc)["basis"] == f"care_relationship:{referral.name}"
    assert alias_doc in _documents_shown(emr, "hosp2-doctor", "man")
    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)


def test_the_survivors_who_read_my_records_includes_the_merged_residents_reads(
    alias: Emr,
) -> None:
    emr = alias
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name
    _get(emr, alias_doc, "hosp-doctor")  # before the merge: the same person's records
    merge = _merge(emr)
    _merged(emr, True)
    _get(emr, alias_doc, "hosp-doctor")
    reads = _reads(emr, "man")
    assert [(e.target, e.detail["resident"]) for e in reads] == [(alias_doc, _id(emr, "alias"))] * 2
    assert len(_reads(emr, "alias")) == 2  # the alias's own answer unchanged

    _undo(emr, merge)
    _merged(emr, False)
    assert _reads(emr, "man") == []
    assert len(_reads(emr, "alias")) == 2
