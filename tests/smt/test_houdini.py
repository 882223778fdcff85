"""Houdini and proof certificates: proofs hold up, FAIL never proves, tampering is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.engines.houdini import HoudiniEngine, explore, houdini, mine, recheck
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
