"""Reading a merged resident's documents (#16), on SQLite and PostgreSQL: while identity's
merge of the alias (B) into the man (A) stands, the caller's basis for the man counts for the
alias's documents — the record that moved to him (its managing institution), a card scan of
his, an open referral of his, his consent, break-glass for him — beside the alias's own
consents, and a consent given under the alias counts for the man's (a consent is the
person's); GetDocument, ListDocuments and the timeline judge alike: the man's list holds the
alias's documents, the alias's none. Each read is audited with the basis it rested on
(``basis_resident`` naming whose basis it was where not the documents' resident's), and the
man's "who read my records" includes the reads of the alias's documents. CheckRecognition
judges the results its list shows: the man's the alias's too, the alias's none. After the undo
the bases and the lists separate."""

from __future__ import annotations

import ast
import uuid

import grpc
import pytest
from emr.helpers import Emr, lab_item, lab_report, stamp, summary
from emr.test_care_relationships import _referral
from emr.test_timeline_feeds import _wait
from emr.test_timeline_merges import _merge, _record, _timeline, _undo
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.identity.v1 import resident_service_pb2 as rpb_service
from rhip.emr.timeline.merge_store import MergesStore
from support.errors import expect_error
from support.residents import dynamic_qr, register_request, with_check
from support.residents import pb as rpb
from support.residents import stub as resident_stub

DENIED = grpc.StatusCode.PERMISSION_DENIED
AGAIN_NUMBER = with_check("32030219900101003")  # the man registered a third time
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


def _reads(emr: Emr, resident: str, action: str = "document.read") -> list[pb.AuditEvent]:
    """The ``action`` events "who read my records" answers for ``resident``."""
    return list(
        emr.api.SearchAuditEvents(
            pb.SearchAuditEventsRequest(
                parent="regions/320311", resident=emr.residents[resident], action=action
            ),
            metadata=emr.md("qs-admin"),
        ).events
    )


def _last_read(emr: Emr, name: str, resident: str = "alias") -> dict[str, str]:
    """The detail of the newest successful read of document ``name`` (of ``resident``)."""
    found = [e for e in _reads(emr, resident) if e.target == name and e.outcome == "OK"]
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


# -- the list of a survivor ---------------------------------------------------------------------


def _dated(number: str, document_id: str, days_ago: float) -> dpb.ClinicalDocument:
    """An outpatient summary of ``days_ago``: the list's order is the documents' time."""
    return summary(
        number, document_id, effective_time=stamp(days_ago),
        encounter=dpb.Encounter(start_time=stamp(days_ago), department="心内科"),
    )  # fmt: skip


def _listed(emr: Emr, who: str, resident: str, page_size: int = 100) -> list[str]:
    """Every document ``who`` lists for ``resident``, page by page."""
    names: list[str] = []
    token = ""
    while True:
        reply = emr.api.ListDocuments(
            pb.ListDocumentsRequest(
                parent=emr.residents[resident], page_size=page_size, page_token=token
            ),
            metadata=emr.md(who),
        )
        names += [d.name for d in reply.documents]
        token = reply.next_page_token
        if not token:
            return names


def _last_list(emr: Emr, resident: str, action: str = "document.list") -> dict[str, object]:
    """The detail of the newest ``action`` (a list of ``resident``'s documents, or another
    read of them all) of ``resident``'s documents, its maps read back as maps."""
    event = _reads(emr, resident, action)[0]
    detail: dict[str, object] = {**event.detail, "basis": event.basis}
    for key in ("merged_residents", "basis_residents"):
        if key in detail:
            detail[key] = ast.literal_eval(str(detail[key]))
    return detail


def test_the_survivors_list_holds_the_merged_residents_documents_until_the_undo(
    alias: Emr,
) -> None:
    emr = alias
    newest = emr.submit(_dated(emr.numbers["man"], "MZ-MAN-1", 1)).name
    middle = emr.submit(_dated(emr.numbers["alias"], "MZ-ALIAS", 2)).name
    oldest = emr.submit(_dated(emr.numbers["man"], "MZ-MAN-2", 3)).name
    assert _listed(emr, "hosp-doctor", "man") == [newest, oldest]

    merge = _merge(emr)
    _merged(emr, True)
    # The custodian lists the person's documents under the survivor, in time order and paged.
    assert _listed(emr, "hosp-doctor", "man") == [newest, middle, oldest]
    assert _listed(emr, "hosp-doctor", "man", page_size=1) == [newest, middle, oldest]
    # The alias lists none while merged, as its timeline shows none: its documents are the
    # man's now; each is still read by its name.
    assert _listed(emr, "hosp-doctor", "alias") == []
    assert _get(emr, middle, "hosp-doctor").resident == emr.residents["alias"]
    assert _last_list(emr, "alias")["merged_into"] == _id(emr, "man")

    _undo(emr, merge)
    _merged(emr, False)
    assert _listed(emr, "hosp-doctor", "man") == [newest, oldest]
    assert _listed(emr, "hosp-doctor", "alias") == [middle]


def test_a_basis_for_the_survivor_lists_the_merged_residents_documents_and_none_lists_neither(
    alias: Emr,
) -> None:
    emr = alias
    _record(emr, "man")  # the Quanshan centre manages the man's record
    man_doc = emr.submit(_dated(emr.numbers["man"], "MZ-MAN", 1)).name  # the hospital's
    alias_doc = emr.submit(_dated(emr.numbers["alias"], "MZ-ALIAS", 2)).name
    assert _listed(emr, "qs-doctor", "man") == [man_doc]

    merge = _merge(emr)
    _merged(emr, True)
    # As GetDocument of each allows: the managing centre's basis for the man opens both.
    assert _get(emr, alias_doc, "qs-doctor").name == alias_doc
    assert _listed(emr, "qs-doctor", "man") == [man_doc, alias_doc]
    assert _last_list(emr, "man") == {
        "basis": "care_relationship:managing",
        "resident": _id(emr, "man"),
        "hits": "2",
        "merged_residents": {_id(emr, "alias"): "care_relationship:managing"},
        "basis_residents": {_id(emr, "alias"): _id(emr, "man")},
    }
    # The second hospital has no basis for either: neither of the other institution's.
    assert _listed(emr, "hosp2-doctor", "man") == []
    expect_error(lambda: _get(emr, alias_doc, "hosp2-doctor"), DENIED)

    _undo(emr, merge)
    _merged(emr, False)
    assert _listed(emr, "qs-doctor", "man") == [man_doc]
    assert _listed(emr, "qs-doctor", "alias") == []


def test_a_consent_given_under_the_merged_resident_opens_the_survivors_documents_until_the_undo(
    alias: Emr,
) -> None:
    emr = alias
    man_summary = emr.submit(summary(emr.numbers["man"], "MZ-MAN")).name
    man_lab = emr.submit(lab_report(emr.numbers["man"], "LIS-MAN")).name
    theirs = emr.consent(
        "alias", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_OUTPATIENT_SUMMARY]
    )  # the person's consent, given under the alias's number
    expect_error(lambda: _get(emr, man_summary, "hosp2-doctor"), DENIED)

    merge = _merge(emr)
    _merged(emr, True)
    assert _get(emr, man_summary, "hosp2-doctor").name == man_summary
    assert _last_read(emr, man_summary, "man") == {
        "basis": theirs.name.replace("consents/", "consent:"),
        "basis_resident": _id(emr, "alias"),
        "resident": _id(emr, "man"),
    }
    expect_error(lambda: _get(emr, man_lab, "hosp2-doctor"), DENIED)  # not a kind it names
    assert _listed(emr, "hosp2-doctor", "man") == [man_summary]
    assert _last_list(emr, "man")["basis_resident"] == _id(emr, "alias")
    assert _documents_shown(emr, "hosp2-doctor", "man") == {man_summary}
    # Only consents are the person's: the alias's break-glass opens the alias's documents, not
    # the man's.
    emr.api.StartBreakGlass(
        pb.StartBreakGlassRequest(
            parent=emr.residents["alias"], reason="急诊昏迷，需既往病史",
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("hosp2-doctor"),
    )  # fmt: skip
    expect_error(lambda: _get(emr, man_lab, "hosp2-doctor"), DENIED)

    _undo(emr, merge)
    _merged(emr, False)
    expect_error(lambda: _get(emr, man_summary, "hosp2-doctor"), DENIED)
    assert _listed(emr, "hosp2-doctor", "man") == []
    assert _documents_shown(emr, "hosp2-doctor", "man") == set()


def _merge_pair(emr: Emr, survivor: str, merged: str) -> str:
    request = rpb.MergeResidentsRequest(
        survivor=emr.residents[survivor], merged=emr.residents[merged], reason="同一人",
        request_id=str(uuid.uuid4()),
    )  # fmt: skip
    merge = resident_stub(emr.running.channel).MergeResidents(request, metadata=emr.md("qs-admin"))
    return str(merge.name)


def test_a_chain_lists_every_merged_residents_documents_on_the_last_survivors(
    alias: Emr,
) -> None:
    emr = alias
    again = resident_stub(emr.running.channel).RegisterResident(
        register_request(AGAIN_NUMBER, name="张三", region="320311"), metadata=emr.md("qs-doctor")
    )  # the man a third time
    emr.residents["again"] = again.resident.name
    again_doc = emr.submit(_dated(AGAIN_NUMBER, "MZ-AGAIN", 1)).name
    man_doc = emr.submit(_dated(emr.numbers["man"], "MZ-MAN", 2)).name
    alias_doc = emr.submit(_dated(emr.numbers["alias"], "MZ-ALIAS", 3)).name
    emr.consent("alias", "hosp2-doctor")  # the person's, under the alias

    _merge(emr)  # the alias into the man
    second = _merge_pair(emr, "again", "man")  # then the man into the third
    db = emr.running.cell.part("emr").db

    def shown() -> tuple[str, ...]:
        with db.read() as conn:
            return MergesStore(conn).shown_residents(_id(emr, "again")).residents

    _wait(lambda: shown() == (_id(emr, "again"), _id(emr, "man"), _id(emr, "alias")))
    everything = [again_doc, man_doc, alias_doc]
    assert _listed(emr, "hosp-doctor", "again") == everything
    assert _listed(emr, "hosp-doctor", "man") == [] == _listed(emr, "hosp-doctor", "alias")
    # The consent given under the alias opens the documents of all three for the second
    # hospital, each on it (named as the alias's where the documents are another's).
    assert _listed(emr, "hosp2-doctor", "again") == everything
    listing = _last_list(emr, "again")
    assert listing["basis_resident"] == _id(emr, "alias")
    assert listing["basis_residents"] == {_id(emr, "man"): _id(emr, "alias")}

    _undo(emr, second)
    _wait(lambda: shown() == (_id(emr, "again"),))
    assert _listed(emr, "hosp-doctor", "again") == [again_doc]
    assert _listed(emr, "hosp-doctor", "man") == [man_doc, alias_doc]
    assert _listed(emr, "hosp2-doctor", "again") == []
    assert _listed(emr, "hosp2-doctor", "man") == [man_doc, alias_doc]


# -- "recognisable here?" of a survivor ---------------------------------------------------------


def _verdicts(emr: Emr, who: str, resident: str) -> dict[str, tuple[str, bool]]:
    """``who``'s CheckRecognition of ``resident``: each result item's code → its document and
    whether it is recognisable."""
    reply = emr.api.CheckRecognition(
        pb.CheckRecognitionRequest(parent=emr.residents[resident]), metadata=emr.md(who)
    )
    return {v.item.local_code: (v.document, v.recognisable) for v in reply.verdicts}


def test_the_survivors_recognition_check_judges_the_merged_residents_results_until_the_undo(
    alias: Emr,
) -> None:
    emr = alias
    man_lab = emr.submit(lab_report(emr.numbers["man"], "LIS-MAN", [lab_item("MAN")])).name
    alias_lab = emr.submit(lab_report(emr.numbers["alias"], "LIS-ALIAS", [lab_item("ALIAS")])).name
    assert _verdicts(emr, "hosp-doctor", "man") == {"MAN": (man_lab, True)}

    merge = _merge(emr)
    _merged(emr, True)
    # The custodian judges the person's results under the survivor, as its list shows them.
    assert _verdicts(emr, "hosp-doctor", "man") == {
        "MAN": (man_lab, True),
        "ALIAS": (alias_lab, True),
    }
    # Another institution judges each resident's results by its basis for that resident: a
    # break-glass for the alias opens the alias's, not the man's.
    assert _verdicts(emr, "hosp2-doctor", "man") == {}
    access = emr.api.StartBreakGlass(
        pb.StartBreakGlassRequest(
            parent=emr.residents["alias"], reason="急诊昏迷，需既往病史",
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("hosp2-doctor"),
    )  # fmt: skip
    assert _verdicts(emr, "hosp2-doctor", "man") == {"ALIAS": (alias_lab, True)}
    assert _last_list(emr, "man", "recognition.check") == {
        "basis": "own",
        "resident": _id(emr, "man"),
        "items": "1",
        "merged_residents": {
            _id(emr, "alias"): access.name.replace("breakGlassAccesses/", "break_glass:")
        },
    }

    _undo(emr, merge)
    _merged(emr, False)
    assert _verdicts(emr, "hosp-doctor", "man") == {"MAN": (man_lab, True)}
    assert _verdicts(emr, "hosp-doctor", "alias") == {"ALIAS": (alias_lab, True)}
    assert _verdicts(emr, "hosp2-doctor", "man") == {}


def test_the_merged_residents_recognition_check_answers_none_while_merged(alias: Emr) -> None:
    emr = alias
    alias_lab = emr.submit(lab_report(emr.numbers["alias"], "LIS-ALIAS", [lab_item("ALIAS")])).name
    assert _verdicts(emr, "hosp-doctor", "alias") == {"ALIAS": (alias_lab, True)}

    merge = _merge(emr)
    _merged(emr, True)
    # Its results are the man's now, judged under him: none is judged twice.
    assert _verdicts(emr, "hosp-doctor", "alias") == {}
    check = _last_list(emr, "alias", "recognition.check")
    assert (check["merged_into"], check["items"]) == (_id(emr, "man"), "0")

    _undo(emr, merge)
    _merged(emr, False)
    assert _verdicts(emr, "hosp-doctor", "alias") == {"ALIAS": (alias_lab, True)}
