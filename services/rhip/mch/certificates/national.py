"""National reporting (DOMAIN §4.6): every issue, replacement, reissue and void (and every blank
voided or lost, rhip.mch.stock.national) goes to the
national birth-certificate system through the durable outbox (rhip.kit.outbox), written in
the same transaction as the certificate, so nothing is reported that did not happen and
nothing that happened is forgotten. Events are ordered per certificate (the outbox key is the
certificate number), their ids are fixed by number and kind (a retry never makes a second
event), and each has a due time: a void within 2 hours (Hubei's rule; configurable), an issue
within a day. The delivery worker runs in the mch server; the province's administrators see
dead letters and overdue events and replay dead letters over BirthCertificateService."""

from __future__ import annotations

from datetime import datetime, timedelta

from rhip.kit import outbox
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import PermissionDenied, Violations, invalid
from rhip.kit.requests import check_no_controls
from rhip.kit.tenancy import RegionLevel, level_of, region_path
from rhip.mch.certificates.domain import Certificate, CertificateState
from rhip.mch.roles import BMC
from rhip.mch.settings import MchSettings
from rhip.mch.stock.domain import parse_region
from rhip.mch.stock.national import STREAM
from rhip.mch.stock.serials import SerialUseCases
from sqlalchemy import Connection

ENDED = {
    CertificateState.REPLACED: "bmc.replaced",
    CertificateState.REISSUED: "bmc.reissued",
    CertificateState.VOID: "bmc.voided",
}


def report_issue(tx: Connection, c: Certificate, options: MchSettings) -> None:
    """The certificate as printed, to the national system (it holds the personal data of the
    certificate by law; the payload is never logged)."""
    outbox.enqueue(
        tx, stream=STREAM, key=c.number, event_id=f"bmc-{c.number}-issued", kind="bmc.issued",
        payload={
            "number": c.number, "type": c.type.value, "issue_date": c.issue_date.isoformat(),
            "issuer": f"tenants/{c.issuer_tenant_id}", "supersedes": c.supersedes,
            "pages": c.pages.value, "ground": c.ground.value if c.ground else "",
            "printed": c.printed.to_json(),
        },
        due_at=c.create_time + timedelta(hours=options.bmc_issue_report_hours),
    )  # fmt: skip


def report_end(
    tx: Connection, c: Certificate, state: CertificateState, successor: str, reason: str,
    now: datetime, options: MchSettings,
) -> None:  # fmt: skip
    """A certificate that stopped being valid (void, replaced or reissued): due within the
    void-report window."""
    kind = ENDED[state]
    outbox.enqueue(
        tx, stream=STREAM, key=c.number, event_id=f"bmc-{c.number}-{kind.split('.')[1]}",
        kind=kind,
        payload={"number": c.number, "state": state.value, "successor": successor,
                 "reason": reason, "time": now.isoformat()},
        due_at=now + timedelta(hours=options.bmc_void_report_hours),
    )  # fmt: skip


class NationalReportUseCases(SerialUseCases):
    def _province(self, principal: Principal, parent: str, method: str) -> str:
        """The province's scope, once the caller is its own administration (or auditor)."""
        code = parse_region(parent, "parent")
        if level_of(code) is not RegionLevel.PROVINCE:
            raise invalid("parent", "national reporting is the province's", "BMC_PROVINCE_REQUIRED")
        scope = region_path(code)
        self.authz.require(principal, scope, BMC + method)
        if principal.tenant_id or principal.region_code != code:
            raise PermissionDenied(
                "the province's administrators watch national reporting",
                reason="BMC_PROVINCE_ONLY",
            )
        return scope

    def list_report_events(
        self, parent: str, overdue_only: bool, size: int
    ) -> list[tuple[outbox.OutboxEvent, int]]:
        principal = current_principal()
        if size < 0:
            raise invalid("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
        scope = self._province(principal, parent, "ListNationalReportEvents")
        limit = min(size or 50, 200)
        with self._unit(durable=False) as tx:
            if overdue_only:
                found = outbox.overdue(tx, now=self.clock(), stream=STREAM, limit=limit)
            else:
                found = outbox.dead_letters(tx, stream=STREAM, limit=limit)
            rows = [(e, outbox.held_behind(tx, e)) for e in found]
            self._audit(tx, "bmc.national.list", parent, scope, count=len(rows),
                        overdue=overdue_only)  # fmt: skip
        return rows

    def replay_report_events(self, parent: str, event_ids: list[str]) -> list[str]:
        principal = current_principal()
        checks = Violations()
        for i, event_id in enumerate(event_ids):
            if not 1 <= len(event_id) <= outbox.MAX_EVENT_ID:
                checks.add(f"event_ids[{i}]", "must be 1–64 characters", "EVENT_ID_FORMAT")
            else:
                checks.check(check_no_controls, event_id, f"event_ids[{i}]")
        if len(event_ids) > 1000:
            checks.add("event_ids", "at most 1000", "TOO_MANY_ITEMS")
        checks.raise_if_any()
        scope = self._province(principal, parent, "ReplayNationalReportEvents")
        with self._unit() as tx:
            replayed = outbox.replay(tx, event_ids=event_ids, stream=STREAM, now=self.clock())
            self._audit(tx, "bmc.national.replay", parent, scope, count=len(replayed))
        return replayed
