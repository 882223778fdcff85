"""Explicit-state BFS engine on small hand-built systems."""

from __future__ import annotations

from lazycheck.cli.exitcode import ExitCode, for_verdict
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Verdict
from lazycheck.semantics import Semantics
from lazycheck.system import (
    TRUE,
    Action,
    ActionKind,
    Assign,
    Binary,
    BinOp,
    Const,
    StateVar,
    System,
    Var,
    VarKind,
    eq,
)

X, V = 0, 1


def act(name: str, guard, *updates: tuple[int, object]) -> Action:  # type: ignore[no-untyped-def]
    return Action(name, ActionKind.TASK, guard,
                  tuple(Assign(v, e) for v, e in updates), task=0)  # type: ignore[arg-type]


def counter_system(bad_at: int | None, jump: bool = True, hi: int = 5,
                   init_v: int = 0) -> System:
    """x counts 0..hi; reaching x == bad_at sets the violation variable."""
    vars_ = (StateVar("x", 0, hi, VarKind.STATE), StateVar("violation", 0, 9, VarKind.GHOST))
    acts = [act("inc", Binary(BinOp.LT, Var(X), Const(hi)),
                (X, Binary(BinOp.ADD, Var(X), Const(1))))]
    if jump:
        acts.append(act("jump", eq(Var(X), Const(1)), (X, Const(3))))
    if bad_at is not None:
        acts.append(act("bad", eq(Var(X), Const(bad_at)), (V, Const(7))))
    return System(vars_, (0, init_v), tuple(acts), V, (), ())


def test_shortest_trace_is_found() -> None:
    """Pins BFS shortest traces: inc, jump, bad (3) beats inc x3, bad (4)."""
    sys_ = counter_system(bad_at=3)
    r = ExplicitEngine().check(sys_, Limits(bound=20))
    assert r.verdict is Verdict.FAIL
    assert r.violation_code == 7
    assert [sys_.actions[i].name for i in r.trace] == ["inc", "jump", "bad"]
    assert r.stats.depth == 3
    states = Semantics(sys_).replay(r.trace)
    assert states[-1][V] == 7


def test_first_shortest_in_action_order() -> None:
    """Pins determinism: among equally short traces, the first in action order."""
    vars_ = (StateVar("x", 0, 2, VarKind.STATE), StateVar("violation", 0, 9, VarKind.GHOST))
    a = act("a", eq(Var(X), Const(0)), (X, Const(1)))
    b = act("b", eq(Var(X), Const(0)), (X, Const(2)))
    bad1 = act("bad1", eq(Var(X), Const(1)), (V, Const(1)))
    bad2 = act("bad2", eq(Var(X), Const(2)), (V, Const(2)))
    sys_ = System(vars_, (0, 0), (b, a, bad2, bad1), V, (), ())
    r = ExplicitEngine().check(sys_, Limits(bound=5))
    assert [sys_.actions[i].name for i in r.trace] == ["b", "bad2"]


def test_exhaustion_is_a_pass_with_exact_counts() -> None:
    sys_ = counter_system(bad_at=None, jump=False, hi=4)
    r = ExplicitEngine().check(sys_, Limits(bound=50))
    assert r.verdict is Verdict.PASS
    assert r.stats.exhausted
    assert r.stats.states == 5
    assert r.stats.transitions == 4
    assert r.stats.depth == 4
    assert r.trace == ()


def test_bound_cuts_the_search_without_exhausting() -> None:
    sys_ = counter_system(bad_at=5, jump=False)
    r = ExplicitEngine().check(sys_, Limits(bound=3))
    assert r.verdict is Verdict.PASS
    assert not r.stats.exhausted
    r2 = ExplicitEngine().check(sys_, Limits(bound=6))
    assert r2.verdict is Verdict.FAIL and len(r2.trace) == 6


def test_state_limit_gives_unknown_never_pass() -> None:
    sys_ = counter_system(bad_at=None, jump=False, hi=50)
    r = ExplicitEngine().check(sys_, Limits(bound=100, max_states=10))
    assert r.verdict is Verdict.UNKNOWN
    assert "state limit" in r.reason
    assert for_verdict(r.verdict) is ExitCode.UNKNOWN


def test_violating_initial_state_fails_with_empty_trace() -> None:
    sys_ = counter_system(bad_at=None, init_v=4)
    r = ExplicitEngine().check(sys_, Limits(bound=10))
    assert r.verdict is Verdict.FAIL
    assert r.violation_code == 4
    assert r.trace == ()
    assert r.stats.depth == 0


def test_no_actions_at_all_is_exhausted_at_depth_zero() -> None:
    vars_ = (StateVar("violation", 0, 1, VarKind.GHOST),)
    r = ExplicitEngine().check(System(vars_, (0,), (), 0, (), ()), Limits(bound=5))
    assert r.verdict is Verdict.PASS and r.stats.exhausted and r.stats.states == 1


def test_disabled_guard_is_never_taken() -> None:
    vars_ = (StateVar("x", 0, 1, VarKind.STATE), StateVar("violation", 0, 1, VarKind.GHOST))
    never = act("never", Const(0), (V, Const(1)))
    ok = act("ok", TRUE, (X, Const(1)))
    r = ExplicitEngine().check(System(vars_, (0, 0), (never, ok), V, (), ()), Limits(9))
    assert r.verdict is Verdict.PASS and r.stats.exhausted
