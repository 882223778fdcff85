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
that matters is spent in the large models, so BV is the default.  (Those
measurements predate the selector encoding below and the ``QF_BV`` solver
of :mod:`lazycheck.smt.solver`, which only bit-vectors can use.)

Storage.  The width above is the *computation* width; each variable is
stored in the narrowest bit-vector its declared range needs (unsigned when
``lo >= 0``: a flag is one bit, a u8 counter eight), and widened with
``ZeroExt``/``SignExt`` where an expression reads it.  An assignment stores
the low bits of its value; when the interval analysis cannot show that the
value stays in the variable's range, the step also requires it (exactly
what the range constraint on the successor did before).

Transition relation
-------------------
One step is one action, named by a single bit-vector *selector* per step
(``ceil(log2(#actions))`` bits; no one-hot indicators, no exactly-one
constraint).  The relation, built once over placeholders and instantiated
per step by ``substitute``, is

* ``sel <= #actions - 1``;
* per action ``n``: ``sel == n -> guard_n`` (and the range constraints of
  its assignments where needed);
* per variable ``j``: ``next_j == If(sel == a, v_a, If(sel == b, v_b, ...,
  cur_j))`` over only the actions that assign ``j`` -- the shared frame
  condition: a variable no action writes costs one equality per step, not
  one per action.

Each action is already a fused, straight-line block of the task's
statements between scheduling points (lazycheck/kernel/world.py), so a
step of the unrolling is one such block, a switch, or an interrupt step.
:meth:`Encoder.ordered` adds a peephole partial-order reduction between
adjacent steps (:func:`independent_pairs`).

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
from z3.z3 import _to_expr_ref  # type: ignore[import-untyped, unused-ignore]

from lazycheck.system import (
    ActionKind,
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
    free_vars,
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

    ``values[j]`` is state variable ``j`` at this step as a term of the
    encoder's computation width, and ``raw[j]`` the constant it is stored
    in (a bit-vector as narrow as the variable's range allows; the same
    term as ``values[j]`` for Int, or when no narrowing applies).  ``acts``
    holds the step's single action selector, a bit-vector whose value is
    the index of the action fired on the transition that *leaves* this
    step.  ``prefix`` keeps unrollings apart when one context holds
    several (base case and inductive step).
    """

    step: int
    prefix: str
    values: tuple[Any, ...]
    acts: tuple[Any, ...]
    raw: tuple[Any, ...] = ()


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
        """Widen the magnitude bound to cover ``lo..hi``."""
        self.magnitude = max(self.magnitude, abs(lo), abs(hi))

    def of(self, e: Expr) -> tuple[int, int]:
        """The value range of ``e`` over the variables' domains (memoised)."""
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
# Static independence, for the peephole partial-order reduction of BMC.


def independent_pairs(system: System) -> tuple[tuple[int, int], ...]:
    """Pairs ``(a, b)``, ``a > b``, of actions that commute in every state.

    Neither writes a variable the other reads (guard or assigned values)
    or writes, so firing ``a`` then ``b`` is possible exactly when ``b``
    then ``a`` is, and both reach the same state.  The violation variable
    counts like any other: monitors that may fire in both make a pair
    dependent.
    """
    reads: list[frozenset[int]] = []
    writes: list[frozenset[int]] = []
    for action in system.actions:
        r = free_vars(action.guard)
        for u in action.updates:
            free_vars(u.value, r)
        w = frozenset(u.var for u in action.updates)
        reads.append(frozenset(r) | w)
        writes.append(w)
    return tuple((a, b) for a in range(len(writes)) for b in range(a)
                 if not (writes[a] & reads[b] or writes[b] & reads[a]))


def actors(system: System) -> tuple[int, ...]:
    """The actor of each action, as a dense id, for the context encoding.

    A task's own steps and a context switch *to* that task share the task's
    actor (so a context is "switched in, then runs"); an interrupt's arrival
    and its handler's steps share their CPU's interrupt actor.  Actions a
    hand-made system leaves without task and CPU share one actor.  Any
    grouping is sound and complete (a context is one macro step of one
    actor, and a run of one action per macro step is always possible); this
    one keeps each macro step to one thread of control.
    """
    ids: dict[tuple[str, int | None], int] = {}
    out = []
    for a in system.actions:
        if a.kind is ActionKind.SWITCH:
            key: tuple[str, int | None] = ("task", a.other)
        elif a.kind is ActionKind.TASK:
            key = ("task", a.task)
        else:
            key = ("irq", a.cpu)
        out.append(ids.setdefault(key, len(ids)))
    return tuple(out)


# --------------------------------------------------------------------------
# Storage: each variable as narrow a bit-vector as its declared range allows.


@dataclass(frozen=True, slots=True)
class _Storage:
    """How one state variable is stored: ``bits`` wide, unsigned or two's complement."""

    bits: int
    unsigned: bool

    def widen(self, x: Any, width: int) -> Any:
        """``x`` extended to the computation ``width``."""
        if self.bits == width:
            return x
        ext = z3.ZeroExt if self.unsigned else z3.SignExt
        return ext(width - self.bits, x)

    def full(self, lo: int, hi: int) -> bool:
        """Every bit pattern of the storage is a value in ``lo..hi``."""
        span = 1 << self.bits
        if self.unsigned:
            return lo == 0 and hi == span - 1
        return lo == -(span >> 1) and hi == (span >> 1) - 1


def _storage(lo: int, hi: int, width: int) -> _Storage:
    """The narrowest storage for ``lo..hi`` (never wider than ``width``)."""
    if lo >= 0:
        bits = max(hi.bit_length(), 1)
        if bits < width:
            return _Storage(bits, True)
    else:
        bits = max(hi.bit_length(), (-lo - 1).bit_length()) + 1
        if bits <= width:
            return _Storage(bits, False)
    return _Storage(max(width, 1), False)


# --------------------------------------------------------------------------
# The encoder.


class Encoder:
    """Builds z3 terms for one system in a private z3 context.

    A private context per encoder means no z3 state is shared between
    runs (z3's default context is process-global).  The transition
    relation is built once over placeholder constants; each unrolling step
    is a single native ``substitute`` of that template, not a Python
    re-walk of every expression.
    """

    def __init__(self, system: System, sort: SortKind = DEFAULT_SORT,
                 extra: Iterable[Expr] = ()) -> None:
        self.system = system
        self.sort = sort
        self.ctx: Any = z3.Context()
        self.width = bit_width(system, extra) if sort is SortKind.BV else 0
        self._ranges = _Ranges(system)
        self._store = tuple(_storage(v.lo, v.hi, self.width) for v in system.vars)
        self.selector_width = max((len(system.actions) - 1).bit_length(), 1)
        self._cur = self._raw("cur!", "")
        self._nxt = self._raw("nxt!", "")
        self._sel = z3.BitVec("sel!", self.selector_width, self.ctx)
        self._template: Any = None  # built on the first transition(): not every user needs it
        self._order: tuple[Any, Any] | None = None  # built on the first ordered()
        self._context: tuple[Any, Any, Any] | None = None  # on the first context_transition()
        self._vals: dict[int, Any] = {}

    def interrupt(self) -> None:
        """Stop the z3 call now running in this encoder's context (it answers unknown)."""
        self.ctx.interrupt()

    # --- primitives ------------------------------------------------------

    def _raw(self, prefix: str, suffix: str) -> tuple[Any, ...]:
        """One stored constant per state variable, named ``<prefix><j><suffix>``."""
        if self.sort is SortKind.INT:
            return tuple(z3.Int(f"{prefix}{j}{suffix}", self.ctx)
                         for j in range(len(self.system.vars)))
        return tuple(z3.BitVec(f"{prefix}{j}{suffix}", st.bits, self.ctx)
                     for j, st in enumerate(self._store))

    def _views(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """The stored constants widened to the computation width."""
        if self.sort is SortKind.INT:
            return tuple(raw)
        return tuple(st.widen(x, self.width) for x, st in zip(raw, self._store, strict=True))

    def _narrow(self, j: int, value: Any) -> Any:
        """A computation-width ``value`` as variable ``j`` stores it (exact when in range)."""
        if self.sort is SortKind.INT or self._store[j].bits == self.width:
            return value
        return z3.Extract(self._store[j].bits - 1, 0, value)

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
        return parts[0] if len(parts) == 1 else _nary(z3.Z3_mk_and, parts)

    def _or(self, parts: Sequence[Any]) -> Any:
        if not parts:
            return self._bool(False)
        return parts[0] if len(parts) == 1 else _nary(z3.Z3_mk_or, parts)

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
        """Fresh constants for state ``step`` and its outgoing action selector."""
        raw = tuple(self._const_named(f"{prefix}s{step}_{v.name}#{j}", j)
                    for j, v in enumerate(self.system.vars))
        sel = z3.BitVec(f"{prefix}sel_{step}", self.selector_width, self.ctx)
        return StepVars(step, prefix, self._views(raw), (sel,), raw)

    def _const_named(self, name: str, j: int) -> Any:
        if self.sort is SortKind.BV:
            return z3.BitVec(name, self._store[j].bits, self.ctx)
        return z3.Int(name, self.ctx)

    def domain(self, at: StepVars) -> Formula:
        """Every variable of ``at`` lies in its declared range."""
        parts = []
        for x, raw, v, st in zip(at.values, at.raw, self.system.vars, self._store,
                                 strict=True):
            if v.lo == v.hi:
                parts.append(_eq(x, self._val(v.lo)))
            elif self.sort is SortKind.BV and st.full(v.lo, v.hi):
                continue  # every stored bit pattern is in range
            elif self.sort is SortKind.BV and st.unsigned:
                if v.lo > 0:
                    parts.append(z3.UGE(raw, z3.BitVecVal(v.lo, st.bits, self.ctx)))
                parts.append(z3.ULE(raw, z3.BitVecVal(v.hi, st.bits, self.ctx)))
            else:
                parts.append(x >= self._val(v.lo))
                parts.append(x <= self._val(v.hi))
        return Formula(self._and(parts))

    def initial(self, at: StepVars) -> Formula:
        """``at`` is the system's initial state."""
        return Formula(self._and([_eq(x, self._val(v))
                                  for x, v in zip(at.values, self.system.init, strict=True)]))

    def transition(self, pre: StepVars, post: StepVars) -> Formula:
        """One step ``pre -> post``: the selected action fires, no stuttering.

        The selector of ``pre`` names exactly one action; its guard holds on
        ``pre`` and ``post`` is its parallel assignment (variables it does
        not assign keep their value).  With no actions the relation is false.
        """
        if self._template is None:
            self._template = self._transition_template()
        pairs = [*zip(self._cur, pre.raw, strict=True),
                 *zip(self._nxt, post.raw, strict=True), (self._sel, pre.acts[0])]
        return Formula(z3.substitute(self._template, *pairs))

    def _transition_template(self) -> Any:
        """The step relation over the placeholders: one selector, shared frame conditions.

        Each next-state variable is one ``If`` chain over the actions that
        write it (the frame condition is its default, the current value),
        so a variable no action writes costs one equality, and the guards
        are one implication per action from the selector's value.
        """
        if not self.system.actions:
            return self._bool(False)
        return self._relation(self._sel, len(self.system.actions) - 1, None)

    def _relation(self, sel: Any, top: int, actor: Any | None) -> Any:
        """``sel <= top``; ``sel == n`` fires action ``n`` (any other value: no change).

        With ``actor`` (the context encoding), action ``n`` also requires
        ``actor == actor_of(n)`` (:func:`actors`).
        """
        actions = self.system.actions
        width = sel.size()
        tr = _Translate(self, self._views(self._cur))
        parts = []
        if top < 2 ** width - 1:
            parts.append(z3.ULE(sel, z3.BitVecVal(top, width, self.ctx)))
        picks = [_eq(sel, z3.BitVecVal(n, width, self.ctx)) for n in range(len(actions))]
        owner = actors(self.system)
        writers: dict[int, list[tuple[int, Any]]] = {}
        for n, action in enumerate(actions):
            body = [tr.bool_(action.guard)]
            if actor is not None:
                body.append(_eq(actor, z3.BitVecVal(owner[n], actor.size(), self.ctx)))
            assigned: dict[int, Expr] = {}
            for u in action.updates:  # later assignments win, as in semantics.step
                assigned[u.var] = u.value
            for j, value in assigned.items():
                term = tr.int_(value)
                body.extend(self._fits(j, value, term))
                writers.setdefault(j, []).append((n, self._narrow(j, term)))
            parts.append(_implies(picks[n], self._and(body)))
        for j, (cur, nxt) in enumerate(zip(self._cur, self._nxt, strict=True)):
            acc = cur
            for n, term in reversed(writers.get(j, [])):
                acc = _ite(picks[n], term, acc)
            parts.append(_eq(nxt, acc))
        return self._and(parts)

    def _fits(self, j: int, value: Expr, term: Any) -> list[Any]:
        """The range constraint of an assignment to ``j`` whose value may leave the range."""
        v = self.system.vars[j]
        lo, hi = self._ranges.of(value)
        out = []
        if lo < v.lo:
            out.append(term >= self._val(v.lo))
        if hi > v.hi:
            out.append(term <= self._val(v.hi))
        return out

    def ordered(self, first: StepVars, second: StepVars) -> Formula:
        """The actions leaving ``first`` and then ``second`` are not a swappable inversion.

        Peephole partial-order reduction: when two adjacent actions are
        :func:`independent_pairs`, only the order with the lower index
        first is kept.  The lexicographically least word of every class of
        equivalent runs has no such inversion, and it has the same length
        and the same final state, so a path from the initial state to a
        state exists at depth ``k`` with the constraint iff it exists
        without (not so from an arbitrary state: not for induction steps).
        """
        if self._order is None:
            later = z3.BitVec("sel2!", self.selector_width, self.ctx)
            banned: dict[int, list[int]] = {}
            for a, b in independent_pairs(self.system):
                banned.setdefault(a, []).append(b)
            parts = [_implies(_eq(self._sel, self._sel_val(a)),
                              self._and([_ne(later, self._sel_val(b)) for b in bs]))
                     for a, bs in sorted(banned.items())]
            self._order = (later, self._and(parts))
        later, template = self._order
        return Formula(z3.substitute(template, (self._sel, first.acts[0]),
                                     (later, second.acts[0])))

    # --- the context (macro-step) encoding -------------------------------

    @property
    def context_width(self) -> int:
        """Bits of a context selector: an action index, or :attr:`stop` (no more steps)."""
        return max(len(self.system.actions).bit_length(), 1)

    @property
    def stop(self) -> int:
        """The context selector's value for "this context has ended" (a stutter)."""
        return len(self.system.actions)

    def context_vars(self, step: int, sub: int) -> StepVars:
        """Fresh constants for micro-step ``sub`` of context ``step`` and its selector."""
        raw = tuple(self._const_named(f"c{step}.{sub}_{v.name}#{j}", j)
                    for j, v in enumerate(self.system.vars))
        sel = z3.BitVec(f"csel_{step}.{sub}", self.context_width, self.ctx)
        return StepVars(step, f"c{sub}_", self._views(raw), (sel,), raw)

    def context_actor(self, step: int) -> Term:
        """A fresh constant naming the actor (:func:`actors`) that runs context ``step``."""
        width = max((max(actors(self.system), default=0)).bit_length(), 1)
        return Term(z3.BitVec(f"actor_{step}", width, self.ctx))

    def context_transition(self, pre: StepVars, post: StepVars, actor: Term) -> Formula:
        """One micro-step of a context: an action of ``actor``, or a stutter once stopped.

        The same template as :meth:`transition` (built once, instantiated by
        ``substitute``) with a selector one value wider: :attr:`stop` fires
        nothing and leaves the state unchanged.
        """
        if self._context is None:
            sel = z3.BitVec("csel!", self.context_width, self.ctx)
            act = z3.BitVec("actor!", actor.z.size(), self.ctx)
            self._context = (sel, act, self._relation(sel, self.stop, act))
        sel, act, template = self._context
        pairs = [*zip(self._cur, pre.raw, strict=True), *zip(self._nxt, post.raw, strict=True),
                 (sel, pre.acts[0]), (act, actor.z)]
        return Formula(z3.substitute(template, *pairs))

    def stopped(self, at: StepVars) -> Formula:
        """The context selector of ``at`` is :attr:`stop`."""
        return Formula(_eq(at.acts[0], z3.BitVecVal(self.stop, self.context_width, self.ctx)))

    def steps_at_most(self, subs: Sequence[StepVars], limit: int) -> Formula:
        """At most ``limit`` of the context selectors ``subs`` fire an action."""
        width = max((len(subs) + 1).bit_length(), limit.bit_length(), 1) + 1
        one, zero = z3.BitVecVal(1, width, self.ctx), z3.BitVecVal(0, width, self.ctx)
        total = zero
        for at in subs:
            total = total + _ite(self.stopped(at).z, zero, one)
        return Formula(z3.ULE(total, z3.BitVecVal(limit, width, self.ctx)))

    def _sel_val(self, n: int) -> Any:
        return z3.BitVecVal(n, self.selector_width, self.ctx)

    def fired(self, at: StepVars, action: int) -> Formula:
        """Action ``action`` fires on the transition leaving ``at``."""
        sel = at.acts[0]
        return Formula(_eq(sel, z3.BitVecVal(action, sel.size(), self.ctx)))

    def selected(self, at: StepVars) -> Term:
        """The index of the action fired on the transition leaving ``at``, as a term."""
        return Term(z3.ZeroExt(1, at.acts[0]))

    def within(self, at: StepVars, var: int, values: Iterable[int]) -> Formula:
        """Variable ``var`` of ``at`` takes one of ``values``."""
        x = at.values[var]
        return Formula(self._or([_eq(x, self._val(v)) for v in sorted(values)]))

    def violated(self, at: StepVars) -> Formula:
        """The violation variable is non-zero at ``at``."""
        return Formula(_ne(at.values[self.system.violation_var], self._val(0)))

    def distinct(self, a: StepVars, b: StepVars) -> Formula:
        """The two steps hold different states (for simple-path constraints)."""
        return Formula(self._or([_ne(x, y) for x, y in zip(a.raw, b.raw, strict=True)]))

    def value(self, at: StepVars, var: int) -> Term:
        """The z3 term of state variable ``var`` at step ``at`` (computation width)."""
        return Term(at.values[var])

    # --- Boolean combinators for engines ---------------------------------

    def all_of(self, parts: Iterable[Formula]) -> Formula:
        """The conjunction of ``parts`` (true when empty)."""
        return Formula(self._and([p.z for p in parts]))

    def any_of(self, parts: Iterable[Formula]) -> Formula:
        """The disjunction of ``parts`` (false when empty)."""
        return Formula(self._or([p.z for p in parts]))

    def negate(self, f: Formula) -> Formula:
        """The negation of ``f``."""
        return Formula(_not(f.z))

    def implies(self, a: Formula, b: Formula) -> Formula:
        """``a`` implies ``b``."""
        return Formula(_implies(a.z, b.z))

    def equal(self, a: Term, b: Term) -> Formula:
        """The two terms (of one sort) are equal."""
        return Formula(_eq(a.z, b.z))

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
        """The z3 integer term of ``e`` (memoised by node)."""
        hit = self._ints.get(id(e))
        if hit is not None:
            return hit[1]
        z = self._int(e)
        self._ints[id(e)] = (e, z)
        return z

    def bool_(self, e: Expr) -> Any:
        """The z3 Boolean formula of ``e`` (memoised by node)."""
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
                    acc = _ite(_eq(idx, enc._val(k)), cells[k], acc)
                return acc
            case Binary(op=BinOp.ADD, left=a, right=b):
                return self.int_(a) + self.int_(b)
            case Binary(op=BinOp.SUB, left=a, right=b):
                return self.int_(a) - self.int_(b)
            case Ite(cond=c, then=t, other=o):
                return _ite(self.bool_(c), self.int_(t), self.int_(o))
            case Wrap(arg=a, lo=lo, hi=hi):
                return self._wrap(a, lo, hi)
            case Not() | Binary():
                return _ite(self.bool_(e), enc._val(1), enc._val(0))
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
            acc = _ite(arg <= enc._val(lo + (q + 1) * width - 1), shifted, acc)
        return acc

    def _bool(self, e: Expr) -> Any:
        enc = self._enc
        match e:
            case Const(value=v):
                return enc._bool(v != 0)
            case Not(arg=a):
                return _not(self.bool_(a))
            case Binary(op=BinOp.AND, left=a, right=b):
                return _nary(z3.Z3_mk_and, [self.bool_(a), self.bool_(b)])
            case Binary(op=BinOp.OR, left=a, right=b):
                return _nary(z3.Z3_mk_or, [self.bool_(a), self.bool_(b)])
            case Binary(op=op, left=a, right=b) if op in _COMPARISONS:
                return _compare(op, self.int_(a), self.int_(b))
            case Ite(cond=c, then=t, other=o):
                return _ite(self.bool_(c), self.bool_(t), self.bool_(o))
        return _ne(self.int_(e), enc._val(0))


def _compare(op: BinOp, a: Any, b: Any) -> Any:
    """Signed comparison (z3py's ``<`` on bit-vectors is the signed one)."""
    match op:
        case BinOp.EQ:
            return _eq(a, b)
        case BinOp.NE:
            return _ne(a, b)
        case BinOp.LT:
            return a < b
        case BinOp.LE:
            return a <= b
        case BinOp.GT:
            return a > b
        case BinOp.GE:
            return a >= b
    raise AssertionError(op)


# The z3 Python API checks and coerces the sorts of every argument of If, ==,
# And, Or, Not and Implies; building the step relation of a 70-action model
# spent most of its time there (measured: If alone 2.1 s of 8.6 s under the
# profiler).  These build the same terms through the C API (the arguments
# share a sort by construction), as lazycheck/smt/induction.py does.


def _ite(c: Any, a: Any, b: Any) -> Any:
    """``If(c, a, b)``."""
    ctx = a.ctx
    return _to_expr_ref(z3.Z3_mk_ite(ctx.ref(), c.as_ast(), a.as_ast(), b.as_ast()), ctx)


def _eq(a: Any, b: Any) -> Any:
    """``a == b``."""
    return z3.BoolRef(z3.Z3_mk_eq(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _ne(a: Any, b: Any) -> Any:
    """``a != b``."""
    return _not(_eq(a, b))


def _not(a: Any) -> Any:
    """``Not(a)``."""
    return z3.BoolRef(z3.Z3_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)


def _implies(a: Any, b: Any) -> Any:
    """``Implies(a, b)``."""
    return z3.BoolRef(z3.Z3_mk_implies(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _nary(mk: Any, parts: Sequence[Any]) -> Any:
    """``And``/``Or`` (``mk``) of two or more Booleans."""
    ctx = parts[0].ctx
    arr = (z3.Ast * len(parts))(*(p.as_ast() for p in parts))
    return z3.BoolRef(mk(ctx.ref(), len(parts), arr), ctx)
