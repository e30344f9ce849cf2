"""The isolation matrix over gRPC (security.matrix runs it), on SQLite and PostgreSQL; and
the classification it relies on: every RPC the gateway lists is classified (catalog.RULES):
an RPC added to any service without a line there fails here, naming what to add; and the
table names nothing that is not served (a renamed RPC would leave a stale line and an
untested method)."""

from __future__ import annotations

import pytest
from rhip.kit.apis import methods
from security.catalog import ACCESS, RULES, Unclassified, rule_for
from security.matrix import run_matrix
from security.rpcs import Caller, Rpc
from security.world import World


def test_no_principal_reaches_a_target_outside_its_scope(
    world: World, rpcs: list[Rpc], caller: Caller
) -> None:
    run_matrix(world, rpcs, caller)


# Public in the table though they need a token, because no answer depends on the caller's
# scope: a scanner anywhere verifies the code a resident shows (DOMAIN §7.1); the region
# catalogue (GB/T 2260) and the risk-grading rule packs are the same for everyone.
SCANS = frozenset({"VerifyHealthCardQrCode", "GetRegion", "ListRegions", "GetRiskRulePack"})


def test_every_served_rpc_is_classified(rpcs: list[Rpc], world: World) -> None:
    unclassified = []
    for rpc in rpcs:
        try:
            rule = rule_for(rpc.full_name)
        except Unclassified as error:
            unclassified.append(str(error))
            continue
        assert rule.access in ACCESS, rpc.full_name
        for path, kind in rule.targets:
            assert kind in world.targets, f"{rpc.full_name}: no {kind} target in the world"
            if path:
                field = rpc.input
                for part in path.split("."):
                    assert part in field.fields_by_name, f"{rpc.full_name}: no field {path}"
                    step = field.fields_by_name[part]
                    field = step.message_type or field
    assert not unclassified, "\n".join(unclassified)
    assert not set(RULES) - {r.full_name for r in rpcs}, "classified but not served"
    assert len(rpcs) >= 89


def test_an_rpc_without_a_rule_fails_the_suite() -> None:
    with pytest.raises(Unclassified, match=r"tests/security/catalog\.py"):
        rule_for("rhip.api.emr.v1.EmrService.GetClinicalDocument")


def test_the_table_agrees_with_what_the_protos_declare(rpcs: list[Rpc]) -> None:
    """A method the protos mark public (no token) is ``public`` here, and one another cell
    calls (``cross_cell``) is not public: the table cannot hide a method from the matrix by
    calling it public."""
    declared = methods()
    for rpc in rpcs:
        info = declared[rpc.path]
        access = rule_for(rpc.full_name).access
        if info.public:
            assert access == "public", rpc.full_name
        else:
            assert access != "public" or rpc.name in SCANS, rpc.full_name
        if info.cross_cell:
            assert access != "public", rpc.full_name
