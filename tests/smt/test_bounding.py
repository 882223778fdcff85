"""Preemption bounding (lazycheck.run.bounding) on real targets: what it counts, what it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.bounding import bound_system
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics
from lazycheck.system import FALSE, ActionKind, System
from lazycheck.targets import load_target

ROOT = Path(__file__).resolve().parents[2]


def _system(name: str) -> System:
    t = load_target(name, ROOT)
    return build(t, ROOT, t.config)[1]


def _explicit(system: System, bound: int = 200) -> Verdict:
    return ExplicitEngine().check(system, Limits(bound, 500_000, 60)).verdict


def test_no_bound_is_the_identity() -> None:
    s = _system("sparc64-preemptible")
    assert bound_system(s) is s


def test_preemption_bound_decides_a_preemption_bug() -> None:
    # sparc64 with preemptible sections: the bug needs T0 preempted inside its
    # section (T1 then comes in from the idle task, which is no preemption)
    s = _system("sparc64-preemptible")
    assert _explicit(bound_system(s, preemptions=0)) is Verdict.PASS
    assert _explicit(bound_system(s, preemptions=1)) is Verdict.FAIL
    assert bound_system(s, preemptions=1).bounds_text() == "with <= 1 preemptions"


def test_counter_counts_only_involuntary_switches() -> None:
    s = bound_system(_system("sparc64-preemptible"), preemptions=3)
    sem = Semantics(s)
    counter = s.var_index["bound.preemptions"]
    seen = {s.init}
    frontier = [s.init]
    for _ in range(8):
        nxt = []
        for st in frontier:
            for idx, succ in sem.successors(st):
                a = s.actions[idx]
                grew = succ[counter] - st[counter]
                involuntary = sem.evaluate(a.preemption, st)
                assert grew == (1 if a.kind is ActionKind.SWITCH and involuntary else 0)
                if succ not in seen:
                    seen.add(succ)
                    nxt.append(succ)
        frontier = nxt


def test_switch_from_idle_is_never_a_preemption() -> None:
    s = _system("sparc64-g3")
    switches = [a for a in s.actions if a.kind is ActionKind.SWITCH]
    assert any(a.preemption != FALSE for a in switches)
    for a in switches:
        if a.task is not None and a.task >= 2:  # 2 tasks: ids 2, 3 are the idle tasks
            assert a.preemption == FALSE


@pytest.mark.parametrize("k", [0, 1])
def test_engines_agree_under_the_bound(k: int) -> None:
    s = bound_system(_system("sparc64-preemptible"), preemptions=k)
    ex = ExplicitEngine().check(s, Limits(12, 500_000, 60))
    bmc = BmcEngine().check(s, Limits(12, 500_000, 300))  # generous: a shared machine
    assert ex.verdict is bmc.verdict
    assert len(ex.trace) == len(bmc.trace)


def test_cli_verdict_and_reproduce_line_name_the_bound() -> None:
    from click.testing import CliRunner

    from lazycheck.cli.main import main

    cli = CliRunner()
    ok = cli.invoke(main, ["--root", str(ROOT), "verify", "sparc64-preemptible",
                           "--preemptions", "0", "--no-timings"])
    assert ok.exit_code == 0, ok.output
    assert "with <= 0 preemptions" in " ".join(ok.output.split())
    bad = cli.invoke(main, ["--root", str(ROOT), "verify", "sparc64-preemptible",
                            "--preemptions", "1", "--no-timings"])
    assert bad.exit_code == 1, bad.output
    assert "--preemptions 1" in bad.output
