"""Hypothesis strategies for random small, well-formed :class:`System` s.

Well-formed means what the world guarantees for real models: every update
keeps its variable inside ``[lo, hi]`` (out-of-range values are wrapped
with :class:`Wrap`), and every :class:`Select` index lies in
``0 .. size-1``.  The range bookkeeping here is deliberately independent
of :mod:`lazycheck.smt.encode`'s interval analysis, so a bug there cannot
hide itself by generating only systems it handles.

Shape: 2-6 variables with domains of 2-4 values (some negative), one of
them (the last) the violation variable with codes ``0..2``; one array of
1-4 consecutive variables for ``Select``; 2-6 actions whose guards and
updates use every expression node kind.  At least one action can set the
violation variable, so both verdicts occur.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hypothesis import strategies as st

from lazycheck.properties import PropertyId
from lazycheck.run.bounding import bound_system
from lazycheck.system import (
    FALSE,
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


@dataclass(frozen=True, slots=True)
class Shape:
    """The variables of a system under construction and its ``Select`` array."""

    vars: tuple[StateVar, ...]
    array_base: int
    array_size: int

    @property
    def violation_var(self) -> int:
        return len(self.vars) - 1


def bounds(e: Expr, vars: tuple[StateVar, ...]) -> tuple[int, int]:
    """Value range of ``e`` on in-domain states (conservative)."""
    match e:
        case Const(value=v):
            return (v, v)
        case Var(index=i):
            return (vars[i].lo, vars[i].hi)
        case Select(base=b, size=n):
            return (min(v.lo for v in vars[b:b + n]), max(v.hi for v in vars[b:b + n]))
        case Binary(op=BinOp.ADD, left=a, right=b):
            (al, ah), (bl, bh) = bounds(a, vars), bounds(b, vars)
            return (al + bl, ah + bh)
        case Binary(op=BinOp.SUB, left=a, right=b):
            (al, ah), (bl, bh) = bounds(a, vars), bounds(b, vars)
            return (al - bh, ah - bl)
        case Ite(then=t, other=o):
            (tl, th), (ol, oh) = bounds(t, vars), bounds(o, vars)
            return (min(tl, ol), max(th, oh))
        case Wrap(lo=lo, hi=hi):
            return (lo, hi)
    return (0, 1)  # Not, comparisons, && and ||


def fit(e: Expr, lo: int, hi: int, vars: tuple[StateVar, ...]) -> Expr:
    """``e`` itself if it always lies in ``[lo, hi]``, else wrapped into it."""
    el, eh = bounds(e, vars)
    if lo <= el and eh <= hi:
        return e
    return Wrap(e, lo, hi)


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    n = draw(st.integers(2, 6))
    out: list[StateVar] = []
    for j in range(n - 1):
        lo = draw(st.integers(-1, 1))
        size = draw(st.integers(2, 4))
        out.append(StateVar(f"v{j}", lo, lo + size - 1, VarKind.STATE))
    out.append(StateVar("violation", 0, 2, VarKind.GHOST))
    # the Select array: a run of ordinary variables (never the violation var)
    size = draw(st.integers(1, min(4, n - 1)))
    base = draw(st.integers(0, n - 1 - size))
    return Shape(tuple(out), base, size)


_OPS = tuple(BinOp)


@st.composite
def exprs(draw: st.DrawFn, shape: Shape, depth: int = 3) -> Expr:
    """A random expression over ``shape``'s variables, every node kind possible."""
    n = len(shape.vars)
    leaf = depth <= 0 or draw(st.integers(0, 3)) == 0
    if leaf:
        if draw(st.booleans()):
            return Var(draw(st.integers(0, n - 1)))
        return Const(draw(st.integers(-2, 4)))
    kind = draw(st.sampled_from(("select", "not", "binary", "binary", "ite", "wrap")))
    sub = exprs(shape, depth - 1)
    if kind == "select":
        ix = draw(sub)
        return Select(shape.array_base, shape.array_size,
                      fit(ix, 0, shape.array_size - 1, shape.vars))
    if kind == "not":
        return Not(draw(sub))
    if kind == "binary":
        return Binary(draw(st.sampled_from(_OPS)), draw(sub), draw(sub))
    if kind == "ite":
        return Ite(draw(sub), draw(sub), draw(sub))
    lo = draw(st.integers(-2, 2))
    return Wrap(draw(sub), lo, lo + draw(st.integers(0, 4)))


_COMPARE = (BinOp.EQ, BinOp.NE, BinOp.LT, BinOp.LE, BinOp.GT, BinOp.GE)


@st.composite
def guards(draw: st.DrawFn, shape: Shape) -> Expr:
    """Mostly simple tests on one variable, so actions are often enabled."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(exprs(shape, 2))
    t = draw(st.integers(0, shape.violation_var - 1))
    test: Expr = Binary(draw(st.sampled_from(_COMPARE)), Var(t),
                        Const(draw(st.integers(shape.vars[t].lo, shape.vars[t].hi))))
    if kind == 1:
        test = Binary(draw(st.sampled_from((BinOp.AND, BinOp.OR))), test,
                      draw(exprs(shape, 2)))
    return test


@st.composite
def update_values(draw: st.DrawFn, shape: Shape, target: int) -> Expr:
    """Counter steps (``Wrap(x + d)``), copies and random expressions."""
    var = shape.vars[target]
    kind = draw(st.integers(0, 2))
    if kind == 0:
        step = draw(st.sampled_from((1, -1, 2)))
        return Wrap(Binary(BinOp.ADD, Var(target), Const(step)), var.lo, var.hi)
    if kind == 1:
        return fit(draw(exprs(shape, 1)), var.lo, var.hi, shape.vars)
    return fit(draw(exprs(shape, 3)), var.lo, var.hi, shape.vars)


@st.composite
def actions(draw: st.DrawFn, shape: Shape, index: int, sets_violation: bool) -> Action:
    guard = draw(guards(shape))
    targets = draw(st.lists(st.integers(0, shape.violation_var - 1), min_size=1,
                            max_size=3, unique=True))
    updates = [Assign(t, draw(update_values(shape, t))) for t in targets]
    if sets_violation:
        code = draw(st.integers(1, 2))
        # a conjunction of "variable == value" tests makes violations need
        # a few steps to set up, so traces are not all of length 0 or 1
        tests: list[Expr] = []
        for _ in range(draw(st.integers(1, 3))):
            t = draw(st.integers(0, shape.violation_var - 1))
            tests.append(Binary(BinOp.EQ, Var(t),
                                Const(draw(st.integers(shape.vars[t].lo, shape.vars[t].hi)))))
        when: Expr = draw(exprs(shape, 2))
        for test in tests:
            when = Binary(BinOp.AND, test, when)
        v = shape.violation_var
        updates.append(Assign(v, Ite(when, Const(code), Var(v))))
    return Action(f"a{index}", ActionKind.TASK, guard, tuple(updates))


@st.composite
def systems(draw: st.DrawFn) -> System:
    """A random small well-formed system (see the module docstring)."""
    shape = draw(shapes())
    n_actions = draw(st.integers(2, 6))
    setters = draw(st.lists(st.booleans(), min_size=n_actions, max_size=n_actions))
    if not any(setters):
        setters[draw(st.integers(0, n_actions - 1))] = True
    acts = tuple(draw(actions(shape, n, s)) for n, s in enumerate(setters))
    init = [draw(st.integers(v.lo, v.hi)) for v in shape.vars[:-1]]
    # rarely violating at once (not value 0: Hypothesis favours small values)
    init.append(1 if draw(st.integers(0, 19)) == 13 else 0)
    return System(
        vars=shape.vars,
        init=tuple(init),
        actions=acts,
        violation_var=shape.violation_var,
        violations=(Violation(1, PropertyId.NO_BUG, "first property"),
                    Violation(2, PropertyId.NO_WARN, "second property")),
        checked=(PropertyId.NO_BUG, PropertyId.NO_WARN),
        var_index={v.name: j for j, v in enumerate(shape.vars)},
    )


@st.composite
def bounded_systems(draw: st.DrawFn) -> System:
    """A random system with context switches and interrupt arrivals, under random bounds.

    Each action of :func:`systems` becomes a task step, a ``SWITCH`` whose
    :attr:`~lazycheck.system.Action.preemption` condition is a random guard,
    or an ``IRQ_ENTRY``; then :func:`~lazycheck.run.bounding.bound_system`
    bounds preemptions and interrupts (each 0-2, or unbounded).
    """
    system = draw(systems())
    shape = Shape(system.vars, 0, 1)  # var 0 is never the violation variable
    acts = []
    for a in system.actions:
        kind = draw(st.sampled_from((ActionKind.TASK, ActionKind.SWITCH, ActionKind.IRQ_ENTRY)))
        preemption = draw(guards(shape)) if kind is ActionKind.SWITCH else FALSE
        acts.append(dataclasses.replace(a, kind=kind, preemption=preemption))
    preemptions = draw(st.none() | st.integers(0, 2))
    interrupts = draw(st.none() | st.integers(0, 2))
    return bound_system(dataclasses.replace(system, actions=tuple(acts)), preemptions,
                        interrupts)
