"""Inductiveness queries for candidate invariants (Houdini, and certificate re-checks).

A candidate invariant is a conjunction of :class:`~lazycheck.system.Expr`
clauses over one state.  :class:`InductionQuery` asserts, once, the
transition ``s -> s'`` and each clause at ``s`` behind its own assumption
literal; asking "may some live clause be false at ``s'``?" is then one
``check`` under the live literals.  A model is a counterexample to
induction (CTI): a state ``s`` satisfying every live clause (it need not be
reachable) whose successor breaks one.  The caller evaluates the clauses on
the successor concretely and drops the broken ones (Houdini's loop); UNSAT
means the live clauses are inductive together.

:func:`check_invariant` re-checks a finished invariant from scratch
(initiation, consecution, safety) for ``lazycheck check-proof``.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.smt.encode import Encoder, Formula, StepVars
from lazycheck.smt.solver import Check, SmtSolver, Status
from lazycheck.system import Clause, System

State = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Cti:
    """A counterexample to induction: ``pre`` satisfies the clauses, ``action`` breaks one.

    The caller computes the successor with the concrete semantics, which
    also checks the encoding against it.
    """

    pre: State
    action: int


@dataclass(frozen=True, slots=True)
class Answer:
    """UNSAT (inductive), SAT with a CTI, or UNKNOWN with z3's reason."""

    status: Status
    cti: Cti | None = None
    reason: str = ""


@dataclass(slots=True)
class _ActionQuery:
    """Per action: its guard, its assigned terms, and the post-state clauses built so far."""

    guard: Formula
    terms: dict[int, Any]
    atoms: dict[Any, Any] = field(default_factory=dict)
    broken: dict[int, Any] = field(default_factory=dict)
    touched: list[int] | None = None  # clauses reading a variable the action writes


class _PreState:
    """A system's pre-state in one solver, with what both queries below build once and
    share: an atom ``x == c`` per variable and value, and each action's guard and
    assigned terms."""

    def __init__(self, system: System, prefix: str) -> None:
        self.system = system
        self.enc = Encoder(system)
        self.pre = self.enc.step_vars(0, prefix=prefix)
        self.solver = SmtSolver(self.enc)
        self.solver.add(self.enc.domain(self.pre))
        self._atoms: dict[tuple[int, int], Any] = {}
        self._per_action: dict[int, _ActionQuery] = {}

    def _pre_atom(self, var: int, value: int) -> Any:
        hit = self._atoms.get((var, value))
        if hit is None:
            hit = self._atoms[var, value] = _eq(self.pre.values[var], self.enc._val(value))
        return hit

    def _action(self, n: int) -> _ActionQuery:
        """Action ``n``'s guard and assigned terms (built once, on first use)."""
        hit = self._per_action.get(n)
        if hit is None:
            a = self.system.actions[n]
            env = {u.var: u.value for u in a.updates}  # later assignments win
            terms = self.enc.terms(list(env.values()), self.pre)
            hit = self._per_action[n] = _ActionQuery(
                self.enc.cond(a.guard, self.pre),
                {j: t.z for j, t in zip(env, terms, strict=True)})
        return hit


def _clause_formula(c: Clause, atom: Callable[[int, int], Any]) -> Any:
    """``when -> var in values`` as a disjunction of ``atom``s."""
    parts = [_not(atom(w, a)) for w, a in c.when]
    parts += [atom(c.var, v) for v in c.values]
    return _or(parts)


class InductionQuery(_PreState):
    """Each candidate clause at the pre-state behind a literal; one query per action.

    A clause that reads no variable an action writes is kept by that action
    for free (the frame condition), so the query for action ``n`` only asks
    whether the clauses over ``n``'s written variables can break: the guard
    of ``n`` at ``s`` and the negation of those clauses with ``n``'s
    assigned terms in place of the written variables.  No post-state
    constants, no disjunction over actions: many small queries.

    Clauses are built from shared atoms ``x == c`` (one z3 term per variable
    and value, per action for the written ones), not by translating each
    clause's expression: with thousands of clauses the z3 Python API's term
    construction, not the solver, was the cost (measured: 80% of the time).
    """

    def __init__(self, system: System, clauses: Sequence[Clause]) -> None:
        super().__init__(system, "h_")
        self.clauses = tuple(clauses)
        self.reads = [{c.var, *(w for w, _ in c.when)} for c in clauses]
        self.lits: list[Formula] = []
        for i in range(len(self.clauses)):
            self._assert(i)
        self._alive_key: frozenset[int] = frozenset()
        self._alive_lits: list[Formula] = []

    def _assert(self, i: int) -> None:
        lit = self.enc.literal(f"cand!{i}")
        self.lits.append(lit)
        clause = _clause_formula(self.clauses[i], self._pre_atom)
        self.solver.add(Formula(_or([_not(lit.z), clause])))

    def add(self, clause: Clause) -> int:
        """A new candidate clause (e.g. one blocking a CTI); returns its index."""
        self.clauses = (*self.clauses, clause)
        self.reads.append({clause.var, *(w for w, _ in clause.when)})
        i = len(self.clauses) - 1
        self._assert(i)
        for q in self._per_action.values():
            if q.touched is not None and not self.reads[i].isdisjoint(q.terms):
                q.touched.append(i)
        return i

    def _broken(self, q: _ActionQuery, i: int) -> Any:
        """Clause ``i`` (which reads a variable ``q`` writes) false after ``q``'s action."""
        got = q.broken.get(i)
        if got is None:
            post = _clause_formula(self.clauses[i], lambda v, a: self._post_atom(q, v, a))
            got = q.broken[i] = _not(post)
        return got

    def _post_atom(self, q: _ActionQuery, var: int, value: int) -> Any:
        if var not in q.terms:
            return self._pre_atom(var, value)
        got = q.atoms.get((var, value))
        if got is None:
            got = q.atoms[var, value] = _eq(q.terms[var], self.enc._val(value))
        return got

    def counterexample(self, n: int, alive: frozenset[int], timeout_s: float) -> Answer:
        """A state satisfying the ``alive`` clauses that action ``n`` takes out of one of them."""
        q = self._action(n)
        if q.touched is None:
            q.touched = [i for i, r in enumerate(self.reads) if not r.isdisjoint(q.terms)]
        live = [self._broken(q, i) for i in q.touched if i in alive]
        if not live:
            return Answer(Status.UNSAT)
        if alive is not self._alive_key:  # the same set is asked about for many actions
            self._alive_key, self._alive_lits = alive, [self.lits[i] for i in sorted(alive)]
        with self.solver.frame():
            self.solver.add(q.guard, Formula(_or(live)))
            got = self.solver.check(*self._alive_lits, timeout_s=timeout_s)
        return _answer(self.enc, self.pre, got, n)


def _answer(enc: Encoder, pre: StepVars, got: Check, n: int) -> Answer:
    """A check's answer; on SAT, the model's pre-state as a CTI of action ``n``."""
    if got.status is not Status.SAT:
        return Answer(got.status, reason=got.reason)
    assert got.model is not None
    values = tuple(got.model.value(enc.value(pre, j)) for j in range(len(enc.system.vars)))
    return Answer(Status.SAT, Cti(values, n))


class GrowingQuery(_PreState):
    """Inductiveness of a clause set that only grows (strengthening): no assumptions.

    Every clause is asserted outright at the pre-state.  Per action, as in
    :class:`InductionQuery`, only the clauses reading a variable it writes
    can break, each with the action's assigned terms in place of the
    written variables (built once per clause and action, on first use).  A
    query "may action ``n`` break one of ``among``?" asserts ``n``'s guard
    and the disjunction of those broken clauses behind a fresh literal,
    checks it, then retracts it for good by asserting the literal false: no
    ``pop`` and no assumption per clause, so z3 keeps what it learnt.
    (Measured against one shared post-state with a ``bad`` literal per
    clause: that builds fewer terms but z3 took twice as long per check.)
    """

    def __init__(self, system: System, clauses: Sequence[Clause]) -> None:
        super().__init__(system, "g_")
        self.clauses: tuple[Clause, ...] = ()
        self.reads: list[set[int]] = []
        self._asked = 0
        for c in clauses:
            self.add(c)

    def add(self, clause: Clause) -> int:
        """Assert a new clause at the pre-state; returns its index."""
        i = len(self.clauses)
        self.clauses = (*self.clauses, clause)
        self.reads.append({clause.var, *(w for w, _ in clause.when)})
        self.solver.add(Formula(_clause_formula(clause, self._pre_atom)))
        return i

    def _broken(self, q: _ActionQuery, i: int) -> Any:
        """Clause ``i`` false after ``q``'s action: ``when`` holds and the value is outside.

        Built as one conjunction of (negated) cached atoms: with thousands
        of clauses per action, the z3 wrappers of intermediate terms were
        the cost (measured: 3 of 17 s on arm64-g3, under load).
        """
        got = q.broken.get(i)
        if got is None:
            c = self.clauses[i]
            parts = [self._post(q, w, a, True) for w, a in c.when]
            parts += [self._post(q, c.var, v, False) for v in c.values]
            got = q.broken[i] = _and(parts)
        return got

    def _post(self, q: _ActionQuery, var: int, value: int, positive: bool) -> Any:
        """The atom ``var == value`` (or its negation) after ``q``'s action, cached."""
        key = (var, value, positive)
        hit = q.atoms.get(key)
        if hit is None:
            atom = (_eq(q.terms[var], self.enc._val(value)) if var in q.terms
                    else self._pre_atom(var, value))
            hit = q.atoms[key] = atom if positive else _not(atom)
        return hit

    def touches(self, n: int, i: int) -> bool:
        """Whether clause ``i`` reads a variable action ``n`` writes (else ``n`` keeps it)."""
        return not self.reads[i].isdisjoint(self._action(n).terms)

    def breaks(self, n: int, among: Sequence[int], timeout_s: float) -> Answer:
        """A state satisfying every clause that action ``n`` takes out of one of ``among``."""
        q = self._action(n)
        live = [self._broken(q, i) for i in among if not self.reads[i].isdisjoint(q.terms)]
        if not live:
            return Answer(Status.UNSAT)
        self._asked += 1
        ask = self.enc.literal(f"ask!{self._asked}").z
        self.solver.add(Formula(_or([_not(ask), q.guard.z])), Formula(_or([_not(ask), *live])))
        got = self.solver.check(Formula(ask), timeout_s=timeout_s)
        self.solver.add(Formula(_not(ask)))
        return _answer(self.enc, self.pre, got, n)


# The z3 Python API checks and coerces the sorts of every argument; over
# thousands of clauses that was most of the run time.  These build the same
# terms through the C API directly (all arguments are Booleans or share one
# sort by construction).

def _eq(a: Any, b: Any) -> Any:
    return z3.BoolRef(z3.Z3_mk_eq(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _not(a: Any) -> Any:
    return z3.BoolRef(z3.Z3_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)


def _and(parts: Sequence[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    ctx = parts[0].ctx
    arr = (z3.Ast * len(parts))(*(p.as_ast() for p in parts))
    return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(parts), arr), ctx)


def _or(parts: Sequence[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    ctx = parts[0].ctx
    arr = (z3.Ast * len(parts))(*(p.as_ast() for p in parts))
    return z3.BoolRef(z3.Z3_mk_or(ctx.ref(), len(parts), arr), ctx)


def _consecution(enc: Encoder, pre: StepVars, post: StepVars, inv_pre: list[Formula],
                 inv_post: list[Formula], timeout_s: float) -> tuple[Status, Cti | None]:
    """One solver over the whole transition relation, asked once per action.

    The query is the same for every action; assuming the action's ``fired``
    literal only splits the search (measured: faster than one check over the
    disjunction of all actions).  SAT on any action is a CTI; UNKNOWN on
    any (and SAT on none) is UNKNOWN.
    """
    start = time.monotonic()
    step = SmtSolver(enc)
    step.add(enc.domain(pre), *inv_pre, enc.transition(pre, post),
             enc.any_of([enc.negate(f) for f in inv_post]))
    status = Status.UNSAT
    for n in range(len(enc.system.actions)):
        got = step.check(enc.fired(pre, n), timeout_s=timeout_s - (time.monotonic() - start))
        if got.model is not None:
            state = tuple(got.model.value(enc.value(pre, j))
                          for j in range(len(enc.system.vars)))
            return Status.SAT, Cti(state, n)
        if got.status is Status.UNKNOWN:
            status = Status.UNKNOWN
    return status, None


class Obligation(enum.Enum):
    """The three things an inductive invariant certificate must satisfy."""

    INITIATION = "the initial state satisfies the invariant"
    CONSECUTION = "every step from a state satisfying the invariant keeps it"
    SAFETY = "no state satisfying the invariant violates a property"


@dataclass(frozen=True, slots=True)
class Recheck:
    """The outcome of :func:`check_invariant`: every obligation's status, and a CTI if one fails."""

    results: tuple[tuple[Obligation, Status], ...]
    cti: Cti | None = None
    broken: tuple[int, ...] = ()  # clauses the CTI's step breaks (filled in by the engine)

    @property
    def holds(self) -> bool:
        """Every obligation was proved (UNSAT)."""
        return all(s is Status.UNSAT for _, s in self.results)


def check_invariant(system: System, clauses: Sequence[Clause], timeout_s: float) -> Recheck:
    """Re-check initiation, consecution and safety of the conjunction of ``clauses``.

    Deliberately shares nothing with :class:`InductionQuery` beyond the
    encoder's expression translation: each clause is translated from its
    :meth:`Clause.expr`, and consecution is asked of the whole transition
    relation (``Encoder.transition``, the one BMC uses, with every frame
    condition spelt out), so a bug in Houdini's per-action frame shortcut
    or its blocking clauses cannot certify itself.
    """
    enc = Encoder(system)
    pre, post = enc.step_vars(0, prefix="c_"), enc.step_vars(1, prefix="c_")
    exprs = [c.expr() for c in clauses]
    inv_pre, inv_post = enc.conds(exprs, pre), enc.conds(exprs, post)
    out = []
    init = SmtSolver(enc)
    init.add(enc.initial(pre), enc.any_of([enc.negate(f) for f in inv_pre]))
    out.append((Obligation.INITIATION, init.check(timeout_s=timeout_s).status))
    status, cti = _consecution(enc, pre, post, inv_pre, inv_post, timeout_s)
    out.append((Obligation.CONSECUTION, status))
    safe = SmtSolver(enc)
    safe.add(enc.domain(pre), *inv_pre, enc.violated(pre))
    out.append((Obligation.SAFETY, safe.check(timeout_s=timeout_s).status))
    return Recheck(tuple(out), cti)
