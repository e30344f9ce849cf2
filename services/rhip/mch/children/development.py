"""The development check of a child visit as plain Python: the national warning-sign screen
(儿童心理行为发育问题预警征象筛查表, an annex of the 0～6岁儿童健康管理服务规范 of the basic public
health service specification, 3rd ed.). Each age group from 3 months to 6 years has four warning
signs; any one present suggests a developmental deviation and the child is referred. A visit
checks the signs of the child's age group (the latest group the child has reached), so the
3-month visit checks the 3-month signs, the 4-year visit the 4-year signs. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rhip.kit.errors import Violations

# Age group (months) → its four signs, numbered as the form numbers them: code "{group}-{n}".
_FORM: dict[tuple[str, int], tuple[str, str, str, str]] = {
    ("M3", 3): ("对很大声音没有反应", "逗引时不发音或不会微笑", "不注视人脸，不追视移动人或物品", "俯卧时不会抬头"),
    ("M6", 6): ("发音少，不会笑出声", "不会伸手抓物", "紧握拳松不开", "不能扶坐"),
    ("M8", 8): ("听到声音无应答", "不会区分生人和熟人", "双手间不会传递玩具", "不会独坐"),
    ("M12", 12): ("呼唤名字无反应", "不会模仿“再见”或“欢迎”动作", "不会用拇食指对捏小物品", "不会扶物站立"),
    ("M18", 18): ("不会有意识叫“爸爸”或“妈妈”", "不会按要求指人或物", "与人无目光交流", "不会独走"),
    ("M24", 24): ("不会说3个物品的名称", "不会按吩咐做简单事情", "不会用勺吃饭", "不会扶栏上楼梯/台阶"),
    ("M30", 30): ("不会说2～3个字的短语", "兴趣单一、刻板", "不会示意大小便", "不会跑"),
    ("M36", 36): ("不会说自己的名字", "不会玩“拿棍当马骑”等假想游戏", "不会模仿画圆", "不会双脚跳"),
    ("Y4", 48): ("不会说带形容词的句子", "不能按要求等待或轮流", "不会独立穿衣", "不会单脚站立"),
    ("Y5", 60): ("不能简单叙说事情经过", "不知道自己的性别", "不会用筷子吃饭", "不会单脚跳"),
    ("Y6", 72): ("不会表达自己的感受或想法", "不会玩角色扮演的集体游戏", "不会画方形", "不会奔跑"),
}  # fmt: skip
GROUPS: tuple[tuple[str, int], ...] = tuple(_FORM)
SIGNS: dict[str, str] = {
    f"{group}-{n}": text for (group, _), texts in _FORM.items() for n, text in enumerate(texts, 1)
}


def group_at(age_months: int) -> str:
    """The age group whose signs a child of ``age_months`` completed months is checked for;
    "" before 3 months (the form starts there)."""
    reached = [group for group, months in GROUPS if months <= age_months]
    return reached[-1] if reached else ""


def signs_of(group: str) -> tuple[str, ...]:
    return tuple(code for code in SIGNS if code.rsplit("-", 1)[0] == group)


class DevelopmentResult(Enum):
    PASSED = "PASSED"  # none of the group's warning signs
    WARNING_SIGNS = "WARNING_SIGNS"  # one or more: refer


@dataclass(frozen=True)
class Development:
    result: DevelopmentResult
    group: str  # the age group checked (M3 … Y6)
    signs: tuple[str, ...]  # the warning signs found (codes), empty when PASSED


def check_development(
    result: DevelopmentResult | None, signs: list[str], age_months: int, checks: Violations
) -> Development | None:
    """The visit's development check (None: not assessed — no result and no sign given)."""
    if result is None and not signs:
        return None
    field = "visit.development"
    group = group_at(age_months)
    if not group:
        checks.add(
            f"{field}.result", "the warning-sign check starts at 3 months", "DEVELOPMENT_NOT_DUE"
        )
        return None
    if result is None:
        checks.add(
            f"{field}.result", "must be passed or warning signs", "DEVELOPMENT_RESULT_REQUIRED"
        )
        return None
    due = signs_of(group)
    for i, code in enumerate(signs):
        if code not in SIGNS:
            checks.add(
                f"{field}.warning_signs[{i}]", "unknown warning sign", "WARNING_SIGN_UNKNOWN"
            )
        elif code not in due:
            checks.add(
                f"{field}.warning_signs[{i}]", f"not a sign of the {group} check",
                "WARNING_SIGN_NOT_DUE",
            )  # fmt: skip
        elif code in signs[:i]:
            checks.add(f"{field}.warning_signs[{i}]", "given twice", "WARNING_SIGN_REPEATED")
    if result is DevelopmentResult.PASSED and signs:
        checks.add(
            f"{field}.warning_signs", "a passed check has no warning signs", "DEVELOPMENT_MISMATCH"
        )
    if result is DevelopmentResult.WARNING_SIGNS and not signs:
        checks.add(
            f"{field}.warning_signs", "name the warning signs found", "WARNING_SIGNS_REQUIRED"
        )
    return Development(result, group, tuple(signs))
