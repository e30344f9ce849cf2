"""Institution qualifications as plain Python: the kinds, the grant's lifecycle, the checks of
the input. No gRPC, no SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from rhip.kit.errors import FailedPrecondition, invalid


class QualificationKind(Enum):
    MIDWIFERY = "MIDWIFERY"
    BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"
    RISK_GRADING = "RISK_GRADING"
    CHILD_EYE_CARE = "CHILD_EYE_CARE"
    SCHOOL_HEALTH = "SCHOOL_HEALTH"


class QualificationState(Enum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


_LICENCE = re.compile(r"[0-9A-Za-z\-/()（）\u4e00-\u9fff]{1,64}")


def validate_licence(text: str, field: str = "licence_number") -> str:
    text = text.strip()
    if text and not _LICENCE.fullmatch(text):
        raise invalid(
            field, "letters, digits, hyphens or Chinese characters, at most 64", "LICENCE_FORMAT"
        )
    return text


@dataclass(frozen=True)
class Qualification:
    qualification_id: str
    tenant_id: str
    scope_path: str  # the tenant's scope: who may see and revoke it
    kind: QualificationKind
    state: QualificationState
    licence_number: str
    granted_by: str
    grant_time: datetime
    revoked_by: str = ""
    revoke_time: datetime | None = None
    revoke_reason: str = ""

    def revoked(self, by: str, at: datetime, reason: str) -> Qualification:
        if self.state is QualificationState.REVOKED:
            raise FailedPrecondition(
                "the qualification is already revoked", reason="QUALIFICATION_REVOKED"
            )
        return replace(
            self,
            state=QualificationState.REVOKED,
            revoked_by=by,
            revoke_time=at,
            revoke_reason=reason,
        )
