"""Authorization decisions through ``rhip.kit.authz`` at production policy size.

Builds a policy of 100,000 rows for 20,000 tenants spread over the real county codes of
``rhip/kit/data/regions.csv`` (practitioner grants on tenant scopes, tenant memberships,
regional administrators and auditors on city/county/province paths, a few blocked tenants and
users, and the role catalogue's ``p`` rows), writes it into a scratch database through
``PolicyStore`` and measures:

* policy load: ``Authorizer.refresh(force=True)`` (database read + casbin snapshot build);
* cold decisions: every request distinct, so the decision cache misses (p50/p99, and by chunk
  of the run, to show state that accumulates per subject until the next reload);
* warm decisions: repeated requests answered from the decision cache;
* the rejected design: a flat casbin model whose matcher tests the request's region against
  every policy row with a keyMatch prefix (10,000 and 100,000 rows).

Run alone: ``.venv/bin/python tests/perf/bench_authz.py [--sqlite] [--quick]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Callable, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import casbin
from _common import log, percentile, scratch_database, table
from authz_policy import (
    GET_TENANT,
    TARGETS,
    Policy,
    Request,
    build_policy,
    check_correctness,
    make_requests,
    store_policy,
)
from rhip.identity.roles import ROLE_PERMISSIONS
from rhip.kit.authz import (
    Authorizer,
    PolicyStore,
    Rule,
    _RowsAdapter,
    _Snapshot,
)


# -- measurement -----------------------------------------------------------------------------
def time_calls(fn: Callable[..., object], requests: Sequence[Request]) -> list[float]:
    """Latency of each call in microseconds."""
    clock = time.perf_counter_ns
    out = []
    for req in requests:
        t0 = clock()
        fn(*req)
        out.append((clock() - t0) / 1000)
    return out


def summarise(latencies_us: Sequence[float]) -> dict[str, float]:
    s = sorted(latencies_us)
    return {
        "n": len(s),
        "p50_us": percentile(s, 50),
        "p99_us": percentile(s, 99),
        "max_us": s[-1],
        "mean_us": sum(s) / len(s),
    }


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def role_manager_sizes(authz: Authorizer) -> dict[str, int]:
    """How much state casbin's lazily built per-domain role managers hold now."""
    snapshot = authz._snapshot
    rm = snapshot._roles
    rm_map = getattr(rm, "rm_map", {})
    root = rm_map.get("86")
    return {
        "domain_role_managers": len(rm_map),
        "roles_in_largest_domain_manager": max(
            (len(m.all_roles) for m in rm_map.values()), default=0
        ),
        "roles_in_root_domain_86": len(root.all_roles) if root is not None else 0,
        "roles_in_g2_manager": len(snapshot._blocked.all_roles),
    }


def profile_cold(authz: Authorizer, requests: Sequence[Request], top: int = 14) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for req in requests:
        authz.enforce(*req)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    # keep the table, drop pstats' preamble and absolute venv paths
    lines = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    body = "\n".join(lines[start:])
    return body.replace(sys.prefix + "/lib/python3.11/site-packages/", "").replace(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + "/", ""
    )


class IndexedDecisions:
    """A sketch of the change proposed for ``rhip.kit.authz._Snapshot`` (not the kit's code):
    decide from plain dicts and sets built once per snapshot, instead of running casbin's
    matcher (an ``ast.parse`` of the matcher per call) over its role managers (which grow by
    one entry per subject asked about, per ancestor domain, and scan all entries on each new
    name). Same answers as the model: some grant of the subject on an ancestor of the
    target whose role allows the action, and the subject not blocked (directly or through a
    tenant it is a member of)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.grants: dict[str, list[tuple[str, str]]] = {}
        self.role_actions: dict[str, list[str]] = {}
        members: dict[str, list[str]] = {}
        blocked: set[str] = set()
        for rule in rules:
            if rule.ptype == "g":
                sub, role, domain = rule.values
                self.grants.setdefault(sub, []).append((role, domain))
            elif rule.ptype == "p":
                self.role_actions.setdefault(rule.values[0], []).append(rule.values[1])
            elif rule.values[1] == "blocked":
                blocked.add(rule.values[0])
            else:
                members.setdefault(rule.values[0], []).append(rule.values[1])
        self.blocked = frozenset(
            blocked | {s for s, groups in members.items() if any(g in blocked for g in groups)}
        )

    def enforce(self, subject: str, domain: str, action: str) -> bool:
        if subject in self.blocked:
            return False
        for role, root in self.grants.get(subject, ()):
            if (domain == root or domain.startswith(root + "/")) and any(
                action.startswith(p[:-1]) if p.endswith("*") else action == p
                for p in self.role_actions.get(role, ())
            ):
                return True
        return False


NAIVE_MODEL = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, dom, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = keyMatch(r.dom + "/", p.dom) && r.sub == p.sub && keyMatch(r.act, p.act)
"""


def naive_enforcer(policy: Policy, rows: int) -> tuple[casbin.Enforcer, list[tuple[str, str]]]:
    """The design rejected in docs/architecture.md §4: every grant flattened into ``p`` rows
    ``(subject, <path>/*, action pattern)``; a decision scans the rows in order, testing the
    region prefix first. Returns the enforcer and the (subject, domain) pairs it grants."""
    actions = {f"role:{r.value}": a for r, a in ROLE_PERMISSIONS.items()}
    flat: list[Rule] = []
    granted: list[tuple[str, str]] = []
    for rule in policy.rules:
        if rule.ptype != "g":
            continue
        sub, role, dom = rule.values
        for act in actions[role]:
            flat.append(Rule("p", (sub, dom + "/*", act)))
        granted.append((sub, dom))
        if len(flat) >= rows:
            break
    flat = flat[:rows]
    model = casbin.Enforcer.new_model(text=NAIVE_MODEL)
    return casbin.Enforcer(model, _RowsAdapter(flat)), granted


def bench_naive(policy: Policy, rows: int, max_decisions: int, budget_s: float, seed: int) -> dict:
    t0 = time.perf_counter()
    enforcer, granted = naive_enforcer(policy, rows)
    load_s = time.perf_counter() - t0
    rng = random.Random(seed)
    lat: list[float] = []
    allowed = 0
    deadline = time.perf_counter() + budget_s
    while len(lat) < max_decisions and time.perf_counter() < deadline:
        sub, dom = rng.choice(granted)
        # half allowed on its own scope, half denied on a sibling ("t-1" -> "t-10")
        req = (sub, dom if rng.random() < 0.5 else dom + "0", GET_TENANT)
        t = time.perf_counter_ns()
        allowed += bool(enforcer.enforce(*req))
        lat.append((time.perf_counter_ns() - t) / 1000)
    out = summarise(lat)
    out.update({"rows": rows, "load_s": load_s, "allowed": allowed})
    return out


# -- the run ---------------------------------------------------------------------------------
def run(
    *,
    sqlite: bool = False,
    quick: bool = False,
    rows: int = 100_000,
    tenants: int = 20_000,
    postgres_url: str | None = None,
) -> dict:
    # Up to 20,000 cold decisions, within a time budget: when a cold decision costs
    # O(subjects asked about since the last reload) the run is quadratic and stops early
    # (the report says how many were measured).
    cold_n = 4_000 if quick else 20_000
    cold_budget_s = 20.0 if quick else 90.0
    profile_n = 300 if quick else 500
    warm_n = 20_000
    naive_budget = 3.0 if quick else 20.0
    results: dict = {
        "backend": "sqlite" if sqlite else "postgresql",
        "rows": rows,
        "tenants": tenants,
    }

    log(f"authz: building a policy of {rows:,} rows for {tenants:,} tenants")
    policy = build_policy(rows, tenants)
    results["row_counts"] = policy.counts()
    results["counties"] = len(set(policy.tenant_county))
    log(f"authz: rows by type {results['row_counts']} over {results['counties']} counties")

    with scratch_database(sqlite=sqlite, base_url=postgres_url) as url:
        t0 = time.perf_counter()
        db = store_policy(url, policy)
        results["insert_s"] = time.perf_counter() - t0
        log(f"authz: stored {rows:,} rows through PolicyStore in {results['insert_s']:.1f} s")
        try:
            authz = Authorizer(PolicyStore(db))
            # (a) policy load
            loads = []
            for i in range(3):
                gc.collect()
                t0 = time.perf_counter()
                authz.refresh(force=True)
                loads.append(time.perf_counter() - t0)
                log(f"authz: refresh(force=True) #{i + 1}: {loads[-1]:.2f} s")
            reads, builds = [], []
            for _ in range(2):  # the two halves of a refresh, min of 2 each
                gc.collect()
                t0 = time.perf_counter()
                version, loaded = authz.store.load()
                reads.append(time.perf_counter() - t0)
                gc.collect()
                t0 = time.perf_counter()
                _Snapshot(version, loaded)
                builds.append(time.perf_counter() - t0)
            read_s, build_s = min(reads), min(builds)
            assert len(loaded) == rows
            results["load"] = {
                "refresh_s_min": min(loads),
                "refresh_s_median": sorted(loads)[1],
                "db_read_s": read_s,
                "snapshot_build_s": build_s,
            }
            log(f"authz: of which database read {read_s:.2f} s, snapshot build {build_s:.2f} s")

            results["correctness"] = check_correctness(authz, policy)
            log(f"authz: {len(results['correctness'])} correctness checks passed")

            # (b) cold: a fresh snapshot, every request distinct
            requests = make_requests(policy, cold_n + profile_n, seed=11)
            cold_reqs = [r for r, _ in requests[:cold_n]]
            authz.refresh(force=True)
            gc.collect()
            rss0 = rss_mb()
            results["gc_tracked_objects"] = len(gc.get_objects())
            pauses: list[float] = []
            gc_start: list[float] = []

            def on_gc(phase: str, info: dict) -> None:
                if info["generation"] == 2:
                    if phase == "start":
                        gc_start[:] = [time.perf_counter()]
                    elif gc_start:
                        pauses.append((time.perf_counter() - gc_start[0]) * 1000)

            gc.callbacks.append(on_gc)
            log(
                f"authz: up to {cold_n:,} cold decisions (distinct requests, fresh snapshot, "
                f"time budget {cold_budget_s:.0f} s)"
            )
            cold: list[float] = []
            deadline = time.perf_counter() + cold_budget_s
            try:
                for k in range(0, cold_n, 500):
                    cold += time_calls(authz.enforce, cold_reqs[k : k + 500])
                    if time.perf_counter() > deadline:
                        log(f"authz: time budget spent after {len(cold):,} cold decisions")
                        break
            finally:
                gc.callbacks.remove(on_gc)
            results["gc_full_collections_ms"] = pauses
            results["cold_requested"] = cold_n
            cold_n = len(cold)
            cold_reqs = cold_reqs[:cold_n]
            wrong = [
                (r, e)
                for (r, e) in requests[:cold_n]
                if e is not None and authz.enforce(*r) is not e
            ]
            assert not wrong, f"{len(wrong)} wrong decisions, e.g. {wrong[:3]}"
            results["cold"] = summarise(cold)
            chunk = cold_n // 4
            results["cold_by_quarter"] = [
                summarise(cold[i * chunk : (i + 1) * chunk]) for i in range(4)
            ]
            results["cold_rss_growth_mb"] = rss_mb() - rss0
            results["role_managers_after_cold"] = role_manager_sizes(authz)
            log(
                "authz: cold p50 {p50_us:.1f} µs, p99 {p99_us:.1f} µs".format(**results["cold"])
                + "; p99 by quarter "
                + ", ".join(f"{q['p99_us']:.0f}" for q in results["cold_by_quarter"])
                + f" µs; RSS +{results['cold_rss_growth_mb']:.0f} MB; "
                + str(results["role_managers_after_cold"])
            )

            # (c) warm: repeat requests already in the decision cache
            rng = random.Random(5)
            hot = rng.sample(cold_reqs, min(1_000, len(cold_reqs)))
            warm_reqs = [hot[i % len(hot)] for i in range(warm_n)]
            rng.shuffle(warm_reqs)
            log(f"authz: {warm_n:,} warm decisions (cache hits)")
            results["warm"] = summarise(time_calls(authz.enforce, warm_reqs))
            log("authz: warm p50 {p50_us:.2f} µs, p99 {p99_us:.2f} µs".format(**results["warm"]))

            # where the cold time goes, when the cold target is missed
            if results["cold"]["p99_us"] > TARGETS["cold_p99_us"]:
                log(f"authz: cold p99 above target: profiling {profile_n:,} more cold decisions")
                extra = [r for r, _ in requests[cold_n : cold_n + profile_n]]
                results["cold_profile"] = profile_cold(authz, extra)
                results["cold_profile_n"] = profile_n

            # what the proposed change buys: decisions straight from indexes
            log("authz: prototype of the proposed change (indexed decisions, no casbin matcher)")
            t0 = time.perf_counter()
            proto = IndexedDecisions(loaded)
            proto_build_s = time.perf_counter() - t0
            disagree = [r for r in cold_reqs if proto.enforce(*r) is not authz.enforce(*r)]
            assert not disagree, f"prototype disagrees with casbin on {disagree[:3]}"
            results["prototype"] = summarise(time_calls(proto.enforce, cold_reqs))
            results["prototype"]["build_s"] = proto_build_s
            log(
                "authz: prototype: build {build_s:.2f} s, cold p50 {p50_us:.2f} µs, "
                "p99 {p99_us:.2f} µs, same decisions as casbin on all cold requests".format(
                    **results["prototype"]
                )
            )
            authz.stop()
        finally:
            db.dispose()

    # (d) the rejected design: scan every row with a keyMatch prefix
    naive = []
    for n_rows in (10_000, rows):
        log(f"authz: naive flat model, {n_rows:,} rows (time budget {naive_budget:.0f} s)")
        res = bench_naive(policy, n_rows, max_decisions=300, budget_s=naive_budget, seed=3)
        naive.append(res)
        log(
            f"authz: naive {n_rows:,} rows: {res['n']} decisions measured, "
            f"p50 {res['p50_us'] / 1000:.1f} ms, p99 {res['p99_us'] / 1000:.1f} ms"
        )
    base = naive[0]
    for res in naive[1:]:
        res["extrapolated_p50_us_from_10k"] = base["p50_us"] * res["rows"] / base["rows"]
    results["naive"] = naive
    results["targets"] = dict(TARGETS)
    results["met"] = {
        "warm_p99": results["warm"]["p99_us"] < TARGETS["warm_p99_us"],
        "cold_p99": results["cold"]["p99_us"] < TARGETS["cold_p99_us"],
        "load": results["load"]["refresh_s_min"] < TARGETS["load_s"],
    }
    return results


def report(results: dict) -> str:
    """The Markdown section for RESULTS.md (also printed)."""
    met = results["met"]
    ok = {True: "met", False: "**missed**"}
    rows = [
        (
            "policy load: refresh(force=True), min of 3",
            f"{results['load']['refresh_s_min']:.2f} s",
            f"< {TARGETS['load_s']:.0f} s",
            ok[met["load"]],
        ),
        ("  of which database read", f"{results['load']['db_read_s']:.2f} s", "", ""),
        (
            "  of which casbin snapshot build",
            f"{results['load']['snapshot_build_s']:.2f} s",
            "",
            "",
        ),
        ("cold decision p50", f"{results['cold']['p50_us']:.1f} µs", "", ""),
        (
            "cold decision p99",
            f"{results['cold']['p99_us']:.1f} µs",
            f"< {TARGETS['cold_p99_us']:.0f} µs",
            ok[met["cold_p99"]],
        ),
        ("warm decision p50", f"{results['warm']['p50_us']:.2f} µs", "", ""),
        (
            "warm decision p99",
            f"{results['warm']['p99_us']:.2f} µs",
            f"< {TARGETS['warm_p99_us']:.0f} µs",
            ok[met["warm_p99"]],
        ),
    ]
    out = [
        f"Policy: {results['rows']:,} rows ({', '.join(f'{k}: {v:,}' for k, v in sorted(results['row_counts'].items()))}) "
        f"for {results['tenants']:,} tenants over {results['counties']} counties, stored in "
        f"{results['backend']} through PolicyStore ({results['insert_s']:.1f} s to insert). "
        f"Cold: {results['cold']['n']:,} distinct requests on a fresh snapshot"
        + (
            f" (of {results['cold_requested']:,} planned: the time budget ran out)"
            if results["cold"]["n"] < results["cold_requested"]
            else ""
        )
        + "; warm: "
        f"{results['warm']['n']:,} repeats of 1,000 cached requests.",
        "",
        table(["measure", "value", "target", ""], rows),
        "",
        "Cold latency by quarter of the run (a rise means per-subject state accumulating "
        "until the next reload):",
        "",
        table(
            ["quarter", "p50 µs", "p99 µs", "max µs"],
            [
                (i + 1, q["p50_us"], q["p99_us"], q["max_us"])
                for i, q in enumerate(results["cold_by_quarter"])
            ],
        ),
        "",
        f"After the cold run: RSS +{results['cold_rss_growth_mb']:.0f} MB; "
        + ", ".join(f"{k} = {v:,}" for k, v in results["role_managers_after_cold"].items())
        + ". The max column is the garbage collector: "
        f"{len(results['gc_full_collections_ms'])} full (generation 2) collections during the "
        f"cold run took {', '.join(f'{p:.0f}' for p in results['gc_full_collections_ms']) or '-'} ms "
        f"each, with {results['gc_tracked_objects']:,} GC-tracked objects in the process (a "
        "snapshot is mostly casbin Role objects and policy lists).",
        "",
        'Rejected design (flat `p` rows, matcher `keyMatch(r.dom + "/", p.dom) && r.sub == '
        "p.sub && keyMatch(r.act, p.act)`, every row scanned until an allow; half the requests "
        "allowed, half denied on a sibling):",
        "",
        table(
            [
                "rows",
                "decisions timed",
                "p50 ms",
                "p99 ms",
                "casbin load s",
                "p50 extrapolated from 10k, ms",
            ],
            [
                (
                    r["rows"],
                    r["n"],
                    r["p50_us"] / 1000,
                    r["p99_us"] / 1000,
                    r["load_s"],
                    r.get("extrapolated_p50_us_from_10k", float("nan")) / 1000,
                )
                for r in results["naive"]
            ],
        ),
        "",
        "Correctness checks passed: " + "; ".join(results["correctness"]) + ".",
    ]
    if "prototype" in results:
        p = results["prototype"]
        out += [
            "",
            f"Prototype of the proposed change (`IndexedDecisions` in this script: decisions from "
            f"dicts/sets built per snapshot, no casbin matcher), on the same {p['n']:,} cold "
            f"requests, same decisions as casbin on every one: build {p['build_s']:.2f} s, "
            f"p50 {p['p50_us']:.2f} µs, p99 {p['p99_us']:.2f} µs.",
        ]
    if "cold_profile" in results:
        out += [
            "",
            f"Profile of {results['cold_profile_n']:,} further cold decisions after the cold run "
            "(cProfile, sorted by own time):",
            "",
            "```",
            results["cold_profile"],
            "```",
        ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file, not PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="fewer decisions (smoke run)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=20_000)
    args = parser.parse_args(argv)
    results = run(sqlite=args.sqlite, quick=args.quick, rows=args.rows, tenants=args.tenants)
    print(report(results))


if __name__ == "__main__":
    main()
