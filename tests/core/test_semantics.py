"""Concrete semantics: compile_expr against a hand evaluator, steps and replay."""

from __future__ import annotations

import random

import pytest

from lazycheck.errors import ReplayError
from lazycheck.semantics import Semantics, compile_expr
from lazycheck.system import (
    Action,
    ActionKind,
    Assign,
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    Not,
    Select,
    StateVar,
    System,
    Var,
    VarKind,
    Wrap,
)


def hand_eval(e: Expr, s: tuple[int, ...]) -> int:
    """An independent reference interpreter (C semantics, booleans 0/1)."""
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Var):
        return s[e.index]
    if isinstance(e, Select):
        return s[e.base + hand_eval(e.index, s)]
    if isinstance(e, Not):
        return int(hand_eval(e.arg, s) == 0)
    if isinstance(e, Wrap):
        v = hand_eval(e.arg, s)
        width = e.hi - e.lo + 1
        while v > e.hi:
            v -= width
        while v < e.lo:
            v += width
        return v
    if isinstance(e, Ite):
        return hand_eval(e.then, s) if hand_eval(e.cond, s) else hand_eval(e.other, s)
    assert isinstance(e, Binary)
    a, b = hand_eval(e.left, s), hand_eval(e.right, s)
    return {
        BinOp.ADD: a + b, BinOp.SUB: a - b, BinOp.EQ: int(a == b), BinOp.NE: int(a != b),
        BinOp.LT: int(a < b), BinOp.LE: int(a <= b), BinOp.GT: int(a > b),
        BinOp.GE: int(a >= b), BinOp.AND: int(a != 0 and b != 0),
        BinOp.OR: int(a != 0 or b != 0),
    }[e.op]


STATE = (3, 0, 1, 2, 5, 7)


@pytest.mark.parametrize(("e", "want"), [
    (Const(4), 4),
    (Var(0), 3),
    (Select(2, 3, Var(1)), 1),  # s[2 + 0]
    (Select(2, 3, Const(2)), 5),
    (Not(Var(1)), 1),
    (Not(Var(0)), 0),
    (Wrap(Binary(BinOp.ADD, Var(0), Const(254)), 0, 255), 1),  # u8: 257 wraps to 1
    (Wrap(Binary(BinOp.SUB, Var(1), Const(1)), 0, 255), 255),  # u8: -1 wraps to 255
    (Wrap(Const(9), 2, 5), 5),
    (Ite(Var(1), Const(8), Const(9)), 9),
    (Binary(BinOp.AND, Var(0), Var(5)), 1),  # truthiness, not bitwise: 3 && 7 == 1
    (Binary(BinOp.OR, Var(1), Const(0)), 0),
    (Binary(BinOp.SUB, Var(1), Var(0)), -3),
    (Binary(BinOp.GE, Var(3), Var(3)), 1),
])
def test_compile_expr_examples(e: Expr, want: int) -> None:
    assert hand_eval(e, STATE) == want
    assert compile_expr(e)(STATE) == want


def _random_expr(rng: random.Random, depth: int) -> Expr:
    if depth == 0 or rng.random() < 0.2:
        return Var(rng.randrange(4)) if rng.random() < 0.6 else Const(rng.randrange(-2, 5))
    k = rng.randrange(5)
    if k == 0:
        return Not(_random_expr(rng, depth - 1))
    if k == 1:
        return Ite(_random_expr(rng, depth - 1), _random_expr(rng, depth - 1),
                   _random_expr(rng, depth - 1))
    if k == 2:
        return Wrap(_random_expr(rng, depth - 1), 0, 3)
    if k == 3:
        return Select(4, 4, Wrap(_random_expr(rng, depth - 1), 0, 3))
    return Binary(rng.choice(list(BinOp)), _random_expr(rng, depth - 1),
                  _random_expr(rng, depth - 1))


def test_compile_expr_agrees_with_hand_evaluation_on_random_terms() -> None:
    rng = random.Random(20240601)
    for _ in range(400):
        e = _random_expr(rng, 4)
        s = tuple(rng.randrange(-3, 6) for _ in range(4)) + tuple(rng.randrange(4)
                                                                   for _ in range(4))
        assert compile_expr(e)(s) == hand_eval(e, s), e


def _doubling_dag(levels: int) -> Expr:
    e: Expr = Var(0)
    for _ in range(levels):
        e = Binary(BinOp.ADD, e, e)  # 2**levels tree nodes, levels + 1 distinct ones
    return e


def test_actions_evaluate_shared_subterms_once() -> None:
    """Pins DAG handling in the action compiler: a term with 2**60 tree nodes and
    61 distinct ones is stepped in linear time (fused steps build such DAGs)."""
    vars_ = (StateVar("x", 0, 2 ** 61, VarKind.STATE),)
    a = Action("a", ActionKind.TASK, Const(1), (Assign(0, _doubling_dag(60)),), task=0)
    sem = Semantics(System(vars_, (1,), (a,), 0, (), ()))
    assert sem.step((1,), 0) == (2 ** 60,)


class _CountingState(tuple):  # type: ignore[type-arg]
    reads = 0

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        type(self).reads += 1
        return super().__getitem__(i)


def test_compile_expr_on_a_dag_is_correct() -> None:
    assert compile_expr(_doubling_dag(12))((1,)) == 2 ** 12


def test_compile_expr_evaluates_shared_subterms_once() -> None:
    """Pins linear-time evaluation of DAG-shaped expressions by compile_expr."""
    _CountingState.reads = 0
    assert compile_expr(_doubling_dag(16))(_CountingState((1,))) == 2 ** 16
    assert _CountingState.reads <= 16


def _counter(lo: int = 0, hi: int = 3) -> System:
    vars_ = (StateVar("x", lo, hi, VarKind.STATE), StateVar("v", 0, 1, VarKind.GHOST))
    inc = Action("inc", ActionKind.TASK, Binary(BinOp.LT, Var(0), Const(3)),
                 (Assign(0, Binary(BinOp.ADD, Var(0), Const(1))),), task=0)
    swap = Action("swap", ActionKind.TASK, Const(1),
                  (Assign(0, Var(1)), Assign(1, Const(0))), task=0)
    wild = Action("wild", ActionKind.TASK, Const(1), (Assign(0, Const(9)),), task=0)
    return System(vars_, (0, 0), (inc, swap, wild), 1, (), ())


def test_step_is_a_parallel_assignment() -> None:
    sem = Semantics(_counter())
    assert sem.step((2, 1), 1) == (1, 0)  # both right-hand sides read the pre-state


def test_enabled_successors_and_violation() -> None:
    sem = Semantics(_counter())
    assert sem.enabled((0, 0), 0) and not sem.enabled((3, 0), 0)
    assert [i for i, _ in sem.successors((3, 0))] == [1, 2]
    assert sem.successors((0, 0))[0] == (0, (1, 0))
    assert sem.violation((0, 1)) == 1


def test_step_of_disabled_action_raises() -> None:
    with pytest.raises(ReplayError):
        Semantics(_counter()).step((3, 0), 0)


def test_replay_returns_every_state() -> None:
    assert Semantics(_counter()).replay([0, 0]) == [(0, 0), (1, 0), (2, 0)]


def test_replay_rejects_a_disabled_action() -> None:
    with pytest.raises(ReplayError, match="step 4: action inc is not enabled"):
        Semantics(_counter()).replay([0, 0, 0, 0])


def test_replay_rejects_an_unknown_action() -> None:
    with pytest.raises(ReplayError, match="no action #7"):
        Semantics(_counter()).replay([0, 7])


def test_replay_rejects_a_state_outside_the_declared_range() -> None:
    with pytest.raises(ReplayError, match=r"x = 9 outside 0\.\.3"):
        Semantics(_counter()).replay([2])


@pytest.mark.parametrize("packed", [False, True])
def test_action_index_keeps_exactly_the_enabled_actions(packed: bool) -> None:
    """Indexed successors equal trying every action, on every reachable state of a target.

    Packed, the search's steps are memoized (the large ones) and the plain ones
    are not, so this also checks that the memo answers as the step would."""
    from pathlib import Path

    from lazycheck.run.verify import build
    from lazycheck.semantics import Packing
    from lazycheck.targets import find_root, load_target

    root = find_root(Path(__file__).resolve().parent)
    t = load_target("arm64-nested", root)
    _, system = build(t, root, t.config)
    sem = Semantics(system, Packing.of(system) if packed else None)
    seen = {sem.init}
    frontier = [sem.init]
    while frontier and len(seen) < 3000:
        nxt = []
        for s in frontier:
            every = [(i, sem.step(s, i)) for i in range(len(system.actions))
                     if sem.enabled(s, i)]
            assert sem.successors(s) == every
            for _, n in every:
                if n not in seen:
                    seen.add(n)
                    nxt.append(n)
        frontier = nxt
