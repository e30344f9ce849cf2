"""Referral indicators (issue 17) of an institution or a region subtree, counted in SQL within
the caller's scopes: up and down shares of what was sent, acceptance of what was received,
returns of upward patients taken into care, follow-up after return, teleconsultations closed
with a decision. Numerator, denominator and the moment of counting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.errors import invalid
from rhip.kit.requests import parse_resource_name
from rhip.kit.scopes import within_scopes
from rhip.referral.referrals.store import REFERRALS
from rhip.referral.referrals.usecases import ReferralUseCases
from rhip.referral.roles import REFERRAL
from rhip.referral.teleconsults.store import TCS
from sqlalchemy import and_, case, func, select

CARED = ("IN_CARE", "RETURNED", "COMPLETED", "CLOSED")
ACCEPTED = ("ACCEPTED", *CARED)


@dataclass(frozen=True)
class Indicator:
    kind: str  # UP, DOWN, ACCEPTANCE, RETURN, FOLLOW_UP_AFTER_RETURN, TELECONSULTATION_CLOSED
    numerator: int
    denominator: int
    specialty: str = ""  # for TELECONSULTATIONS_BY_SPECIALTY


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class ReferralIndicators(ReferralUseCases):
    def indicators(self, parent: str) -> tuple[list[Indicator], datetime]:
        principal = current_principal()
        action = REFERRAL + "GetReferralIndicators"
        if parent.startswith("regions/"):
            code = parse_resource_name(parent, "regions", "parent")
            root, below = self.parents.region(principal, code, action).path, True
        elif parent.startswith("tenants/"):
            tenant_id = parse_resource_name(parent, "tenants", "parent")
            root = self.parents.tenant(principal, tenant_id, action, self._tenant_scope)
            below = False
        else:
            raise invalid(
                "parent", "must look like tenants/{id} or regions/{code}", "RESOURCE_NAME"
            )
        scopes = self.authz.scopes(principal.subject, action)

        def place(column: Any) -> Any:
            where = within_scopes(column, [root]) if below else column == root
            return and_(where, within_scopes(column, scopes))

        r = REFERRALS.c
        state, up = r.state, r.direction == "up"
        sent_query = select(
            _count(state != "DRAFT"),
            _count(and_(state != "DRAFT", up)),
            _count(and_(state != "DRAFT", r.direction == "down")),
            _count(state.in_(("RETURNED", "CLOSED"))),
            _count(state == "CLOSED"),
        ).where(place(r.sender_scope))
        received_query = select(
            _count(state.in_(ACCEPTED)),
            _count(state.in_((*ACCEPTED, "REJECTED"))),
            _count(and_(up, state.in_(("RETURNED", "CLOSED")))),
            _count(and_(up, state.in_(CARED))),
            func.coalesce(func.sum(r.accept_seconds), 0),
            _count(r.accept_seconds.is_not(None)),
        ).where(place(r.receiver_scope))
        t = TCS.c
        tele_query = select(_count(t.state == "CLOSED"), func.count()).where(
            place(t.inviting_scope)
        )
        by_specialty = (
            select(t.specialty, func.count())
            .where(place(t.inviting_scope))
            .group_by(t.specialty)
            .order_by(t.specialty)
        )
        now = self.clock()
        with self._unit(durable=False) as repo:
            sent, up_n, down_n, returned, closed = repo.s.execute(sent_query).one()
            accepted, decided, back, cared, seconds, timed = repo.s.execute(received_query).one()
            tele_closed, tele_all = repo.s.execute(tele_query).one()
            specialties = repo.s.execute(by_specialty).all()
            audit.append(repo.s, audit.AuditEvent("referral.indicators", parent, root))
        found = [
            Indicator("UP", up_n, sent),
            Indicator("DOWN", down_n, sent),
            Indicator("ACCEPTANCE", accepted, decided),
            Indicator("RETURN", back, cared),
            Indicator("FOLLOW_UP_AFTER_RETURN", closed, returned),
            Indicator("TELECONSULTATION_CLOSED", tele_closed, tele_all),
            Indicator("ACCEPTANCE_MINUTES", int(seconds) // 60, timed),
            *(
                Indicator("TELECONSULTATIONS_BY_SPECIALTY", n, tele_all, specialty)
                for specialty, n in specialties
            ),
        ]
        return [
            Indicator(i.kind, int(i.numerator), int(i.denominator), i.specialty) for i in found
        ], now
