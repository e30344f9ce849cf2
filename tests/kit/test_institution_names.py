"""rhip.kit.institution_names: the timeline feed's institution names are asked of identity once
per institution and a while, never fail the write that needs one, and keep the last known name
when identity cannot answer."""

from __future__ import annotations

from rhip.kit.errors import NotFound, Unavailable
from rhip.kit.institution_names import InstitutionNames


class Identity:
    """Answers GetTenant's display name, counting the calls; ``down`` answers UNAVAILABLE."""

    def __init__(self) -> None:
        self.names = {"t1": "泉山社区卫生服务中心", "t2": "徐州市泉山区人民医院"}
        self.calls: list[str] = []
        self.down = False

    def __call__(self, tenant_id: str) -> str:
        self.calls.append(tenant_id)
        if self.down:
            raise Unavailable("identity is away")
        if tenant_id not in self.names:
            raise NotFound(f"tenants/{tenant_id} does not exist")
        return self.names[tenant_id]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_name_is_asked_once_a_while_per_institution() -> None:
    identity, clock = Identity(), Clock()
    names = InstitutionNames(identity, ttl_seconds=600, clock=clock)
    assert [names("t1") for _ in range(50)] == ["泉山社区卫生服务中心"] * 50
    assert names("t2") == "徐州市泉山区人民医院"
    assert identity.calls == ["t1", "t2"]  # not once per entry
    identity.names["t1"] = "泉山区社区卫生服务中心"  # renamed
    clock.now = 601
    assert names("t1") == "泉山区社区卫生服务中心"  # asked again after the while
    assert identity.calls == ["t1", "t2", "t1"]


def test_a_name_the_use_case_holds_is_not_asked() -> None:
    identity = Identity()
    names = InstitutionNames(identity, clock=Clock())
    names.remember("t1", "泉山社区卫生服务中心")
    assert names("t1") == "泉山社区卫生服务中心" and identity.calls == []
    assert names("") == "" and identity.calls == []  # no tenant: nothing to ask


def test_identity_away_leaves_the_last_name_or_none_never_an_error() -> None:
    identity, clock = Identity(), Clock()
    names = InstitutionNames(identity, ttl_seconds=600, clock=clock)
    assert names("t1") == "泉山社区卫生服务中心"
    identity.down = True
    clock.now = 700
    assert names("t1") == "泉山社区卫生服务中心"  # stale beats none
    assert names("t2") == ""  # never known: the entry goes without a name


def test_an_institution_of_another_cell_is_asked_once_a_while_too() -> None:
    """A cross-cell referral's sender is not in this cell's identity: no name, and its next
    moves do not ask again."""
    identity, clock = Identity(), Clock()
    names = InstitutionNames(identity, ttl_seconds=600, clock=clock)
    assert [names("elsewhere") for _ in range(3)] == ["", "", ""]
    assert identity.calls == ["elsewhere"]
