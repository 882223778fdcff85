"""Translate a :class:`~lazycheck.system.System` into z3 terms.

This module and :mod:`lazycheck.smt.solver` are the only places that import
z3; engines see the opaque, typed handles :class:`Formula`, :class:`Term`
and :class:`StepVars` and never touch a z3 object themselves, so ``Any``
stays inside this package.

Variable sort
-------------
Each state variable of each step is a signed bit-vector (:attr:`SortKind.BV`,
the default) whose width :func:`bit_width` derives from an interval
analysis of every expression of the system, so that no intermediate ``+``,
``-``, ``Wrap`` shift or constant can overflow; each variable also gets its
range constraint ``lo <= x <= hi``.  The alternative, z3 ``Int`` with the
same range constraints (:attr:`SortKind.INT`), stays selectable
(``BmcEngine(sort=...)``) so the choice can be re-measured on the real
kernel models.  Measured with z3 5.4.0 on this 2-core machine, full
``BmcEngine.check`` runs (path-existence + violation query per depth),
median of 3 runs; the two sorts of one row were measured back to back:

======================================================  ========  ========
workload                                                 Int       BV
======================================================  ========  ========
200 random systems from ``tests/property/strategies``,   2.55 s    3.35 s
bound 8 (2-6 vars of 2-4 values, 2-6 actions; width     4.52 s    4.62 s
4-6 bits) -- run 1, run 2 (run 2 on a loaded machine)
counter failing at depth 3, bound 8                      0.005 s   0.005 s
"tasks" model: 2 tasks x 6 pcs, per-CPU lazy-mode        13.06 s   13.49 s
nesting counters read through ``Select``, a u8 counter
(0..255, ``Wrap``; width 12 bits), no violation,
bound 14
same with 3 tasks, bound 11 -- run 1 (single runs),      15.6 s    12.0 s
run 2 (median of 3, loaded machine)                      26.1 s    21.9 s
======================================================  ========  ========

On the tiny random systems each run takes milliseconds and Int is equal
or up to ~30% faster; on the largest model, where the UNSAT violation
queries over many interleavings dominate and time grows ~2x per depth,
bit-vectors are 16-23% faster (presumably because bit-blasting lets the
SAT core learn clauses over the few bits of each small domain).  The time
that matters is spent in the large models, so BV is the default.  The
exactly-one encoding (``PbEq`` vs ``Or`` + ``AtMost`` vs pairwise) made no
difference beyond noise (+-15%) on the 3-task model.

Boolean structure
-----------------
Expressions are 0/1 integers in the model language, but comparisons and
``&&``/``||``/``!`` are translated straight to z3 Booleans when they are
used as conditions (:meth:`Encoder.cond`), and only wrapped in
``If(b, 1, 0)`` where an integer is needed.  This keeps guards free of
spurious integer/Boolean round trips.

``Wrap`` is encoded without ``mod`` when the argument's value range (from
the interval analysis) spans few periods: an ``If`` chain subtracting the
right multiple of the width.  ``mod`` by a constant is a fallback for wide
arguments; it is exact in both sorts (SMT-LIB ``mod`` and ``bvsmod`` with a
positive divisor agree with Python's ``%``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.system import (
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    Not,
    Select,
    System,
    Var,
    Wrap,
)


class SortKind(enum.Enum):
    """How state variables are represented; see the module docstring."""

    INT = "int"
    BV = "bv"


DEFAULT_SORT = SortKind.BV

# Wrap arguments spanning at most this many periods get an If chain, not mod.
_MAX_WRAP_PERIODS = 8

_COMPARISONS = frozenset({BinOp.EQ, BinOp.NE, BinOp.LT, BinOp.LE, BinOp.GT, BinOp.GE})


@dataclass(frozen=True, slots=True, eq=False)
class Formula:
    """An opaque z3 Boolean term (``eq=False``: z3 overloads ``==``)."""

    z: Any


@dataclass(frozen=True, slots=True, eq=False)
class Term:
    """An opaque z3 integer-valued term (Int or bit-vector)."""

    z: Any


@dataclass(frozen=True, slots=True, eq=False)
class StepVars:
    """The z3 constants of one step of an unrolling.

    ``values[j]`` is state variable ``j`` at this step; ``acts[n]`` is the
    indicator ``act_<step>_<n>`` of action ``n`` firing on the transition
    that *leaves* this step.  ``prefix`` keeps unrollings apart when one
    context holds several (base case and inductive step).
    """

    step: int
    prefix: str
    values: tuple[Any, ...]
    acts: tuple[Any, ...]


# --------------------------------------------------------------------------
# Interval analysis: value ranges, used for the bit-vector width and Wrap.


def interval(e: Expr, system: System) -> tuple[int, int]:
    """A conservative ``[lo, hi]`` for the values of ``e`` on in-domain states."""
    return _Ranges(system).of(e)


def bit_width(system: System, extra: Iterable[Expr] = ()) -> int:
    """Signed bit-vector width for which no encoded term of ``system`` overflows.

    Every intermediate value the encoder builds (sums, differences, the
    shifted arguments and thresholds of a ``Wrap`` chain, constants) lies
    in a range the analysis bounds; the width holds the largest magnitude
    plus a sign bit and one spare bit.
    """
    ranges = _Ranges(system)
    for v in system.vars:
        ranges.note(v.lo, v.hi)
    ranges.note(min(system.init, default=0), max(system.init, default=0))
    for a in system.actions:
        ranges.of(a.guard)
        for u in a.updates:
            ranges.of(u.value)
    for e in extra:
        ranges.of(e)
    return max(ranges.magnitude.bit_length() + 2, 2)


def _wrap_periods(arg: tuple[int, int], lo: int, hi: int) -> range:
    """The multiples ``q`` of the width that ``arg - lo`` can fall into."""
    width = hi - lo + 1
    return range((arg[0] - lo) // width, (arg[1] - lo) // width + 1)


class _Ranges:
    """Memoised interval analysis that also tracks the largest magnitude."""

    def __init__(self, system: System) -> None:
        self._vars = system.vars
        self._memo: dict[int, tuple[Expr, tuple[int, int]]] = {}
        self.magnitude = 1

    def note(self, lo: int, hi: int) -> None:
        self.magnitude = max(self.magnitude, abs(lo), abs(hi))

    def of(self, e: Expr) -> tuple[int, int]:
        hit = self._memo.get(id(e))
        if hit is not None:
            return hit[1]
        r = self._compute(e)
        self.note(*r)
        self._memo[id(e)] = (e, r)  # keep e alive so its id is not reused
        return r

    def _compute(self, e: Expr) -> tuple[int, int]:
        match e:
            case Const(value=v):
                return (v, v)
            case Var(index=i):
                return (self._vars[i].lo, self._vars[i].hi)
            case Select(base=b, size=n, index=ix):
                self.of(ix)
                self.note(0, n)
                cells = self._vars[b:b + n]
                return (min(c.lo for c in cells), max(c.hi for c in cells))
            case Not(arg=a):
                self.of(a)
                return (0, 1)
            case Binary(op=op, left=a, right=b):
                ra, rb = self.of(a), self.of(b)
                if op is BinOp.ADD:
                    return (ra[0] + rb[0], ra[1] + rb[1])
                if op is BinOp.SUB:
                    return (ra[0] - rb[1], ra[1] - rb[0])
                return (0, 1)
            case Ite(cond=c, then=t, other=o):
                self.of(c)
                rt, ro = self.of(t), self.of(o)
                return (min(rt[0], ro[0]), max(rt[1], ro[1]))
            case Wrap(arg=a, lo=lo, hi=hi):
                ra = self.of(a)
                width = hi - lo + 1
                qs = _wrap_periods(ra, lo, hi)
                if len(qs) <= _MAX_WRAP_PERIODS:
                    # shifted arguments and the chain's thresholds
                    self.note(ra[0] - qs[-1] * width, ra[1] - qs[0] * width)
                    self.note(lo + qs[0] * width, lo + (qs[-1] + 1) * width)
                else:
                    self.note(ra[0] - lo, ra[1] - lo)
                    self.note(width, width)
                self.note(lo, hi)
                return (lo, hi)
        raise AssertionError(e)


# --------------------------------------------------------------------------
# The encoder.


class Encoder:
    """Builds z3 terms for one system in a private z3 context.

    A private context per encoder means no z3 state is shared between
    runs (z3's default context is process-global).  Per-action templates
    over placeholder constants are built once; each unrolling step is a
    single native ``substitute`` of the template, not a Python re-walk of
    every expression.
    """

    def __init__(self, system: System, sort: SortKind = DEFAULT_SORT,
                 extra: Iterable[Expr] = ()) -> None:
        self.system = system
        self.sort = sort
        self.ctx: Any = z3.Context()
        self.width = bit_width(system, extra) if sort is SortKind.BV else 0
        self._ranges = _Ranges(system)
        n_vars, n_acts = len(system.vars), len(system.actions)
        self._cur = tuple(self._const(f"cur!{j}") for j in range(n_vars))
        self._nxt = tuple(self._const(f"nxt!{j}") for j in range(n_vars))
        self._act = tuple(z3.Bool(f"act!{n}", self.ctx) for n in range(n_acts))
        self._template: Any = None  # built on the first transition(): not every user needs it
        self._vals: dict[int, Any] = {}

    # --- primitives ------------------------------------------------------

    def _const(self, name: str) -> Any:
        if self.sort is SortKind.BV:
            return z3.BitVec(name, self.width, self.ctx)
        return z3.Int(name, self.ctx)

    def _val(self, v: int) -> Any:
        hit = self._vals.get(v)
        if hit is None:
            if self.sort is SortKind.BV:
                hit = z3.BitVecVal(v, self.width, self.ctx)
            else:
                hit = z3.IntVal(v, self.ctx)
            self._vals[v] = hit
        return hit

    def _bool(self, b: bool) -> Any:
        return z3.BoolVal(b, self.ctx)

    def _and(self, parts: Sequence[Any]) -> Any:
        if not parts:
            return self._bool(True)
        return parts[0] if len(parts) == 1 else z3.And(*parts)

    def _or(self, parts: Sequence[Any]) -> Any:
        if not parts:
            return self._bool(False)
        return parts[0] if len(parts) == 1 else z3.Or(*parts)

    # --- expressions -----------------------------------------------------

    def term(self, e: Expr, at: StepVars) -> Term:
        """``e`` as an integer-valued term over the variables of ``at``."""
        return Term(_Translate(self, at.values).int_(e))

    def cond(self, e: Expr, at: StepVars) -> Formula:
        """``e != 0`` as a Boolean over the variables of ``at``."""
        return Formula(_Translate(self, at.values).bool_(e))

    def terms(self, exprs: Sequence[Expr], at: StepVars) -> list[Term]:
        """Each of ``exprs`` as an integer term, sharing one translation of common subterms."""
        tr = _Translate(self, at.values)
        return [Term(tr.int_(e)) for e in exprs]

    def conds(self, exprs: Sequence[Expr], at: StepVars) -> list[Formula]:
        """``e != 0`` for each of ``exprs``, sharing one translation of common subterms."""
        tr = _Translate(self, at.values)
        return [Formula(tr.bool_(e)) for e in exprs]

    def evaluate(self, e: Expr, state: Sequence[int]) -> int:
        """The value z3 gives ``e`` on a concrete state (for tests).

        Builds the term over literal values and lets z3 simplify it to a
        numeral, so this checks the translation against z3's semantics.
        With bit-vectors, ``e`` must belong to the system or have been
        passed as ``extra`` to the constructor, or the width may not fit it.
        """
        values = tuple(self._val(v) for v in state)
        return self._number(z3.simplify(_Translate(self, values).int_(e)))

    def _number(self, z: Any) -> int:
        if z3.is_bv_value(z):
            return int(z.as_signed_long())
        if z3.is_int_value(z):
            return int(z.as_long())
        raise AssertionError(f"not a numeral: {z}")

    # --- unrolling -------------------------------------------------------

    def step_vars(self, step: int, prefix: str = "") -> StepVars:
        """Fresh constants for state ``step`` and its outgoing action indicators."""
        values = tuple(self._const(f"{prefix}s{step}_{v.name}#{j}")
                       for j, v in enumerate(self.system.vars))
        acts = tuple(z3.Bool(f"{prefix}act_{step}_{n}", self.ctx)
                     for n in range(len(self.system.actions)))
        return StepVars(step, prefix, values, acts)

    def domain(self, at: StepVars) -> Formula:
        """Every variable of ``at`` lies in its declared range."""
        parts = []
        for x, v in zip(at.values, self.system.vars, strict=True):
            if v.lo == v.hi:
                parts.append(x == self._val(v.lo))
            else:
                parts.append(x >= self._val(v.lo))
                parts.append(x <= self._val(v.hi))
        return Formula(self._and(parts))

    def initial(self, at: StepVars) -> Formula:
        """``at`` is the system's initial state."""
        return Formula(self._and([x == self._val(v)
                                  for x, v in zip(at.values, self.system.init, strict=True)]))

    def transition(self, pre: StepVars, post: StepVars) -> Formula:
        """One step ``pre -> post``: exactly one action fires, no stuttering.

        A fired action implies its guard on ``pre`` and that ``post``
        equals its parallel assignment (variables it does not assign keep
        their value).  With no actions the relation is false.
        """
        pairs = [*zip(self._cur, pre.values, strict=True),
                 *zip(self._nxt, post.values, strict=True),
                 *zip(self._act, pre.acts, strict=True)]
        if self._template is None:
            self._template = self._transition_template()
        if not pairs:
            return Formula(self._template)
        return Formula(z3.substitute(self._template, *pairs))

    def _transition_template(self) -> Any:
        acts = self._act
        if not acts:
            return self._bool(False)
        exactly_one = acts[0] if len(acts) == 1 else z3.PbEq([(a, 1) for a in acts], 1)
        parts = [exactly_one]
        tr = _Translate(self, self._cur)
        for lit, action in zip(acts, self.system.actions, strict=True):
            assigned: dict[int, Any] = {}
            for u in action.updates:  # later assignments win, as in semantics.step
                assigned[u.var] = tr.int_(u.value)
            body = [tr.bool_(action.guard)]
            body.extend(self._nxt[j] == assigned.get(j, self._cur[j])
                        for j in range(len(self.system.vars)))
            parts.append(z3.Implies(lit, self._and(body)))
        return self._and(parts)

    def fired(self, at: StepVars, action: int) -> Formula:
        """Action ``action`` fires on the transition leaving ``at``."""
        return Formula(at.acts[action])

    def within(self, at: StepVars, var: int, values: Iterable[int]) -> Formula:
        """Variable ``var`` of ``at`` takes one of ``values``."""
        x = at.values[var]
        return Formula(self._or([x == self._val(v) for v in sorted(values)]))

    def violated(self, at: StepVars) -> Formula:
        """The violation variable is non-zero at ``at``."""
        return Formula(at.values[self.system.violation_var] != self._val(0))

    def distinct(self, a: StepVars, b: StepVars) -> Formula:
        """The two steps hold different states (for simple-path constraints)."""
        return Formula(self._or([x != y for x, y in zip(a.values, b.values, strict=True)]))

    def value(self, at: StepVars, var: int) -> Term:
        return Term(at.values[var])

    # --- Boolean combinators for engines ---------------------------------

    def all_of(self, parts: Iterable[Formula]) -> Formula:
        return Formula(self._and([p.z for p in parts]))

    def any_of(self, parts: Iterable[Formula]) -> Formula:
        """The disjunction of ``parts`` (false when empty)."""
        return Formula(self._or([p.z for p in parts]))

    def negate(self, f: Formula) -> Formula:
        return Formula(z3.Not(f.z))

    def implies(self, a: Formula, b: Formula) -> Formula:
        return Formula(z3.Implies(a.z, b.z))

    def literal(self, name: str) -> Formula:
        """A fresh Boolean constant, e.g. an assumption literal."""
        return Formula(z3.Bool(name, self.ctx))


class _Translate:
    """One walk of expressions over fixed variable terms, memoised by node.

    Expressions are DAGs (the world shares sub-terms), so the memo keys on
    node identity; it keeps the node alive so an id is never reused.
    """

    def __init__(self, enc: Encoder, values: Sequence[Any]) -> None:
        self._enc = enc
        self._values = values
        self._ints: dict[int, tuple[Expr, Any]] = {}
        self._bools: dict[int, tuple[Expr, Any]] = {}

    def int_(self, e: Expr) -> Any:
        hit = self._ints.get(id(e))
        if hit is not None:
            return hit[1]
        z = self._int(e)
        self._ints[id(e)] = (e, z)
        return z

    def bool_(self, e: Expr) -> Any:
        hit = self._bools.get(id(e))
        if hit is not None:
            return hit[1]
        z = self._bool(e)
        self._bools[id(e)] = (e, z)
        return z

    def _int(self, e: Expr) -> Any:
        enc = self._enc
        match e:
            case Const(value=v):
                return enc._val(v)
            case Var(index=i):
                return self._values[i]
            case Select(base=b, size=n, index=ix):
                cells = self._values[b:b + n]
                if isinstance(ix, Const):
                    return cells[ix.value]
                idx = self.int_(ix)
                acc = cells[n - 1]  # the index is in 0..n-1: the last case needs no test
                for k in range(n - 2, -1, -1):
                    acc = z3.If(idx == enc._val(k), cells[k], acc)
                return acc
            case Binary(op=BinOp.ADD, left=a, right=b):
                return self.int_(a) + self.int_(b)
            case Binary(op=BinOp.SUB, left=a, right=b):
                return self.int_(a) - self.int_(b)
            case Ite(cond=c, then=t, other=o):
                return z3.If(self.bool_(c), self.int_(t), self.int_(o))
            case Wrap(arg=a, lo=lo, hi=hi):
                return self._wrap(a, lo, hi)
            case Not() | Binary():
                return z3.If(self.bool_(e), enc._val(1), enc._val(0))
        raise AssertionError(e)

    def _wrap(self, a: Expr, lo: int, hi: int) -> Any:
        enc = self._enc
        arg = self.int_(a)
        width = hi - lo + 1
        qs = _wrap_periods(enc._ranges.of(a), lo, hi)
        if len(qs) > _MAX_WRAP_PERIODS:
            return enc._val(lo) + (arg - enc._val(lo)) % enc._val(width)
        # arg - q*width for the q with lo + q*width <= arg < lo + (q+1)*width
        acc = arg - enc._val(qs[-1] * width) if qs[-1] else arg
        for q in reversed(qs[:-1]):
            shifted = arg - enc._val(q * width) if q else arg
            acc = z3.If(arg <= enc._val(lo + (q + 1) * width - 1), shifted, acc)
        return acc

    def _bool(self, e: Expr) -> Any:
        enc = self._enc
        match e:
            case Const(value=v):
                return enc._bool(v != 0)
            case Not(arg=a):
                return z3.Not(self.bool_(a))
            case Binary(op=BinOp.AND, left=a, right=b):
                return z3.And(self.bool_(a), self.bool_(b))
            case Binary(op=BinOp.OR, left=a, right=b):
                return z3.Or(self.bool_(a), self.bool_(b))
            case Binary(op=op, left=a, right=b) if op in _COMPARISONS:
                return _compare(op, self.int_(a), self.int_(b))
            case Ite(cond=c, then=t, other=o):
                return z3.If(self.bool_(c), self.bool_(t), self.bool_(o))
        return self.int_(e) != enc._val(0)


def _compare(op: BinOp, a: Any, b: Any) -> Any:
    """Signed comparison (z3py's ``<`` on bit-vectors is the signed one)."""
    match op:
        case BinOp.EQ:
            return a == b
        case BinOp.NE:
            return a != b
        case BinOp.LT:
            return a < b
        case BinOp.LE:
            return a <= b
        case BinOp.GT:
            return a > b
        case BinOp.GE:
            return a >= b
    raise AssertionError(op)
