"""The lifetime timeline (全生命周期) of a resident: one indexed read of the timeline index,
newest first, showing only entries the caller could read at their source: emr's documents of
its own institution or those its basis for the resident opens; the other services' entries
where the shared policy gives it their source's read method at their scope.

A survivor of identity's merges shows the merged residents' entries too, each by the same
rules (an emr document of a merged resident by the caller's basis for that resident, which
counts the caller's basis for the survivor while the merge stands, as GetDocument judges it:
rhip.emr.reading); a resident merged into another shows none while the merge stands
(rhip.emr.timeline.merges)."""

from __future__ import annotations

from rhip.emr.recognition.usecases import RecognitionUseCases
from rhip.emr.timeline.feeds import FeedUseCases
from rhip.emr.timeline.sources import ALL_READS
from rhip.emr.timeline.store import TimelineEntry
from rhip.kit.authn import current_principal
from rhip.kit.pagination import Page


class TimelineUseCases(RecognitionUseCases, FeedUseCases):
    def timeline(self, parent: str, page: Page) -> tuple[list[TimelineEntry], str]:
        principal = current_principal()
        resident_id = self._visible_resident(principal, parent, "ListTimeline")
        scopes = self._scopes(principal, "ListTimeline")
        # The caller's reach for each source's read method, from the cell's shared policy.
        held = {method: self.authz.scopes(principal.subject, method) for method in ALL_READS}
        with self._unit(durable=False) as repo:
            # Each resident's emr documents by the caller's basis for it; the audit names the
            # basis each was read on, and whose it was where not the merged resident's own.
            opened = self.open_kinds_shown(
                repo, principal, resident_id, "ListTimeline", "timeline.read", parent,
                scopes[0], hits=0,
            )  # fmt: skip
            if opened is None:  # merged into another: its entries are the survivor's
                return [], ""
            kinds, detail = opened
            found, _ = repo.entries(kinds, scopes, page.after, page.size + 1, held)
            chunk = found[: page.size]
            self._audit(
                repo, "timeline.read", parent, scopes[0], "OK", resident=resident_id,
                hits=len(chunk), **detail,
            )  # fmt: skip
        last = None
        if chunk:
            e = chunk[-1]
            last = f"{e.occur_time.strftime('%Y%m%d%H%M%S%f')}|{e.entry_id}"
        return chunk, page.next_token(last, len(found) > page.size)
