"""SearchAuditEvents over the archives log (issue 12): who read a resident's health record,
when and under which basis, for auditors and the administrators of the region chain only."""

from __future__ import annotations

import grpc
from archives.helpers import Archives
from rhip.api.archives.v1 import archives_service_pb2 as apb
from support.errors import expect_error


def test_who_read_this_residents_record(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    for who in ("qs-doctor", "js-auditor"):
        a.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=a.md(who))
    request = apb.SearchAuditEventsRequest(
        parent="regions/320300", resident=a.residents["man"], action="record.read"
    )
    found = a.api.SearchAuditEvents(request, metadata=a.md("xz-admin")).events
    users = a.world.users
    assert [(e.actor, e.basis, e.target) for e in found] == [
        (f"user:{users['js-auditor']}", "audit", record.name),
        (f"user:{users['qs-doctor']}", "treatment", record.name),
    ]
    created = apb.SearchAuditEventsRequest(
        parent="regions/320311", resident=a.residents["man"], action="record.create"
    )
    assert len(a.api.SearchAuditEvents(created, metadata=a.md("js-auditor")).events) == 1
    for who, parent in (("qs-doctor", "regions/320311"), ("nj-admin", "regions/320300")):
        expect_error(
            lambda w=who, p=parent: a.api.SearchAuditEvents(
                apb.SearchAuditEventsRequest(parent=p), metadata=a.md(w)
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
