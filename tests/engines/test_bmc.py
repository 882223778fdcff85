"""Hand-built systems with exact expected verdicts for the z3 engine.

Each system is small enough to reason about by hand; the expected trace
lengths are the BFS distances, and every counterexample must replay
through the concrete semantics to a violating state.  The explicit engine
is run alongside as a second opinion.
"""

from __future__ import annotations

import pytest

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.properties import PropertyId
from lazycheck.semantics import Semantics
from lazycheck.smt import Encoder, SmtSolver, SortKind
from lazycheck.system import (
    Action,
    ActionKind,
    Assign,
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    StateVar,
    System,
    Var,
    VarKind,
    Violation,
    Wrap,
)

SORTS = pytest.mark.parametrize("sort", [SortKind.INT, SortKind.BV], ids=lambda s: s.value)


def _b(op: BinOp, a: Expr, b: Expr) -> Expr:
    return Binary(op, a, b)


def _system(vars: list[StateVar], init: list[int], actions: list[Action]) -> System:
    viol = next(j for j, v in enumerate(vars) if v.name == "violation")
    return System(tuple(vars), tuple(init), tuple(actions), viol,
                  (Violation(1, PropertyId.NO_BUG, "bad"),
                   Violation(2, PropertyId.NO_WARN, "worse")),
                  (PropertyId.NO_BUG, PropertyId.NO_WARN),
                  {v.name: j for j, v in enumerate(vars)})


def _viol() -> StateVar:
    return StateVar("violation", 0, 2, VarKind.GHOST)


def counter(bad_at: int = 3) -> System:
    """``x`` counts up from 0; reaching ``bad_at`` sets violation code 2.

    A second action resets ``x`` to 0 so the space is cyclic (BFS must not
    be fooled by it) and a third is never enabled.
    """
    x = Var(0)
    inc = Action("inc", ActionKind.TASK, _b(BinOp.LT, x, Const(5)),
                 (Assign(0, _b(BinOp.ADD, x, Const(1))),
                  Assign(1, Ite(_b(BinOp.EQ, x, Const(bad_at - 1)), Const(2), Var(1)))))
    reset = Action("reset", ActionKind.TASK, _b(BinOp.GT, x, Const(0)), (Assign(0, Const(0)),))
    never = Action("never", ActionKind.TASK, _b(BinOp.GT, x, Const(5)), (Assign(1, Const(1)),))
    return _system([StateVar("x", 0, 5, VarKind.STATE), _viol()], [0, 0], [inc, reset, never])


def safe_ring() -> System:
    """A 4-state ring plus a flag that never becomes 1: exhausted, no violation."""
    x, flag = Var(0), Var(1)
    step = Action("step", ActionKind.TASK, Const(1),
                  (Assign(0, Wrap(_b(BinOp.ADD, x, Const(1)), 0, 3)),))
    alarm = Action("alarm", ActionKind.TASK, flag, (Assign(2, Const(1)),))
    return _system([StateVar("x", 0, 3, VarKind.STATE), StateVar("flag", 0, 1, VarKind.STATE),
                    _viol()], [0, 0, 0], [step, alarm])


def lost_update() -> System:
    """Two tasks each run ``t = x; x = t + 1``; violation if both finish with ``x != 2``.

    Only the interleaving read, read, write, write (either task first)
    loses an update, so the shortest counterexample has exactly 4 steps
    and starts with both reads.
    """
    vars = [StateVar("pcA", 0, 2, VarKind.PC), StateVar("pcB", 0, 2, VarKind.PC),
            StateVar("tA", 0, 2, VarKind.LOCAL), StateVar("tB", 0, 2, VarKind.LOCAL),
            StateVar("x", 0, 2, VarKind.STATE), _viol()]
    pc, tmp, x, v = {"A": 0, "B": 1}, {"A": 2, "B": 3}, 4, 5
    actions = []
    for me, other in (("A", "B"), ("B", "A")):
        new = Wrap(_b(BinOp.ADD, Var(tmp[me]), Const(1)), 0, 2)
        lost = _b(BinOp.AND, _b(BinOp.EQ, Var(pc[other]), Const(2)),
                  _b(BinOp.NE, new, Const(2)))
        actions.append(Action(f"{me}.read", ActionKind.TASK, _b(BinOp.EQ, Var(pc[me]), Const(0)),
                              (Assign(tmp[me], Var(x)), Assign(pc[me], Const(1))), task=pc[me]))
        actions.append(Action(f"{me}.write", ActionKind.TASK, _b(BinOp.EQ, Var(pc[me]), Const(1)),
                              (Assign(x, new), Assign(pc[me], Const(2)),
                               Assign(v, Ite(lost, Const(1), Var(v)))), task=pc[me]))
    return _system(vars, [0, 0, 0, 0, 0, 0], actions)


def u8_ticker() -> System:
    """A u8 counter that wraps forever; ``flag`` (always 0) would trigger a violation.

    The property is 1-inductive, but the space is far too deep for BMC to
    exhaust at a small bound.
    """
    n, flag = Var(0), Var(1)
    tick = Action("tick", ActionKind.TASK, Const(1),
                  (Assign(0, Wrap(_b(BinOp.ADD, n, Const(1)), 0, 255)),
                   Assign(2, Ite(flag, Const(1), Var(2)))))
    return _system([StateVar("n", 0, 255, VarKind.WORLD), StateVar("flag", 0, 1, VarKind.STATE),
                    _viol()], [0, 0, 0], [tick])


def deep_counter() -> System:
    """``x`` climbs 0..20; violation if it reaches 20 with ``flag`` set (never).

    Not k-inductive for k < 20: from an unreachable state with ``flag``
    set and ``x = 19 - k`` there is a path of k+1 good states into a bad one.
    """
    x, flag = Var(0), Var(1)
    inc = Action("inc", ActionKind.TASK, _b(BinOp.LT, x, Const(20)),
                 (Assign(0, _b(BinOp.ADD, x, Const(1))),
                  Assign(2, Ite(_b(BinOp.AND, _b(BinOp.EQ, x, Const(19)), flag), Const(1),
                                Var(2)))))
    return _system([StateVar("x", 0, 20, VarKind.STATE), StateVar("flag", 0, 1, VarKind.STATE),
                    _viol()], [0, 0, 0], [inc])


def _assert_replays(system: System, result: Result) -> None:
    states = Semantics(system).replay(result.trace)
    assert states[-1][system.violation_var] == result.violation_code != 0


@SORTS
def test_counter_fails_at_depth_3(sort: SortKind) -> None:
    system = counter()
    result = BmcEngine(sort).check(system, Limits(bound=10))
    assert result.verdict is Verdict.FAIL
    assert result.trace == (0, 0, 0)  # the only path: inc, inc, inc
    assert result.violation_code == 2
    assert result.stats.depth == 3
    assert len(result.stats.per_depth_s) == 4  # depths 0, 1, 2, 3
    _assert_replays(system, result)
    explicit = ExplicitEngine().check(system, Limits(bound=10))
    assert explicit.trace == result.trace


@SORTS
def test_counter_below_the_bound_passes_unexhausted(sort: SortKind) -> None:
    result = BmcEngine(sort).check(counter(), Limits(bound=2))
    assert result.verdict is Verdict.PASS
    assert not result.stats.exhausted and not result.stats.proved
    assert result.stats.depth == 2 and result.stats.bound == 2
    assert len(result.stats.per_depth_s) == 3


@SORTS
def test_safe_ring_is_exhausted(sort: SortKind) -> None:
    system = safe_ring()
    result = BmcEngine(sort).check(system, Limits(bound=10))
    assert result.verdict is Verdict.PASS
    assert result.stats.exhausted
    assert result.stats.depth == 3  # the longest simple path: 0 -> 1 -> 2 -> 3
    explicit = ExplicitEngine().check(system, Limits(bound=10))
    assert explicit.verdict is Verdict.PASS and explicit.stats.exhausted


def test_safe_ring_at_its_exact_depth_is_not_exhausted() -> None:
    """Like BFS, exhaustion needs the bound to exceed the deepest level."""
    result = BmcEngine().check(safe_ring(), Limits(bound=3))
    explicit = ExplicitEngine().check(safe_ring(), Limits(bound=3))
    assert result.verdict is explicit.verdict is Verdict.PASS
    assert not result.stats.exhausted and not explicit.stats.exhausted


@SORTS
def test_lost_update_needs_the_racy_interleaving(sort: SortKind) -> None:
    system = lost_update()
    result = BmcEngine(sort).check(system, Limits(bound=8))
    assert result.verdict is Verdict.FAIL
    assert len(result.trace) == 4
    names = [system.actions[i].name for i in result.trace]
    assert sorted(names[:2]) == ["A.read", "B.read"]
    assert sorted(names[2:]) == ["A.write", "B.write"]
    assert result.violation_code == 1
    _assert_replays(system, result)
    explicit = ExplicitEngine().check(system, Limits(bound=8))
    assert explicit.verdict is Verdict.FAIL and len(explicit.trace) == 4


def test_lost_update_within_too_small_a_bound_passes() -> None:
    result = BmcEngine().check(lost_update(), Limits(bound=3))
    assert result.verdict is Verdict.PASS and not result.stats.exhausted


def test_violation_in_the_initial_state() -> None:
    system = _system([StateVar("x", 0, 1, VarKind.STATE), _viol()], [0, 2], [])
    result = BmcEngine().check(system, Limits(bound=5))
    assert result.verdict is Verdict.FAIL
    assert result.trace == () and result.violation_code == 2
    assert result.stats.depth == 0


def test_dead_initial_state_is_exhausted() -> None:
    """No action is ever enabled: the space is the initial state alone."""
    dead = Action("dead", ActionKind.TASK, Const(0), (Assign(1, Const(1)),))
    system = _system([StateVar("x", 0, 1, VarKind.STATE), _viol()], [0, 0], [dead])
    result = BmcEngine().check(system, Limits(bound=5))
    assert result.verdict is Verdict.PASS and result.stats.exhausted
    assert result.stats.depth == 0
    assert ExplicitEngine().check(system, Limits(bound=5)).stats.exhausted


def terminating(steps: int = 6) -> System:
    """``x`` climbs 0..``steps`` and stops: every run ends after ``steps`` actions, no violation."""
    x = Var(0)
    inc = Action("inc", ActionKind.TASK, _b(BinOp.LT, x, Const(steps)),
                 (Assign(0, _b(BinOp.ADD, x, Const(1))),))
    return _system([StateVar("x", 0, steps, VarKind.STATE), _viol()], [0, 0], [inc])


@SORTS
def test_runs_that_end_are_exhausted_at_the_longest_run(sort: SortKind) -> None:
    """No path of 7 steps exists (the plain probe or the violation query's empty core)."""
    system = terminating()
    result = BmcEngine(sort).check(system, Limits(bound=20))
    assert result.verdict is Verdict.PASS and result.stats.exhausted
    assert result.stats.depth == 6
    explicit = ExplicitEngine().check(system, Limits(bound=20))
    assert explicit.stats.exhausted and explicit.stats.depth <= result.stats.depth


def test_empty_unsat_core_means_the_assertions_alone_are_unsat() -> None:
    """``needs_assumptions`` is False only when no assumption was needed for the UNSAT."""
    enc = Encoder(terminating())
    solver = SmtSolver(enc, bit_blast=True)
    a, b = enc.literal("a"), enc.literal("b")
    solver.add(enc.implies(a, b))
    assert solver.check(a, enc.negate(b)).needs_assumptions
    solver.add(enc.negate(a), a)
    assert not solver.check(b).needs_assumptions


def test_timeout_is_unknown_never_pass() -> None:
    result = BmcEngine().check(lost_update(), Limits(bound=8, timeout_s=0.0))
    assert result.verdict is Verdict.UNKNOWN
    assert "time limit of 0 s" in result.reason


# --- k-induction ------------------------------------------------------------


@SORTS
def test_prove_finds_the_counterexample(sort: SortKind) -> None:
    system = counter()
    result = BmcEngine(sort).prove(system, Limits(bound=10))
    assert result.verdict is Verdict.FAIL
    assert len(result.trace) == 3
    _assert_replays(system, result)


@SORTS
def test_prove_by_induction_without_exhaustion(sort: SortKind) -> None:
    system = u8_ticker()
    assert not BmcEngine(sort).check(system, Limits(bound=6)).stats.exhausted
    result = BmcEngine(sort).prove(system, Limits(bound=6))
    assert result.verdict is Verdict.PASS
    assert result.stats.proved and not result.stats.exhausted
    assert result.stats.depth == 1  # 0-induction fails from flag = 1; 1-induction closes


def test_prove_by_exhaustion() -> None:
    result = BmcEngine().prove(safe_ring(), Limits(bound=10))
    assert result.verdict is Verdict.PASS
    assert result.stats.proved


def test_prove_that_cannot_close_is_unknown() -> None:
    result = BmcEngine().prove(deep_counter(), Limits(bound=5))
    assert result.verdict is Verdict.UNKNOWN
    assert result.reason == "k-induction did not close up to k=5"
    assert not result.stats.proved


def test_prove_closes_given_enough_depth() -> None:
    result = BmcEngine().prove(deep_counter(), Limits(bound=25))
    assert result.verdict is Verdict.PASS and result.stats.proved


def test_prove_timeout_is_unknown() -> None:
    result = BmcEngine().prove(u8_ticker(), Limits(bound=5, timeout_s=0.0))
    assert result.verdict is Verdict.UNKNOWN and "time limit" in result.reason
