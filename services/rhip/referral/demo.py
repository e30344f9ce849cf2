"""The referral service's demo data (make run): in each demo cell, the community health
centre's doctor refers one of its residents up to the city's maternal and child health
hospital, which accepts, admits and returns the patient (回转), so the centre has a 14-day
follow-up task in the resident's record; and, under a cooperation agreement the province
administrator records between the two, the centre invites the hospital to a teleconsultation
about the same resident, which the hospital's doctor accepts and schedules for tomorrow.
Request ids are fixed: reseeding is a no-op."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rhip.demo import DEMO_PASSWORD, demo_cell, doctor_of, doctors_in, request_id
from rhip.kit.authn import acting_as
from rhip.kit.config import ConfigError, Settings
from rhip.kit.errors import FailedPrecondition, Violations
from rhip.kit.modules import Built
from rhip.kit.pagination import parse_page
from rhip.kit.timestamps import clinical_day
from rhip.referral.referrals.domain import OUTWARD_FIELDS, Direction, Draft

SENDER, RECEIVER = 0, 4  # the community health centre and the MCH hospital of each demo cell

OUTWARD = dict(
    zip(
        OUTWARD_FIELDS,
        (
            "高血压3级，血压控制不佳",
            "连续两次随访血压未达标，调整用药后仍不稳定",
            "高血压病史5年",
            "氨氯地平5mg每日一次，2周前加用缬沙坦",
            "无",
            "社区医生",
            "0516-00000000",
        ),
        strict=True,
    )
)
RETURN = {
    "diagnosis": "原发性高血压3级（高危）",
    "inpatient_number": "",
    "examination_results": "心电图左室高电压，肾功能正常",
    "treatment_so_far": "调整为氨氯地平+缬沙坦+氢氯噻嗪",
    "treatment_plan": "社区每2周随访血压，低盐饮食，1个月后复诊",
    "doctor": "专科医生",
    "doctor_phone": "0516-00000001",
}


def seed_referral_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    if "identity" not in built or "archives" not in built:
        raise ConfigError("referral demo data needs identity and archives in the same process")
    demo = demo_cell(settings)
    if not settings.cell_client_id:
        return "referral demo data: none (no cell account)"
    identity = built["identity"].parts.usecases
    archives = built["archives"].parts.usecases
    referrals = built["referral"].parts.usecases

    def login(index: int) -> Any:
        return identity.login_password(doctor_of(demo, index).username, DEMO_PASSWORD)

    def rid(step: str) -> str:
        return request_id(settings.cell, "referral", "up-and-back", step)

    sender, receiver = login(SENDER), login(RECEIVER)
    with acting_as(sender.principal, sender.access.token):
        records, _ = archives.list_records(
            f"tenants/{sender.principal.tenant_id}", None, "", "", parse_page(1, "")
        )
        if not records:
            return "referral demo data: none (no health record to refer)"
        draft = Draft(
            Direction.UP, f"residents/{records[0].resident_id}",
            f"tenants/{receiver.principal.tenant_id}", "心内科", "", OUTWARD,
            "signed_form", clinical_day(datetime.now(UTC)).isoformat(), "转诊同意书-演示",
        )  # fmt: skip
        referral = referrals.create(draft, rid("create"), Violations())
        name = f"referrals/{referral.referral_id}"
        referrals.submit(name, rid("submit"))
    with acting_as(receiver.principal, receiver.access.token):
        try:
            referrals.accept(name, rid("accept"))
            referrals.admit(name, rid("admit"))
            referral = referrals.return_(name, RETURN, rid("return"))
        except FailedPrecondition:  # reseeding: already returned
            referral = referrals.get(name)
    consult = _seed_teleconsultation(built, settings, records[0].resident_id, login)
    return (
        f"referral demo data: 1 referral up and back ({referral.state.value}), "
        f"1 teleconsultation ({consult})"
    )


def _seed_teleconsultation(
    built: Mapping[str, Built], settings: Settings, resident_id: str, login: Any
) -> str:
    """An agreement between the centre and the hospital, and a teleconsultation under it,
    accepted by the hospital's doctor (the staffing rule: a 主任医师 in practice since 2008)
    and scheduled for tomorrow 09:30 (Beijing time)."""
    demo = demo_cell(settings)
    identity = built["identity"].parts.usecases
    tele = built["referral"].parts.teleconsults
    sender, receiver = login(SENDER), login(RECEIVER)

    def rid(step: str) -> str:
        return request_id(settings.cell, "referral", "teleconsultation", step)

    today = clinical_day(datetime.now(UTC))
    admin = identity.login_password(demo.admin, DEMO_PASSWORD)
    with acting_as(admin.principal, admin.access.token):
        tele.create_agreement(
            {
                "inviting_tenant": f"tenants/{sender.principal.tenant_id}",
                "invited_tenant": f"tenants/{receiver.principal.tenant_id}",
                "scope": "心血管内科、妇产科远程会诊", "liability": "按双方远程医疗合作协议",
                "start_date": today.isoformat(),
                "end_date": (today + timedelta(days=365)).isoformat(),
            },
            rid("agreement"),
        )  # fmt: skip
    with acting_as(sender.principal, sender.access.token):
        consult = tele.request(
            {
                "resident": f"residents/{resident_id}",
                "invited_tenant": f"tenants/{receiver.principal.tenant_id}",
                "reason": "血压控制不佳，调整用药后仍波动", "purpose": "请上级医院专家指导用药",
                "record_summary": "高血压病史5年，近两次随访未达标",
                "specialty": "心血管内科", "title_wanted": "副主任医师",
            },
            None,
            {"signer": "patient", "consent_date": today.isoformat(), "reference": "会诊同意书-演示"},
            rid("request"),
        )  # fmt: skip
    name = f"teleconsultations/{consult.teleconsultation_id}"
    tomorrow = datetime.combine(today + timedelta(days=1), time(1, 30), UTC)  # 09:30 Beijing
    with acting_as(receiver.principal, receiver.access.token):
        physician = f"users/{receiver.principal.subject.removeprefix('user:')}"
        tele.accept(name, physician, rid("accept"), "主任医师", "2008-09-01")
        scheduled = tele.schedule(name, tomorrow, rid("schedule"))
    return scheduled.state.value


def referral_demo_hints(gateway: str, codes: Sequence[str]) -> list[str]:
    """What the referral demo data lets a doctor try, for the operator; nothing personal."""
    senders = doctors_in(codes, lambda demo: SENDER)
    receivers = doctors_in(codes, lambda demo: RECEIVER)
    pairs = [f"{sender} → {receiver}" for sender, receiver in zip(senders, receivers, strict=True)]
    return [
        "referrals: one patient referred up and returned (回转), with a 14-day follow-up task,",
        "  and a teleconsultation of the same patient scheduled for tomorrow:",
        f"  {', '.join(pairs)}",
    ]
