"""Houdini and proof certificates: proofs hold up, FAIL never proves, tampering is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.engines.houdini import (
    HoudiniEngine,
    Reach,
    control_vars,
    explore,
    houdini,
    mine,
    recheck,
    strengthen,
)
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics
from lazycheck.smt import Status
from lazycheck.system import Clause, System
from lazycheck.targets import load_target, target_names

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(200, 200_000, 120)


def _system(name: str) -> System:
    t = load_target(name, ROOT)
    return build(t, ROOT, t.config)[1]


def _fail_targets() -> list[str]:
    return [n for n in target_names(ROOT) if load_target(n, ROOT).expect.verdict == "fail"]


def test_mined_clauses_hold_on_every_reachable_state() -> None:
    s = _system("sparc64-g3")
    space = explore(s, LIMITS)
    assert space is not None
    clauses = mine(s, space.states, relational=True)
    assert Clause(s.violation_var, (0,)) in clauses
    assert all(c.holds(st) for c in clauses[:400] for st in space.states)


def test_houdini_proves_and_the_invariant_is_inductive() -> None:
    s = _system("powerpc-hash-g3")
    r = HoudiniEngine().check(s, LIMITS)
    assert r.verdict is Verdict.PASS and r.stats.proved and r.stats.exhausted
    assert Clause(s.violation_var, (0,)) in r.invariant
    assert recheck(s, r.invariant, 60).holds


def test_houdini_drops_clauses_that_are_not_inductive() -> None:
    # a clause true on the reachable states but not inductive alone: the pc of T0
    # never passes 0 is false after one step, so Houdini must drop it
    s = _system("sparc64-g3")
    pc = s.var_index["T0.pc"]
    got = houdini(s, [Clause(pc, (0,)), Clause(s.violation_var, (0,))], 60)
    assert got.status is Status.UNSAT
    assert Clause(pc, (0,)) not in got.alive


@pytest.mark.parametrize("name", _fail_targets())
def test_a_fail_target_never_proves(name: str) -> None:
    r = HoudiniEngine().check(_system(name), LIMITS)
    assert r.verdict is not Verdict.PASS
    assert not r.stats.proved and not r.invariant


def _fail_claims() -> list[tuple[str, str]]:
    """Every (target, claim label) expected to FAIL outside the target's primary configuration."""
    out = []
    for n in target_names(ROOT):
        t = load_target(n, ROOT)
        out += [(n, c.label) for c in t.claims
                if c.config != t.config and t.expect_for(c.config).verdict == "fail"]
    return out


@pytest.mark.parametrize("name,label", _fail_claims())
def test_a_fail_claim_never_proves(name: str, label: str) -> None:
    t = load_target(name, ROOT)
    config = next(c.config for c in t.claims if c.label == label)
    r = HoudiniEngine().check(build(t, ROOT, config)[1], LIMITS)
    assert r.verdict is not Verdict.PASS
    assert not r.stats.proved and not r.invariant


def test_certificate_round_trip_and_tampering(tmp_path: Path) -> None:
    cert = tmp_path / "sparc.json"
    cli = CliRunner()
    got = cli.invoke(main, ["--root", str(ROOT), "prove", "sparc64-g3", "--certificate",
                            str(cert), "--no-timings"])
    assert got.exit_code == 0, got.output
    ok = cli.invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert ok.exit_code == 0 and "PROVED" in ok.output
    data = json.loads(cert.read_text())
    # keep only the safety clause: true initially, but not inductive on its own
    data["clauses"] = [c for c in data["clauses"] if c["name"] == "violation"]
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps(data))
    bad = cli.invoke(main, ["--root", str(ROOT), "check-proof", str(weak)])
    assert bad.exit_code == 1 and "FAILS" in bad.output
    assert "counterexample to induction" in bad.output
    data["clauses"][0]["name"] = "not-a-variable"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    assert cli.invoke(main, ["--root", str(ROOT), "check-proof", str(other)]).exit_code == 2


def test_cti_replays_through_the_semantics() -> None:
    s = _system("sparc64-g3")
    got = recheck(s, [Clause(s.violation_var, (0,))], 60)
    assert not got.holds and got.cti is not None
    post = Semantics(s).step(got.cti.pre, got.cti.action)
    assert post[s.violation_var] != 0 and got.broken == (0,)


def test_mined_antecedents_are_control_variables() -> None:
    s = _system("sparc64-g3")
    space = explore(s, LIMITS)
    assert space is not None
    ctl = control_vars(s)
    clauses = mine(s, space.states, antecedents=ctl)
    assert any(c.when for c in clauses)
    assert all(w in ctl for c in clauses for w, _ in c.when)
    assert all(c.holds(st) for c in clauses for st in space.states)


def test_block_excludes_the_state_and_keeps_every_reachable_one() -> None:
    s = _system("sparc64-g3")
    space = explore(s, LIMITS)
    assert space is not None
    reach = Reach(space.states)
    seen = set(space.states)
    # an unreachable state: a reachable one with T0's pc moved to another reachable pc
    pc = s.var_index["T0.pc"]
    bad = next((*st[:pc], v, *st[pc + 1:]) for st in space.states for v in reach.values[pc]
               if (*st[:pc], v, *st[pc + 1:]) not in seen)
    got = reach.block(bad)
    assert got is not None and not got.holds(bad)
    assert all(got.holds(st) for st in space.states)
    assert reach.block(space.states[5]) is None  # a reachable state cannot be blocked


def test_strengthen_proves_what_plain_houdini_could_not() -> None:
    # the mined candidates alone are not inductive here (plain Houdini loses the
    # property clause); strengthening blocks the unreachable CTIs instead
    s = _system("kasan-populate-pause-xen")
    space = explore(s, LIMITS)
    assert space is not None
    reach = Reach(space.states)
    cands = mine(s, space.states, reach=reach, antecedents=control_vars(s))
    safe = Clause(s.violation_var, (0,))
    assert safe not in houdini(s, cands, 120).alive
    got = strengthen(s, cands, reach, 120)
    assert got.status is Status.UNSAT and safe in got.alive
    assert len(got.alive) > len(cands)
    assert all(c.holds(st) for c in got.alive for st in space.states)
    assert recheck(s, got.alive, 120).holds


def _tamper(tmp_path: Path, how: str) -> tuple[int, str]:
    cert = tmp_path / "cert.json"
    cli = CliRunner()
    got = cli.invoke(main, ["--root", str(ROOT), "prove", "powerpc-hash-g3", "--certificate",
                            str(cert), "--no-timings"])
    assert got.exit_code == 0, got.output
    data = json.loads(cert.read_text())
    safety = next(c for c in data["clauses"] if c["name"] == "violation")
    if how == "safety":  # the invariant no longer excludes the violations
        safety["in"] = [0, 1]
    elif how == "initiation":  # a clause the initial state breaks
        pc = next(c for c in data["clauses"] if c["name"] == "T0.pc" and not c["when"])
        pc["in"] = [v for v in pc["in"] if v != 0]
    else:  # drop every clause that reads T0.pc: what is left is not inductive
        data["clauses"] = [c for c in data["clauses"]
                           if c["name"] != "T0.pc" and all(w[1] != "T0.pc" for w in c["when"])]
    cert.write_text(json.dumps(data))
    out = cli.invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    return out.exit_code, out.output


@pytest.mark.parametrize("how,broken", [("safety", "no state satisfying"),
                                        ("initiation", "the initial state"),
                                        ("consecution", "every step")])
def test_check_proof_rejects_a_tampered_certificate(tmp_path: Path, how: str,
                                                    broken: str) -> None:
    code, out = _tamper(tmp_path, how)
    assert code == 1, out
    assert any(line.strip().startswith("FAILS") and broken in line
               for line in out.splitlines()), out
    assert "PROVED" not in out
