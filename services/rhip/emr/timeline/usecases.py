"""The lifetime timeline (全生命周期) of a resident: one indexed read of the timeline index,
newest first, showing only entries the caller could read at their source: emr's documents of
its own institution or those its basis for the resident opens; the other services' entries
where the shared policy gives it their source's read method at their scope."""

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
            kinds, basis = self.open_kinds(repo, principal, resident_id, "ListTimeline")
            found, _ = repo.entries(resident_id, scopes, kinds, page.after, page.size + 1, held)
            chunk = found[: page.size]
            self._audit(
                repo, "timeline.read", parent, scopes[0], resident=resident_id, basis=basis,
                hits=len(chunk),
            )  # fmt: skip
        last = None
        if chunk:
            e = chunk[-1]
            last = f"{e.occur_time.strftime('%Y%m%d%H%M%S%f')}|{e.entry_id}"
        return chunk, page.next_token(last, len(found) > page.size)
