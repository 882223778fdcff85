"""``--engine houdini``: a proof from invariants mined on the reachable states.

1. **Explore.**  Breadth-first search collects every reachable state of the
   configuration (the explicit engine's space).  A reachable violation, or
   a space too large for the limits, is handed to the explicit engine,
   whose result (shortest trace, or UNKNOWN) is returned unchanged.
2. **Mine** (Daikon style).  Candidate clauses that hold on every
   reachable state: each variable's set of values (``x in {..}``), and
   for every control variable ``x`` (a pc, ``curr[cpu]``, ``cpu_of[task]``:
   who runs where, at which statement) and every value ``a`` of it,
   ``x == a -> y in S`` where ``S`` is the set of values ``y`` takes in
   the reachable states with ``x == a`` (kept only when ``S`` is smaller
   than ``y``'s own set).  A task's counters and flags against its pc, a
   CPU's lazy mode against who is current, queue contents against pcs
   are all such pairs.  (Antecedents over every variable, and pairs of
   control antecedents, are available: ``mine(antecedents=None,
   relational=True)``; measured, they made 2-4x more candidates and the
   proofs slower, not stronger, since step 3 adds what is missing.)
3. **Strengthen** (:func:`strengthen`).  Every candidate is true on every
   reachable state, so a counterexample to induction (CTI) of their
   conjunction -- a state satisfying all of them whose successor breaks
   one -- is unreachable.  It is *blocked*, not answered by dropping
   clauses: its cube of literals is generalised against the reachable
   states (drop literals while no reachable state matches the rest) and
   turned into the clause "the other literals -> this variable takes the
   values it takes in the reachable states matching them", for the
   variable that excludes the most values (:meth:`Reach.block`).  Such a
   clause is true on every reachable state too, so the set only grows and
   converges (at worst to the reachable set itself).  z3 is asked per
   action, only about clauses the action writes a variable of and has not
   yet been shown to keep (:class:`~lazycheck.smt.induction.GrowingQuery`).
4. **Verdict.**  The clause ``violation in {0}`` is a candidate; when the
   set is inductive it holds initially, is kept by every step, and implies
   every property: PASS, *proved* (for every depth of this configuration),
   with the invariant as the result's certificate.  Otherwise (time out)
   the space is still exhausted: PASS exhausted, not proved, and the
   result's ``reason`` says why.

Plain Houdini (:func:`houdini`: drop the clauses a CTI breaks until the
rest is inductive, the strongest inductive subset) is kept for callers
that want a subset of their own candidates, e.g. generalised clauses
whose truth on the reachable states is not known.

For other engines (e.g. parametric proofs) the miner's API is:
:func:`explore` (the reachable states), :class:`Reach` (them indexed
per variable and value), :func:`mine` (candidates true on them),
:func:`control_vars`, :func:`strengthen` and :func:`houdini`; a
:class:`~lazycheck.system.Clause` is ``when (conjunction of var == value)
-> var in values`` over the flattened system's variable indices.

The invariant is a statement about this configuration (CPUs, tasks,
preemption model, bounds); :mod:`lazycheck.views.proof` prints it in kernel
terms and ``lazycheck check-proof`` re-checks it with z3 from scratch.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import ReplayError
from lazycheck.outcome import Limits, Result, Stats, Verdict
from lazycheck.semantics import Semantics, State, compile_expr
from lazycheck.smt.induction import (
    Cti,
    GrowingQuery,
    InductionQuery,
    Recheck,
    check_invariant,
)
from lazycheck.smt.solver import Status
from lazycheck.system import Clause, System, VarKind

_DIGIT = tuple(bytes(0x31 if i == k else 0x30 for i in range(256)) for k in range(256))


@dataclass(frozen=True, slots=True)
class Space:
    """Every reachable state of a system, and what the exploration exercised."""

    states: tuple[State, ...]
    transitions: int
    depth: int
    fired: frozenset[int]
    witnessed: frozenset[str]


def explore(system: System, limits: Limits) -> Space | None:
    """All reachable states, or None on a violation or when a limit is hit."""
    sem = Semantics(system)
    witnesses = [(i, compile_expr(e), label) for i, e, label in system.witness_points()]
    seen = {system.init: None}
    frontier, depth, transitions = [system.init], 0, 0
    fired: set[int] = set()
    witnessed: set[str] = set()
    start = time.monotonic()
    if sem.violation(system.init):
        return None
    while frontier:
        nxt = []
        for state in frontier:
            for w_idx, w_fn, label in witnesses:
                if label not in witnessed and w_fn(state) and sem.enabled(state, w_idx):
                    witnessed.add(label)
            for idx, succ in sem.successors(state):
                transitions += 1
                fired.add(idx)
                if succ not in seen:
                    if sem.violation(succ):
                        return None
                    seen[succ] = None
                    nxt.append(succ)
        if (len(seen) > limits.max_states or depth >= limits.bound
                or time.monotonic() - start > limits.timeout_s):
            return None
        frontier = nxt
        depth += 1 if frontier else 0
    return Space(tuple(seen), transitions, depth, frozenset(fired), frozenset(witnessed))


def mine(system: System, states: Sequence[State], relational: bool = False,
         reach: Reach | None = None, antecedents: Collection[int] | None = None
         ) -> list[Clause]:
    """Candidate clauses true on every state of ``states`` (see the module docstring).

    ``relational`` adds clauses with two-literal antecedents over the control
    variables (pcs, ``curr``, ``cpu_of``): ``x == a && y == b -> z in S``,
    kept only where ``S`` is smaller than what the two pairwise clauses give.
    ``reach``, if given, must index ``states`` (it saves building the masks twice).
    ``antecedents`` restricts the variables that may appear left of ``->``
    (default: every variable); :func:`control_vars` is the engine's choice.
    """
    index = Reach(states) if reach is None else reach
    values = index.values
    out = [Clause(j, vs) for j, vs in enumerate(values)
           if len(vs) < system.vars[j].hi - system.vars[j].lo + 1
           or j == system.violation_var]
    varying = [j for j, vs in enumerate(values) if 1 < len(vs) <= 256]
    masks = {j: index.masks[j] for j in varying}
    pair: dict[tuple[int, int, int], tuple[int, ...]] = {}
    for x in varying if antecedents is None else [j for j in varying if j in antecedents]:
        for a, mx in masks[x].items():
            for y in varying:
                if y != x:
                    pair[x, a, y] = sub = _seen(mx, masks[y])
                    if len(sub) < len(values[y]):
                        out.append(Clause(y, sub, ((x, a),)))
    if relational:
        ctl = [j for j in varying if _is_control(system, j)]
        for i, x in enumerate(ctl):
            for y in ctl[i + 1:]:
                out.extend(_relational(x, y, varying, masks, pair))
    return out


def _seen(mask: int, of: dict[int, int]) -> tuple[int, ...]:
    """The values (keys of ``of``) taken in some state of ``mask``."""
    return tuple(b for b, m in of.items() if mask & m)


def control_vars(system: System) -> frozenset[int]:
    """Pcs, ``curr`` and ``cpu_of``: who runs where, at which statement."""
    return frozenset(j for j in range(len(system.vars)) if _is_control(system, j))


def _is_control(system: System, j: int) -> bool:
    """Pcs, ``curr`` and ``cpu_of``: the variables that say who runs where, at which statement."""
    v = system.vars[j]
    return v.kind is VarKind.PC or v.name.startswith(("curr[", "cpu_of["))


def _relational(x: int, y: int, varying: list[int], masks: dict[int, dict[int, int]],
                pair: dict[tuple[int, int, int], tuple[int, ...]]) -> list[Clause]:
    out = []
    for a, mx in masks[x].items():
        for b, my in masks[y].items():
            both = mx & my
            if not both:
                continue
            for z in varying:
                if z in (x, y):
                    continue
                sub = _seen(both, masks[z])
                base = set(pair[x, a, z]) & set(pair[y, b, z])
                if len(sub) < len(base):
                    out.append(Clause(z, sub, ((x, a), (y, b))))
    return out


def _masks(col: Sequence[int], vals: tuple[int, ...]) -> list[int]:
    """Per value of ``vals``: an int with bit ``i`` set iff ``col[i]`` is that value.

    One bit per state (not one byte): cube queries AND these masks many
    times, so their size is the cost.  Built in C: the column's ordinals as
    bytes, translated to ``"0"``/``"1"`` digits, read as a binary number.
    """
    ordinal = {v: k for k, v in enumerate(vals)}
    packed = bytes(map(ordinal.__getitem__, reversed(col)))
    return [int(packed.translate(_DIGIT[k]), 2) for k in range(len(vals))]


@dataclass(frozen=True, slots=True)
class Weakened:
    """Houdini's answer: the surviving clauses, or UNKNOWN with a reason."""

    alive: tuple[Clause, ...]
    status: Status
    rounds: int
    reason: str = ""


class Reach:
    """The reachable states indexed for cube queries: per variable and value, a state mask."""

    def __init__(self, states: Sequence[State]) -> None:
        cols = list(zip(*states, strict=True))
        self.values = [tuple(sorted(set(c))) for c in cols]
        self.masks = [dict(zip(vs, _masks(c, vs), strict=True)) if len(vs) <= 256 else {}
                      for c, vs in zip(cols, self.values, strict=True)]

    def block(self, state: State) -> Clause | None:
        """A clause true on every reachable state and false on ``state``, or None.

        The cube of ``state``'s literals is generalised greedily: a literal is
        dropped while the rest still matches no reachable state.  Literals
        satisfied by the most reachable states are tried first.  The clause
        then says which values one literal's variable takes in the reachable
        states matching the others; the variable is the one for which that
        excludes the most values (measured: with the last variable always,
        Houdini needed one clause per pc of the other task where this gets one).
        """
        lits = [(j, v, self.masks[j].get(v, 0)) for j, v in enumerate(state) if self.masks[j]]
        lits.sort(key=lambda x: -x[2].bit_count())
        if _meet([m for _, _, m in lits]):
            return None
        keep = list(lits)
        for lit in lits:
            rest = [x for x in keep if x is not lit]
            if rest and not _meet([m for _, _, m in rest]):
                keep = rest
        return max((self._clause(keep, k) for k in range(len(keep))),
                   key=lambda c: self._excluded(c))

    def _clause(self, cube: list[tuple[int, int, int]], k: int) -> Clause:
        """The clause ``other literals -> var_k in (its values where they hold)``."""
        var = cube[k][0]
        acc = -1
        for i, (_, _, m) in enumerate(cube):
            if i != k:
                acc &= m
        vals = tuple(v for v, m in self.masks[var].items() if m & acc)
        return Clause(var, vals, tuple(sorted((j, v) for i, (j, v, _) in enumerate(cube)
                                              if i != k)))

    def _excluded(self, c: Clause) -> int:
        """How many of its variable's reachable values ``c`` excludes (under its condition)."""
        return len(self.values[c.var]) - len(c.values)


def _meet(masks: list[int]) -> bool:
    """Some state lies in every mask."""
    acc = -1
    for m in masks:
        acc &= m
        if not acc:
            return False
    return True


def houdini(system: System, clauses: Sequence[Clause], timeout_s: float,
            reach: Reach | None = None) -> Weakened:
    """The largest inductive subset of ``clauses`` (all of which hold initially).

    Sweeps the actions until one whole sweep changes nothing.  Each CTI's
    successor is computed by the concrete semantics and the clauses it
    breaks are dropped (a CTI that breaks none means the encoding and the
    semantics disagree: an internal error, never a proof).  With ``reach``
    (strengthening), an unreachable CTI is first excluded by a new clause
    from :meth:`Reach.block` instead, so nothing true is dropped for it.
    """
    start = time.monotonic()
    sem = Semantics(system)
    query = InductionQuery(system, clauses)
    alive = frozenset(range(len(clauses)))
    rounds, changed = 0, True
    while changed:
        changed = False
        for n in range(len(system.actions)):
            while True:
                rounds += 1
                ans = query.counterexample(n, alive, timeout_s - (time.monotonic() - start))
                if ans.status is Status.UNSAT:
                    break
                if ans.cti is None:
                    return Weakened((), Status.UNKNOWN, rounds, ans.reason or "timeout")
                changed = True
                new = reach.block(ans.cti.pre) if reach is not None else None
                if new is not None:
                    alive = alive | {query.add(new)}
                    continue
                post = sem.step(ans.cti.pre, n)
                keep = frozenset(i for i in alive if query.clauses[i].holds(post))
                if len(keep) == len(alive):
                    raise ReplayError("z3's counterexample to induction breaks no clause "
                                      "when replayed: the encoding and the semantics disagree")
                alive = keep
    return Weakened(tuple(query.clauses[i] for i in sorted(alive)), Status.UNSAT, rounds)


def strengthen(system: System, clauses: Sequence[Clause], reach: Reach,
               timeout_s: float) -> Weakened:
    """``clauses`` (all true on ``reach``'s states) plus blocking clauses, made inductive.

    Nothing is dropped: every counterexample to induction is unreachable
    (its successor would otherwise break a clause true on every reachable
    state) and is excluded by a clause from :meth:`Reach.block`.  Because
    the clause set only grows, the pre-state only gets stronger, and an
    action once shown to keep a clause keeps it for good: a worklist asks
    each action only about the clauses it has not yet been shown to keep
    (those reading a variable it writes).  UNKNOWN when the time runs out
    or a CTI cannot be blocked (it agrees with a reachable state on every
    variable the miner indexes).
    """
    start = time.monotonic()
    query = GrowingQuery(system, clauses)
    todo = {n: list(range(len(clauses))) for n in range(len(system.actions))}
    queue, rounds = deque(todo), 0
    while queue:
        n = queue.popleft()
        among = todo.pop(n)
        while True:
            rounds += 1
            ans = query.breaks(n, among, timeout_s - (time.monotonic() - start))
            if ans.status is Status.UNSAT:
                break
            new = reach.block(ans.cti.pre) if ans.cti is not None else None
            if new is None and ans.cti is not None:
                _replay(system, query.clauses, ans.cti)
            if new is None:
                why = (f"z3: {ans.reason}" if ans.cti is None else "a counterexample to "
                       "induction matches a reachable state on every variable with at most "
                       "256 values, so no clause over them excludes it")
                return Weakened(query.clauses, Status.UNKNOWN, rounds,
                                f"{why} ({rounds} queries, "
                                f"{len(query.clauses) - len(clauses)} blocking clauses)")
            i = query.add(new)
            among.append(i)
            for m in range(len(system.actions)):
                if m != n and query.touches(m, i):
                    if m not in todo:
                        todo[m] = []
                        queue.append(m)
                    todo[m].append(i)
    return Weakened(query.clauses, Status.UNSAT, rounds)


def _replay(system: System, clauses: Sequence[Clause], cti: Cti) -> None:
    """Raise if z3's CTI breaks no clause when stepped by the concrete semantics."""
    post = Semantics(system).step(cti.pre, cti.action)
    if all(c.holds(post) for c in clauses):
        raise ReplayError("z3's counterexample to induction breaks no clause when "
                          "replayed: the encoding and the semantics disagree")


class HoudiniEngine:
    """Explore, mine candidate invariants, keep the inductive subset: proved, or exhausted."""

    name = "houdini"

    def check(self, system: System, limits: Limits) -> Result:
        """PASS proved with an invariant; PASS exhausted; or the explicit engine's FAIL/UNKNOWN."""
        start = time.monotonic()
        space = explore(system, limits)
        if space is None:
            return ExplicitEngine().check(system, limits)
        reach = Reach(space.states)
        candidates = mine(system, space.states, reach=reach, antecedents=control_vars(system))
        got = strengthen(system, candidates, reach, limits.timeout_s - (time.monotonic() - start))
        proved = (got.status is Status.UNSAT
                  and Clause(system.violation_var, (0,)) in got.alive)
        why = "" if proved else f"not proved: {got.reason}"
        stats = Stats(engine=self.name, states=len(space.states),
                      transitions=space.transitions, depth=space.depth, bound=limits.bound,
                      exhausted=True, proved=proved, elapsed_s=time.monotonic() - start)
        return Result(Verdict.PASS, stats, fired=space.fired, witnessed=space.witnessed,
                      coverage_known=True, invariant=got.alive if proved else (), reason=why)


def recheck(system: System, clauses: Sequence[Clause], timeout_s: float) -> Recheck:
    """Initiation, consecution and safety of a certificate's invariant, from scratch."""
    got = check_invariant(system, clauses, timeout_s)
    if got.cti is None:
        return got
    post = Semantics(system).step(got.cti.pre, got.cti.action)
    return dataclasses.replace(got, broken=tuple(i for i, c in enumerate(clauses)
                                                 if not c.holds(post)))
