"""The z3 encoding agrees with the concrete semantics, node by node.

Every :class:`Expr` node kind is translated by :class:`Encoder` and the
result compared with :func:`lazycheck.semantics.compile_expr` on every
state of a small domain, in both variable sorts.  The transition relation
is checked the same way: for each state and action, the z3 successor is
exactly :meth:`Semantics.step`, and the action is possible exactly when
its guard holds.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lazycheck.engines.bmc import BmcEngine
from lazycheck.outcome import Limits, Verdict
from lazycheck.properties import PropertyId
from lazycheck.semantics import Semantics, compile_expr
from lazycheck.smt import Encoder, SmtSolver, SortKind, Status, bit_width, interval
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
    Violation,
    Wrap,
)
from tests.property.strategies import exprs, shapes

SORTS = (SortKind.INT, SortKind.BV)

# x0 in -1..1, x1 in 0..2 (the Select array is x1..x3), x2 in 0..3, x3 in 2..3
VARS = (
    StateVar("x0", -1, 1, VarKind.STATE),
    StateVar("x1", 0, 2, VarKind.STATE),
    StateVar("x2", 0, 3, VarKind.STATE),
    StateVar("x3", 2, 3, VarKind.STATE),
    StateVar("violation", 0, 1, VarKind.GHOST),
)
STATES = list(itertools.product(*(range(v.lo, v.hi + 1) for v in VARS)))

x0, x1, x2, x3 = Var(0), Var(1), Var(2), Var(3)


def _bin(op: BinOp, a: Expr, b: Expr) -> Expr:
    return Binary(op, a, b)


NODES: dict[str, Expr] = {
    "const": Const(7),
    "const-negative": Const(-3),
    "var": x0,
    "select-const-index": Select(1, 3, Const(2)),
    "select-var-index": Select(1, 3, x1),
    "select-size-1": Select(2, 1, Const(0)),
    "select-computed-index": Select(1, 3, Wrap(_bin(BinOp.ADD, x2, x0), 0, 2)),
    "not-int": Not(x0),
    "not-not": Not(Not(x2)),
    "not-comparison": Not(_bin(BinOp.LT, x0, x1)),
    "ite-int-cond": Ite(x0, x1, x2),
    "ite-bool-cond": Ite(_bin(BinOp.GE, x2, x3), _bin(BinOp.SUB, x2, x3), Const(5)),
    "ite-as-cond": Not(Ite(x0, x1, Const(0))),
    "wrap-one-period": Wrap(_bin(BinOp.ADD, x2, Const(1)), 0, 3),
    "wrap-negative": Wrap(_bin(BinOp.SUB, x0, Const(2)), -1, 1),
    "wrap-several-periods": Wrap(_bin(BinOp.SUB, _bin(BinOp.ADD, x2, x3), Const(9)), 0, 1),
    "wrap-mod-fallback": Wrap(_bin(BinOp.ADD, x2, Const(100)), 0, 2),  # > 8 periods
    "wrap-mod-negative": Wrap(_bin(BinOp.SUB, x0, Const(100)), -2, 0),
    "wrap-of-bool": Wrap(_bin(BinOp.EQ, x0, x1), 3, 4),
    "and-ints": _bin(BinOp.AND, x0, x2),
    "or-ints": _bin(BinOp.OR, x0, x2),
    "and-in-arith": _bin(BinOp.ADD, _bin(BinOp.AND, x0, x1), _bin(BinOp.OR, x2, Const(0))),
    "comparison-of-bools": _bin(BinOp.EQ, _bin(BinOp.LT, x0, x1), _bin(BinOp.GT, x2, x3)),
}
NODES.update({f"binary-{op.name.lower()}": _bin(op, _bin(BinOp.SUB, x0, x3), x2)
              for op in BinOp})


def _system(extra_actions: tuple[Action, ...] = ()) -> System:
    return System(VARS, (0, 0, 0, 2, 0), extra_actions, 4,
                  (Violation(1, PropertyId.NO_BUG, "bad"),), (PropertyId.NO_BUG,))


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
@pytest.mark.parametrize("name", sorted(NODES))
def test_node_matches_semantics(name: str, sort: SortKind) -> None:
    e = NODES[name]
    enc = Encoder(_system(), sort, extra=(e,))
    f = compile_expr(e)
    for state in STATES:
        assert enc.evaluate(e, state) == f(state), (name, state)


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
def test_cond_is_nonzero_test(sort: SortKind) -> None:
    """``cond`` (the Boolean view) agrees with ``term != 0`` via the solver."""
    enc = Encoder(_system(), sort, extra=tuple(NODES.values()))
    at = enc.step_vars(0)
    solver = SmtSolver(enc)
    solver.add(enc.domain(at))
    for name, e in NODES.items():
        f = compile_expr(e)
        for state in STATES[::7]:
            pinned = enc.all_of(enc.cond(Binary(BinOp.EQ, Var(j), Const(v)), at)
                                for j, v in enumerate(state))
            with solver.frame():
                solver.add(pinned)
                check = solver.check(timeout_s=10)
                assert check.status is Status.SAT and check.model is not None
                assert check.model.is_true(enc.cond(e, at)) == bool(f(state)), (name, state)
                assert check.model.value(enc.term(e, at)) == f(state), (name, state)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), sort=st.sampled_from(SORTS))
def test_random_expressions_match_semantics(data: st.DataObject, sort: SortKind) -> None:
    shape = data.draw(shapes())
    e = data.draw(exprs(shape, 4))
    state = tuple(data.draw(st.integers(v.lo, v.hi)) for v in shape.vars)
    system = System(shape.vars, state, (), len(shape.vars) - 1, (), ())
    lo, hi = interval(e, system)
    value = compile_expr(e)(state)
    assert lo <= value <= hi
    assert Encoder(system, sort, extra=(e,)).evaluate(e, state) == value


def test_bit_width_covers_intermediate_values() -> None:
    e = NODES["wrap-mod-fallback"]
    width = bit_width(_system(), (e,))
    assert 2 ** (width - 1) > 103  # x2 + 100 and the mod's operands fit signed


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
def test_transition_relation_matches_semantics(sort: SortKind) -> None:
    """Exactly the enabled actions are possible, with the concrete successor."""
    actions = (
        Action("inc", ActionKind.TASK, Binary(BinOp.LT, x2, Const(3)),
               (Assign(2, Binary(BinOp.ADD, x2, Const(1))),)),
        Action("swap", ActionKind.TASK, x0,
               (Assign(1, Wrap(Binary(BinOp.SUB, x3, Const(2)), 0, 2)),
                Assign(3, Ite(Binary(BinOp.EQ, x1, Const(0)), Const(2), Const(3))))),
        Action("sel", ActionKind.TASK, Const(1),
               (Assign(0, Wrap(Select(1, 3, x1), -1, 1)), Assign(4, Const(1)))),
        Action("twice", ActionKind.TASK, Not(x0),
               (Assign(2, Const(0)), Assign(2, Const(3)))),  # the later update wins
    )
    system = _system(actions)
    sem = Semantics(system)
    enc = Encoder(system, sort)
    pre, post = enc.step_vars(0), enc.step_vars(1)
    solver = SmtSolver(enc)
    solver.add(enc.domain(pre), enc.domain(post), enc.transition(pre, post))
    for state in STATES[::3]:
        pinned = enc.all_of(enc.cond(Binary(BinOp.EQ, Var(j), Const(v)), pre)
                            for j, v in enumerate(state))
        for n in range(len(actions)):
            with solver.frame():
                solver.add(pinned)
                check = solver.check(enc.fired(pre, n), timeout_s=10)
                if not sem.enabled(state, n):
                    assert check.status is Status.UNSAT
                    continue
                assert check.status is Status.SAT and check.model is not None
                model = check.model
                got = tuple(model.value(enc.value(post, j)) for j in range(len(VARS)))
                assert got == sem.step(state, n)
                assert [m for m in range(len(actions)) if model.is_true(enc.fired(pre, m))] == [n]


def test_no_actions_means_no_transition() -> None:
    enc = Encoder(_system(), SortKind.INT)
    pre, post = enc.step_vars(0), enc.step_vars(1)
    solver = SmtSolver(enc)
    solver.add(enc.transition(pre, post))
    assert solver.check().status is Status.UNSAT


def test_frame_pops_even_on_error() -> None:
    enc = Encoder(_system(), SortKind.INT)
    at = enc.step_vars(0)
    solver = SmtSolver(enc)
    solver.add(enc.initial(at))
    with pytest.raises(RuntimeError), solver.frame():
        solver.add(enc.violated(at))  # contradicts the initial state
        assert solver.check().status is Status.UNSAT
        raise RuntimeError("boom")
    assert solver.check().status is Status.SAT


def test_spent_budget_is_unknown_not_unsat() -> None:
    enc = Encoder(_system(), SortKind.INT)
    solver = SmtSolver(enc)
    check = solver.check(timeout_s=0)
    assert check.status is Status.UNKNOWN and check.reason == "timeout"


def test_engine_reports_timeout_as_unknown() -> None:
    result = BmcEngine().check(_system(), Limits(bound=3, timeout_s=0.0))
    assert result.verdict is Verdict.UNKNOWN
    assert "time limit" in result.reason
