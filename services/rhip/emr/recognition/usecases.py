""" "Recognisable here?" (§6.4): for a viewing institution (the caller's) and a day, a verdict
for every result item of the resident's current documents the caller may read — as
ListDocuments shows them, so a survivor of identity's merges is judged with the documents of
those merged into it, and a merged resident with none (rhip.emr.documents.usecases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rhip.emr.documents.usecases import ReadUseCases
from rhip.emr.recognition.domain import judge
from rhip.kit.authn import current_principal
from rhip.kit.errors import Violations
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import region_path
from rhip.kit.timestamps import clinical_day, parse_iso_date

MAX_DOCUMENTS = 1000  # the newest documents looked at


@dataclass(frozen=True)
class Verdict:
    document: str
    item: dict[str, Any]
    reasons: list[str]

    @property
    def recognisable(self) -> bool:
        return not self.reasons


class RecognitionUseCases(ReadUseCases):
    def check_recognition(self, parent: str, viewer: str, day_text: str) -> list[Verdict]:
        principal = current_principal()
        checks = Violations()
        day = (
            checks.check(parse_iso_date, day_text, "date")
            if day_text
            else clinical_day(self.clock())
        )
        if viewer:
            checks.check(parse_resource_name, viewer, "tenants", "viewer")
        checks.check(parse_resource_name, parent, "residents", "parent")
        checks.raise_if_any()
        if viewer and viewer != f"tenants/{principal.tenant_id}":
            raise self.authz.denial(principal, "rhip.api.emr.v1.EmrService/CheckRecognition")
        scope = self._own_scope(principal, "CheckRecognition")
        resident_id = self._visible_resident(principal, parent, "CheckRecognition")
        viewer_path = region_path(principal.region_code)
        with self._unit(durable=False) as repo:
            # The results judged are the documents ListDocuments lists: a merged resident's
            # are the survivor's while the merge stands (each by the caller's basis for its
            # own resident), so a result is never judged twice nor missed under either.
            opened = self.open_kinds_shown(
                repo, principal, resident_id, "CheckRecognition", "recognition.check", parent,
                scope, items=0,
            )  # fmt: skip
            if opened is None:
                return []
            kinds, detail = opened
            documents = repo.resident_documents(kinds, [scope], None, None, MAX_DOCUMENTS)
            verdicts = [
                Verdict(
                    f"documents/{doc.doc_id}",
                    item,
                    judge(item, doc.effective_time, viewer_path, day, self.options.windows),
                )
                for doc in documents
                for item in doc.body.get("results", [])
            ]
            self._audit(
                repo, "recognition.check", parent, scope, "OK", resident=resident_id,
                items=len(verdicts), **detail,
            )  # fmt: skip
        return verdicts
