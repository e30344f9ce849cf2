"""Pregnancy transfer use cases (DOMAIN §3.1): a woman who moves within the cell has her open
pregnancy's management moved to another institution, as a child's record moves
(child_transfers/usecases.py). Either side asks: the managing institution names the pregnancy
and the institution she goes to, or the institution she came to names the woman (it cannot read
her pregnancy; identity must show her to it). The other side accepts or declines (with a
reason); the side that asked may withdraw it while pending (with a reason), and meanwhile the
pregnancy shows it to those who read it (pregnancies/usecases.py: ``_view``); one open transfer
per pregnancy; a retry with the same request id returns the same transfer. The target must be
an institution of the cell that can manage pregnancies (a health institution, active: what
registration asks of the registering institution), checked at the request and again at the
acceptance, when the pregnancy must still be open (before the delivery).

On acceptance the episode — its schedule, grades, screenings and delivery plan, by its id —
becomes the target's: the overdue lists (per institution and per family-doctor team, both read
the episode's institution) and its reads follow at once; every earlier visit keeps the
institution that made it; its per-institution indicator counts move with it; its timeline
entries are re-scoped to the new institution and the move is an entry of its own. The source
keeps the transfer as its trace."""

from __future__ import annotations

from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.child_transfers.domain import MAX_REASON, check_text
from rhip.mch.clients import TenantFacts
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.usecases import PregnancyUseCases
from rhip.mch.pregnancy_transfers.domain import Party, PregnancyTransfer, TransferState, only
from rhip.mch.pregnancy_transfers.store import PregnancyTransferStore, TransferOpen
from rhip.mch.roles import MCH
from sqlalchemy import Connection

_REQUEST = "RequestPregnancyTransfer"
_ACCEPT = "AcceptPregnancyTransfer"
_DECLINE = "DeclinePregnancyTransfer"
_WITHDRAW = "WithdrawPregnancyTransfer"


def _pending(open_: PregnancyTransfer | None, show_target: bool) -> FailedPrecondition:
    """The pregnancy already has an open transfer: named, and its target too for a caller on
    the pregnancy's side (the institution she came to learns no other institution's name)."""
    details = {"transfer": f"pregnancyTransfers/{open_.transfer_id}"} if open_ else {}
    if open_ and show_target:
        details["target_tenant"] = f"tenants/{open_.target_tenant_id}"
    return FailedPrecondition(
        "the pregnancy already has an open transfer", reason="TRANSFER_PENDING", metadata=details
    )


class PregnancyTransferUseCases(PregnancyUseCases):
    # -- request ---------------------------------------------------------------------------------
    def request_pregnancy_transfer(
        self, pregnancy: str, resident: str, target: str, reason: str, request_id: str
    ) -> PregnancyTransfer:
        """``pregnancy`` (and ``target``): the managing institution asks; ``resident`` (and no
        ``target``, or the caller's own institution): the institution she came to asks."""
        principal = current_principal()
        checks = Violations()
        if bool(pregnancy) == bool(resident):
            checks.add(
                "pregnancy", "name the pregnancy (its managing institution asks) or the woman "
                "(the institution she came to asks), one of them", "PREGNANCY_OR_RESIDENT",
            )  # fmt: skip
        if pregnancy:
            checks.check(parse_resource_name, pregnancy, "pregnancies", "pregnancy")
            if not target:
                checks.add("target_tenant", "must be set", "TARGET_REQUIRED")
        if resident:
            checks.check(parse_resource_name, resident, "residents", "resident")
        target_id = ""
        if target:
            target_id = checks.check(parse_resource_name, target, "tenants", "target_tenant") or ""
        why = check_text(reason, "reason", MAX_REASON, "REASON_REQUIRED", checks)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = PregnancyTransferStore(tx).by_request(key)
            if earlier is not None:
                self._require(principal, earlier.scope_of(earlier.requested_by), _REQUEST)
                return earlier
        if pregnancy:
            with self.db.read() as tx:  # permission before anything about the target
                p = self._load_pregnancy(tx, pregnancy, _REQUEST, field="pregnancy")
            p.require_open()
            receiver = self._pregnancy_receiver(target_id)
            return self._open_pregnancy_transfer(
                principal, p.pregnancy_id, receiver, Party.SOURCE, why, key
            )
        tenant, _ = self._own_tenant(principal, _REQUEST)
        if target_id and target_id != tenant.tenant_id:
            raise invalid(
                "target_tenant", "naming the woman, the caller's own institution asks (leave "
                "it empty)", "TARGET_NOT_OWN",
            )  # fmt: skip
        receiver = self._pregnancy_receiver(tenant.tenant_id)
        woman = self._woman(resident, "resident")  # as identity shows her to the caller
        with self.db.read() as tx:
            found = PregnancyStore(tx).open_of(woman.resident_id)
        if found is None:
            raise FailedPrecondition(
                "she has no open pregnancy in this cell (register it)", reason="NO_OPEN_PREGNANCY"
            )
        return self._open_pregnancy_transfer(
            principal, found.pregnancy_id, receiver, Party.TARGET, why, key
        )

    def _pregnancy_receiver(self, tenant_id: str) -> TenantFacts:
        """The institution to manage her: of this cell, a health institution, active (what
        registration asks of the registering one), looked up as the cell when it has its
        account (a clinic may read only its own entry)."""
        return self._target(tenant_id, "", as_cell=self.identity.has_cell_account)

    def _open_pregnancy_transfer(
        self, principal: Principal, pregnancy_id: str, receiver: TenantFacts, party: Party,
        why: str, key: str,
    ) -> PregnancyTransfer:  # fmt: skip
        now = self.clock()
        with self._unit() as tx:
            if party is Party.SOURCE:
                p = self._load_pregnancy(
                    tx, f"pregnancies/{pregnancy_id}", _REQUEST, field="pregnancy", lock=True
                )
            else:
                found = PregnancyStore(tx).get(pregnancy_id, lock=True)
                assert found is not None  # pregnancies are never deleted
                p = found.as_of(clinical_day(now))
            store = PregnancyTransferStore(tx)
            if claim(tx, key) and (earlier := store.by_request(key)) is not None:
                return earlier  # the same request, carried out meanwhile
            p.require_open()
            if receiver.tenant_id == p.tenant_id:
                raise FailedPrecondition(
                    "the pregnancy is managed by that institution already",
                    reason="ALREADY_MANAGED",
                )
            transfer = PregnancyTransfer(
                new_id(), p.pregnancy_id, p.resident_id, p.tenant_id, p.scope_path,
                receiver.tenant_id, tenant_scope(receiver.region_code, receiver.tenant_id),
                party, TransferState.PENDING, why, now, target_name=receiver.display_name,
            )  # fmt: skip
            try:
                store.add(transfer, key)
            except TransferOpen:
                raise _pending(store.open_of(p.pregnancy_id), party is Party.SOURCE) from None
            self._audit(
                tx, "pregnancy.transfer_request", f"pregnancyTransfers/{transfer.transfer_id}",
                transfer.scope_of(party), pregnancy=p.pregnancy_id, resident=p.resident_id,
                source=p.tenant_id, to=receiver.tenant_id, requested_by=party.value,
                by=principal.subject,
            )  # fmt: skip
            return transfer

    # -- loading and sides -----------------------------------------------------------------------
    def _load_pregnancy_transfer(
        self, tx: Connection, name: str, method: str, *, lock: bool = False
    ) -> PregnancyTransfer:
        return self._either_side(
            name,
            "pregnancyTransfers",
            lambda i: PregnancyTransferStore(tx).get(i, lock=lock),
            method,
        )

    def _pregnancy_side(
        self, principal: Principal, t: PregnancyTransfer, party: Party, method: str, what: str
    ) -> None:
        """Only ``party``'s side does ``method`` (the other side: ``SOURCE_ONLY`` or
        ``TARGET_ONLY``)."""
        if not self.authz.enforce(principal.subject, t.scope_of(party), MCH + method):
            raise only(party, what)

    # -- the answer ------------------------------------------------------------------------------
    def accept_pregnancy_transfer(self, name: str) -> PregnancyTransfer:
        principal = current_principal()
        with self.db.read() as tx:
            t = self._load_pregnancy_transfer(tx, name, _ACCEPT)
            self._pregnancy_side(principal, t, t.requested_by.other, _ACCEPT, "accepts")
        if t.state is TransferState.ACCEPTED:
            return t  # a retry: she moved once
        t.require_pending()
        # The target can still manage her (suspended meanwhile?): asked before the locks.
        receiver = self._pregnancy_receiver(t.target_tenant_id)
        institution = self._institution(receiver.tenant_id, receiver)
        now = self.clock()
        with self._unit() as tx:
            t = self._load_pregnancy_transfer(
                tx, name, _ACCEPT, lock=True
            )  # its sides never change
            if t.state is TransferState.ACCEPTED:
                return t
            t.require_pending()
            store = PregnancyStore(tx)
            found = store.get(t.pregnancy_id, lock=True)
            assert found is not None
            p = found.as_of(clinical_day(now))
            if p.tenant_id != t.source_tenant_id:  # cannot happen while the transfer is open
                raise FailedPrecondition("the pregnancy moved meanwhile", reason="TRANSFER_STATE")
            # Delivered or ended while pending: refused, and it stays pending to be declined or
            # withdrawn (the postpartum care stays with the institution that managed her).
            p.require_open()
            with counting(tx, pregnancies=[p.pregnancy_id]):  # its counts leave with it
                store.move(p.pregnancy_id, t.target_tenant_id, t.target_scope, now)
            if feed := self._feed(tx):
                feed.pregnancy_moved(p, t.target_scope, t.target_tenant_id, institution)
            done = t.accepted(now)
            PregnancyTransferStore(tx).decide(done)
            self._audit(
                tx, "pregnancy.transfer_accept", f"pregnancyTransfers/{t.transfer_id}",
                t.scope_of(t.requested_by.other), pregnancy=t.pregnancy_id,
                resident=t.resident_id, source=t.source_tenant_id, to=t.target_tenant_id,
                by=principal.subject,
            )  # fmt: skip
            return done

    def decline_pregnancy_transfer(self, name: str, reason: str) -> PregnancyTransfer:
        principal = current_principal()
        checks = Violations()
        why = check_text(reason, "reason", MAX_REASON, "REASON_REQUIRED", checks)
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as tx:
            t = self._load_pregnancy_transfer(tx, name, _DECLINE, lock=True)
            self._pregnancy_side(principal, t, t.requested_by.other, _DECLINE, "declines")
            if t.state is TransferState.DECLINED and t.decline_reason == why:
                return t  # a retry
            t.require_pending()
            done = t.declined(why, now)
            PregnancyTransferStore(tx).decide(done)
            self._audit(
                tx, "pregnancy.transfer_decline", f"pregnancyTransfers/{t.transfer_id}",
                t.scope_of(t.requested_by.other), pregnancy=t.pregnancy_id,
                resident=t.resident_id, by=principal.subject,
            )  # fmt: skip
            return done

    def withdraw_pregnancy_transfer(self, name: str, reason: str) -> PregnancyTransfer:
        """The side that asked takes back a request the other has not answered (she stayed,
        the wrong institution was asked); the pregnancy stays where it was and may be asked
        for again."""
        principal = current_principal()
        checks = Violations()
        why = check_text(reason, "reason", MAX_REASON, "REASON_REQUIRED", checks)
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as tx:
            t = self._load_pregnancy_transfer(tx, name, _WITHDRAW, lock=True)
            self._pregnancy_side(principal, t, t.requested_by, _WITHDRAW, "withdraws")
            if t.state is TransferState.WITHDRAWN and t.withdraw_reason == why:
                return t  # a retry
            t.require_pending()
            done = t.withdrawn(why, now)
            PregnancyTransferStore(tx).decide(done)
            self._audit(
                tx, "pregnancy.transfer_withdraw", f"pregnancyTransfers/{t.transfer_id}",
                t.scope_of(t.requested_by), pregnancy=t.pregnancy_id, resident=t.resident_id,
                by=principal.subject,
            )  # fmt: skip
            return done

    # -- reads -----------------------------------------------------------------------------------
    def get_pregnancy_transfer(self, name: str) -> PregnancyTransfer:
        principal = current_principal()
        with self._unit(durable=False) as tx:
            t = self._load_pregnancy_transfer(tx, name, "GetPregnancyTransfer")
            mine = self.authz.enforce(
                principal.subject, t.source_scope, MCH + "GetPregnancyTransfer"
            )
            self._audit(
                tx, "pregnancy.transfer_read", f"pregnancyTransfers/{t.transfer_id}",
                t.source_scope if mine else t.target_scope, pregnancy=t.pregnancy_id,
                resident=t.resident_id,
            )  # fmt: skip
            return t

    def list_pregnancy_transfers(
        self, parent: str, state: TransferState | None, page: Page
    ) -> tuple[list[PregnancyTransfer], str]:
        principal = current_principal()
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListPregnancyTransfers")
        scopes = self._scopes(principal, "ListPregnancyTransfers")
        with self._unit(durable=False) as tx:
            rows = PregnancyTransferStore(tx).find(
                tenant_id, scopes, state, page.after, page.size + 1
            )
            chunk = rows[: page.size]
            self._audit(
                tx, "pregnancy.transfer_list", f"tenants/{tenant_id}", scopes[0], count=len(chunk)
            )
        token = page.next_token(chunk[-1].transfer_id if chunk else None, len(rows) > page.size)
        return chunk, token
