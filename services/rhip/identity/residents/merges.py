"""Merging two residents found to be one person, and undoing it.

A merge moves the merged resident's documents, enrollments and children to the survivor and
turns the merged resident into an alias (state MERGED, ``merged_into``). Moved documents say
where they came from (origin ``merged_from:<id>``) and are aliases, except when the survivor has
no primary document (a PROVISIONAL newborn merged with the ID-verified resident of the same
child): then the merged resident's primary document, the ID number, becomes the survivor's
primary. The survivor inherits the merged resident's mother when it has none (the newborn's
link to its mother survives either direction); two different mothers refuse the merge. What
moved is written down with the merge, so an undo puts back exactly that; both residents get
history entries explaining each step. An undo is refused once a later merge has built on it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rhip.identity.directory.domain import parse_resource_name, validate_reason
from rhip.identity.links.store import announce_later, move_links, move_links_back
from rhip.identity.residents.access import ResidentAccess
from rhip.identity.residents.card_store import CardRepository
from rhip.identity.residents.change_store import publish
from rhip.identity.residents.domain import ChangeKind, HealthCard, MergeRecord, ResidentState
from rhip.identity.residents.merge_store import MergeRepository
from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.tenancy import is_within


class ResidentMerges:
    def __init__(self, residents: ResidentAccess) -> None:
        self.residents = residents

    def merge(
        self, survivor_name: str, merged_name: str, reason: str, request_id: str
    ) -> MergeRecord:
        principal = current_principal()
        uc = self.residents
        roots = uc.roots(principal, "MergeResidents")
        checks = Violations()
        survivor_id = checks.check(parse_resource_name, survivor_name, "residents", "survivor")
        merged_id = checks.check(parse_resource_name, merged_name, "residents", "merged")
        reason = checks.check(validate_reason, reason) or ""
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        if survivor_id == merged_id:
            raise invalid("merged", "must differ from the survivor", "MERGE_SAME_RESIDENT")
        now = uc.clock()
        with uc.unit() as repo:
            merges, cards = MergeRepository(repo.s), CardRepository(repo.s)
            claim(repo.s, request_id)
            if request_id and (earlier := merges.merge_by_request(request_id)):
                return earlier
            # Lock both rows in id order so two merges of the same pair cannot deadlock.
            first, second = sorted((survivor_id, merged_id))
            locked = {
                rid: uc.visible_resident(repo, rid, roots, lock=True) for rid in (first, second)
            }
            survivor, merged = locked[survivor_id], locked[merged_id]
            for who, field in ((survivor, "survivor"), (merged, "merged")):
                if who.state is ResidentState.MERGED:
                    raise FailedPrecondition(
                        f"the {field} resident is already merged into another",
                        reason="RESIDENT_MERGED",
                        metadata={"field": field},
                    )
            if survivor.mother_id and merged.mother_id and survivor.mother_id != merged.mother_id:
                raise FailedPrecondition(
                    "the two residents have different mothers on file",
                    reason="MERGE_MOTHER_CONFLICT",
                )
            keeps_primary = not any(d.primary for d in survivor.documents)
            moved: dict[str, Any] = {
                # [id, was primary, origin before the merge]: what an undo restores.
                "documents": [[d.document_id, d.primary, d.origin] for d in merged.documents],
                "enrollments": [],
                "children": repo.children_of(merged.resident_id),
                "merged_state": merged.state.value,
                "survivor_state": survivor.state.value,
                "card": None,
                "mother": "" if survivor.mother_id else merged.mother_id,
            }
            for document in merged.documents:
                repo.move_documents(
                    [document.document_id], survivor_id, document.primary and keeps_primary,
                    origin=f"merged_from:{merged_id}",
                )  # fmt: skip
            survivor_tenants = {t for t, _ in repo.enrollments(survivor_id)}
            for tenant_id, scope in repo.enrollments(merged_id):
                if tenant_id not in survivor_tenants:
                    repo.enroll(survivor_id, tenant_id, scope, now)
                    moved["enrollments"].append(tenant_id)
            repo.set_mother(moved["children"], survivor_id)
            card = cards.card_of(merged_id, for_update=True)
            if card is not None and card.state == "active":
                moved["card"] = card.generation
                cards.save_card(
                    replace(card, state="revoked", revoke_time=now, revoke_reason="merged")
                )
            repo.save(
                replace(
                    merged,
                    state=ResidentState.MERGED,
                    merged_into=survivor_id,
                    update_time=now,
                    version=merged.version + 1,
                ),
                merged.version,
            )
            identified = survivor.state is ResidentState.PROVISIONAL and any(
                d.primary for d in merged.documents
            )  # the alias brought an identity document: the person is now identified
            if identified or moved["mother"]:
                repo.save(
                    replace(
                        survivor,
                        state=ResidentState.VERIFIED if identified else survivor.state,
                        mother_id=survivor.mother_id or merged.mother_id,
                        update_time=now,
                        version=survivor.version + 1,
                    ),
                    survivor.version,
                )
            merge_id = new_id()
            # Residents linked across cells: the merged one's links are the survivor's now
            # (kept in ``moved`` for the undo), and the survivor announces its documents to the
            # locator; the linked cells relink from this cell's feed.
            moved["links"] = move_links(repo.s, merged_id, survivor_id, merge_id)
            announce_later(repo.s, survivor_id, now)
            record = MergeRecord(
                merge_id, survivor_id, merged_id, "active", reason, moved, now, None, ""
            )
            merges.add_merge(record, request_id)
            actor = principal.subject
            repo.record(
                merged_id, "MERGED_INTO", actor, now, survivor=survivor_id, merge=record.merge_id
            )
            repo.record(
                survivor_id, "ABSORBED", actor, now, merged=merged_id, merge=record.merge_id
            )
            publish(  # the cell's change feed: archives moves the merged resident's records
                repo.s, ChangeKind.MERGED, merged_id, actor, now,
                survivor_id=survivor_id, merge_id=record.merge_id,
            )  # fmt: skip
            for resident in (survivor, merged):
                uc.audit_change(repo, "resident.merge", resident, merge=record.merge_id)
        uc.links_queued()
        return record

    def undo(self, name: str, reason: str) -> MergeRecord:
        principal = current_principal()
        uc = self.residents
        roots = uc.roots(principal, "UndoResidentMerge")
        checks = Violations()
        merge_id = checks.check(parse_resource_name, name, "residentMerges")
        reason = checks.check(validate_reason, reason) or ""
        checks.raise_if_any()
        now = uc.clock()
        with uc.unit() as repo:
            merges, cards = MergeRepository(repo.s), CardRepository(repo.s)
            merge = merges.get_merge(merge_id, for_update=True)
            if merge is None:  # permission before existence, as for residents
                if any(is_within(uc.cell_path, r) for r in roots):
                    raise NotFound(f"residentMerges/{merge_id} does not exist")
                raise PermissionDenied("not allowed to see this merge")
            first, second = sorted((merge.survivor_id, merge.merged_id))
            locked = {
                rid: uc.visible_resident(repo, rid, roots, lock=True) for rid in (first, second)
            }
            if merge.state != "active":
                return merge  # already undone: a retry
            if merges.later_active_merges([merge.survivor_id, merge.merged_id], merge.create_time):
                raise FailedPrecondition(
                    "a later merge involves these residents: undo that one first",
                    reason="MERGE_NOT_LATEST",
                )
            survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
            moved = merge.moved
            for document_id, was_primary, *origin in moved["documents"]:
                # Merges recorded before origins were kept moved [id, primary] only.
                repo.move_documents(
                    [document_id], merge.merged_id, bool(was_primary),
                    origin=origin[0] if origin else None,
                )  # fmt: skip
            repo.remove_enrollments(merge.survivor_id, moved["enrollments"])
            repo.set_mother(moved["children"], merge.merged_id)
            if moved.get("card") is not None:
                card = cards.card_of(merge.merged_id, for_update=True)
                if card is not None:
                    cards.save_card(_restored(card))
            repo.save(
                replace(
                    merged,
                    state=ResidentState(moved["merged_state"]),
                    merged_into="",
                    update_time=now,
                    version=merged.version + 1,
                ),
                merged.version,
            )
            inherited_mother = moved.get("mother", "")
            if survivor.state.value != moved["survivor_state"] or inherited_mother:
                repo.save(
                    replace(
                        survivor,
                        state=ResidentState(moved["survivor_state"]),
                        mother_id="" if inherited_mother else survivor.mother_id,
                        update_time=now,
                        version=survivor.version + 1,
                    ),
                    survivor.version,
                )
            merges.mark_merge_undone(merge_id, reason, now)
            actor = principal.subject
            for resident_id in (merge.survivor_id, merge.merged_id):
                repo.record(resident_id, "MERGE_UNDONE", actor, now, merge=merge_id)
            publish(  # the cell's change feed: archives moves back what the merge moved
                repo.s, ChangeKind.MERGE_UNDONE, merge.merged_id, actor, now,
                survivor_id=merge.survivor_id, merge_id=merge_id,
            )  # fmt: skip
            move_links_back(repo.s, moved.get("links", []), merge.survivor_id, merge.merged_id, now)
            for resident_id in (merge.survivor_id, merge.merged_id):  # each its documents again
                announce_later(repo.s, resident_id, now)
            for resident in (survivor, merged):
                uc.audit_change(repo, "resident.merge_undo", resident, merge=merge_id)
        uc.links_queued()
        return replace(merge, state="undone", undo_time=now, undo_reason=reason)


def _restored(card: HealthCard) -> HealthCard:
    """The card the merge revoked comes back as a new generation: payloads shown during the
    merge stay dead."""
    return replace(
        card, state="active", generation=card.generation + 1, revoke_time=None, revoke_reason=""
    )
