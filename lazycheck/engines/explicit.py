"""Explicit-state engine: breadth-first search over concrete states.

BFS visits states in order of distance from the initial state, so the first
violating state it meets has a shortest trace.

Trace choice.  Many traces are equally short; the one returned is fixed by
a total order, so it does not depend on hash order, on ``-j`` or on which
violating state BFS happened to meet first.  Among all shortest traces to
any violating state it returns the one with

1. the fewest context switches and interrupt arrivals (``SWITCH`` and
   ``IRQ_ENTRY`` actions) -- a reviewer follows one CPU at a time;
2. then the fewest tasks involved (tasks that take a step, or are switched
   in or out; idle tasks do not count);
3. then the lexicographically first sequence of action indices.

The choice runs once, after BFS has found the violation depth ``D``: the
states of levels ``0..D-1`` (kept as lists while searching) are expanded
again, only edges from level ``k`` to level ``k+1`` are kept, and states
that reach no violating state at depth ``D`` are pruned, which leaves the
shortest-path DAG.  Criterion 2 is not additive, so for each subset ``M`` of
the tasks (at most 4, so at most 16 subsets) a backward pass over the DAG
restricted to edges whose tasks lie in ``M`` gives the fewest switches and
interrupts; the best ``(switches, |M|)`` wins and a greedy forward walk takes
the smallest action index that keeps the optimum.  A passing search never
pays for this; a failing one re-expands at most the states it had already
visited.  See docs/review.md.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from lazycheck.engines import parallel, symmetry
from lazycheck.engines.memory import MemoryWatch
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import AnyState, Fn, OutOfRange, Packing, Semantics, compile_expr
from lazycheck.system import ActionKind, System

# a mask: the search reads the clock (and its resident size) every 256 states
CLOCK_EVERY = 255

if TYPE_CHECKING:  # networkx costs ~0.1 s to import; only --graph needs it
    import networkx as nx


# with --symmetry, a search runs unreduced until a BFS level ends past this many states:
# a small space is done before the group would be derived (0.05-0.6 s on the Xen
# targets), and its output stays that of the unreduced search (every zoo target at its
# own configuration: the largest, arm64-g3, has 69,664 states); a larger one then
# continues reduced from the canonical forms of the states it explored (_Search.reduce)
SYMMETRY_AFTER = 100_000


class ExplicitEngine:
    """Breadth-first search over packed states (see the module docstring)."""

    name = "explicit"

    def __init__(self, symmetry_after: int = SYMMETRY_AFTER) -> None:
        self.symmetry_after = symmetry_after

    def check(self, system: System, limits: Limits) -> Result:
        """Search from ``system.init`` up to ``limits``; FAIL with the chosen trace."""
        if limits.compiled:  # forced: the compiled search (engines/compiled.py)
            from lazycheck.engines import compiled

            found = compiled.check(system, limits, self.symmetry_after)
            if found is not None:
                return found
        elif limits.compiled is None and limits.max_states > self.symmetry_after > 0:
            found = self.handed_over(system, limits)  # the default: compiled past 100k
            if found is not None:
                return found
        try:
            return self.searched(system, limits, Packing.of(system))
        except OutOfRange:  # a value outgrew its field: the same search on tuples
            return self.searched(system, limits, None)

    def handed_over(self, system: System, limits: Limits) -> Result | None:
        """The Python search until a level ends past ``symmetry_after`` states, then the
        compiled one from there if numba is importable (engines/compiled.py: the same
        result, ~5x the states per second past its fixed ~1 s); None: search in Python."""
        from lazycheck.engines import compiled

        if not compiled.available():
            return None
        try:
            first = _Search(system, limits, Packing.of(system),
                            reduce_after=self.symmetry_after)
            first.stop_before_reduce = True
            done = first.run_until_reduced()
        except OutOfRange:
            return None
        return done if done is not None else compiled.take_over(system, limits, first)

    def searched(self, system: System, limits: Limits, packing: Packing | None) -> Result:
        """The search, reduced by the symmetry group when it pays (engines/symmetry.py).

        A small space is searched unreduced; past ``symmetry_after`` states the
        search continues reduced from where it is (no state is expanded twice).
        A reduced search that fails is run again unreduced: its trace is then
        the one the unreduced search chooses (a concrete run, golden traces
        unchanged) and so are its counts; a reduced PASS or UNKNOWN stands.
        With ``limits.workers > 1`` the search is the parallel one
        (engines/parallel.py).
        """
        if limits.workers > 1 and packing is not None and parallel.available():
            return self.in_parallel(system, limits, packing)
        return self.sequential(system, limits, packing)

    def sequential(self, system: System, limits: Limits, packing: Packing | None,
                   sem: Semantics | None = None) -> Result:
        """:meth:`searched` on one process (``sem``: actions already compiled)."""
        if not limits.symmetry or limits.max_states <= self.symmetry_after:
            return _Search(system, limits, packing, sem=sem).run()
        if self.symmetry_after > 0:
            found = _Search(system, limits, packing, sem=sem,
                            reduce_after=self.symmetry_after).run()
        else:
            group = symmetry.derive(system)
            found = _Search(system, limits, packing, group, sem).run()
        if found.verdict is not Verdict.FAIL or found.stats.symmetry == 1:
            return found
        plain = _Search(system, limits, packing, sem=sem).run()
        return plain if plain.verdict is Verdict.FAIL else found

    def in_parallel(self, system: System, limits: Limits, packing: Packing) -> Result:
        """:meth:`sequential`'s result on ``limits.workers`` processes.

        As there, a small space is searched unreduced (here on this process,
        where it is quickest); past ``symmetry_after`` states the search, now
        reduced, goes on in parallel from where it is, the workers owning
        canonical states by hash.  At a violation the parallel search stops
        and :meth:`sequential` on the same compiled actions gives the counts
        and the trace.
        """
        sem = Semantics(system, packing)
        sem.compile_all()  # once, in the parent: the forked workers inherit it
        group: symmetry.Group | None = None
        resume: parallel.Resume | None = None
        if limits.symmetry and limits.max_states > self.symmetry_after > 0:
            first = _Search(system, limits, packing, sem=sem, reduce_after=self.symmetry_after)
            done = first.run_until_reduced()
            if done is not None:  # (a FAIL here is the unreduced one -j 1 reports)
                return done
            group, resume = first.group, first.resume()
        elif limits.symmetry and limits.max_states > self.symmetry_after:
            group = symmetry.derive(system)
        found = parallel.ParallelSearch(system, limits, sem, limits.workers, group,
                                        resume).run()
        return found if found is not None else self.sequential(system, limits, packing, sem)


class _Search:
    """One BFS.  The visited set holds packed states; ``levels`` keeps each depth's
    states (references into the set) for :func:`choose_trace`, so no parent map is
    stored: a trace is rebuilt by re-expanding the levels."""

    def __init__(self, system: System, limits: Limits, packing: Packing | None,
                 group: symmetry.Group | None = None, sem: Semantics | None = None,
                 reduce_after: int = 0) -> None:
        self.system = system
        self.limits = limits
        self.sem = sem if sem is not None else Semantics(system, packing)
        self.group = group  # states are canonical under it (engines/symmetry.py)
        self.canon = symmetry.canonicalizer(group, packing) if group is not None else None
        self.init = self.canon(self.sem.init) if self.canon is not None else self.sem.init
        self.fired: set[int] = set()
        self.witnessed: set[str] = set()
        self.start = time.monotonic()
        self.seen: set[AnyState] = {self.init}
        self.levels: list[list[AnyState]] = [[self.init]]
        self.transitions = 0
        self.memory = MemoryWatch(limits.max_memory)
        self.witnesses = [(i, compile_expr(e, packing), label)
                          for i, e, label in system.witness_points()]
        # properties whose watched state held somewhere (a property never watched is VACUOUS)
        self.watches = [(p, compile_expr(e, packing)) for p, e in system.watches]
        self.watched: set[str] = set()
        # reduce by the symmetry group once a level ends past this many states (0: never);
        # until then the number of successors of each expanded state, in level order
        self.reduce_after = reduce_after if group is None else 0
        self.degrees: list[int] | None = [] if self.reduce_after else None
        self.stop_before_reduce = False  # hand the unreduced levels over instead (compiled)

    def stats(self, exhausted: bool, reached: int) -> Stats:
        """How far the search got."""
        return Stats(engine=ExplicitEngine.name, states=len(self.seen),
                     transitions=self.transitions, depth=reached, bound=self.limits.bound,
                     exhausted=exhausted, elapsed_s=time.monotonic() - self.start,
                     symmetry=self.group.order if self.group is not None else 1)

    def covered(self, r: Result) -> Result:
        """``r`` with the actions fired and the events witnessed."""
        fired = self.group.close_fired(self.fired) if self.group is not None else self.fired
        return dataclasses.replace(r, fired=frozenset(fired),
                                   witnessed=frozenset(self.witnessed), coverage_known=True,
                                   watched=frozenset(self.watched))

    def run(self) -> Result:
        """The whole search, level by level."""
        found = self._levels(False)
        assert found is not None
        return found

    def run_until_reduced(self) -> Result | None:
        """The search, or None once it has switched to the reduced one (see
        :meth:`reduce`; :meth:`resume` then hands it over)."""
        return self._levels(True)

    def _levels(self, hand_over: bool) -> Result | None:
        sem, limits = self.sem, self.limits
        if sem.violation(sem.init):
            return Result(Verdict.FAIL, self.stats(False, 0), sem.violation(sem.init), ())
        depth = 0
        while self.levels[-1]:
            if limits.progress is not None:
                limits.progress(Progress(ExplicitEngine.name, depth, len(self.seen),
                                         time.monotonic() - self.start))
            if depth >= limits.bound:
                return self.covered(Result(Verdict.PASS, self.stats(False, depth)))
            stop = self.expand(depth)
            if stop is not None:
                return stop
            if self.reduce_after and len(self.seen) > self.reduce_after:
                if self.stop_before_reduce and self.levels[-1]:
                    return None
                self.reduce()
                if hand_over and self.levels[-1]:
                    return None
            if self.levels[-1]:
                depth += 1
            else:
                self.levels.pop()
                break
        return self.covered(Result(Verdict.PASS, self.stats(True, depth)))

    def resume(self) -> parallel.Resume:
        """Where this search is, for the parallel search to go on from (after the
        switch to reduced: its last level not expanded yet)."""
        return parallel.Resume(self.seen, self.levels[-1], len(self.levels) - 1,
                               self.transitions, set(self.fired), set(self.witnessed),
                               set(self.watched), time.monotonic() - self.start)

    def expand(self, depth: int) -> Result | None:
        """Expand level ``depth`` into a new last level; a result if the search ends."""
        sem, limits, seen, fired, canon = self.sem, self.limits, self.seen, self.fired, self.canon
        witnesses = [w for w in self.witnesses if w[2] not in self.witnessed]
        nxt: list[AnyState] = []
        watches = [w for w in self.watches if w[0] not in self.watched]
        successors, violation, degrees = sem.successor_fn, sem.violation_fn, self.degrees
        for count, state in enumerate(self.levels[depth]):
            for _, fn in watches:  # (rarely true: no generator per state)
                if fn(state):
                    self.watched.update(p for p, f in watches if f(state))
                    watches = [w for w in watches if w[0] not in self.watched]
                    break
            if witnesses:
                self.witness(witnesses, state)
            succs = successors(state)
            if canon is not None:
                succs = [(i, canon(t)) for i, t in succs]
            self.transitions += len(succs)
            if degrees is not None:
                degrees.append(len(succs))
            for idx, succ in succs:
                fired.add(idx)
                if succ in seen:
                    continue
                seen.add(succ)
                if violation(succ):  # transitions counted up to this one, as always
                    self.transitions -= len(succs) - 1 - succs.index((idx, succ))
                    if canon is not None:  # a concrete run to the canonical violation
                        code, trace = self.concrete_trace(succ)
                        return Result(Verdict.FAIL, self.stats(False, depth + 1), code, trace)
                    states_seen = len(seen)
                    code, trace = choose_trace(self.system, sem, self.levels)
                    found = dataclasses.replace(self.stats(False, depth + 1),
                                                states=states_seen)
                    return Result(Verdict.FAIL, found, code, trace)
                nxt.append(succ)
            if len(seen) > limits.max_states:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"state limit of {limits.max_states:,} reached "
                                     f"at depth {depth + 1}")
            if count & CLOCK_EVERY:
                continue  # the clock and the memory are read every CLOCK_EVERY + 1 states
            if time.monotonic() - self.start > limits.timeout_s:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"time limit of {limits.timeout_s:g} s reached "
                                     f"at depth {depth + 1}")
            if self.memory.over(len(seen)):
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"memory limit of {self.memory.describe()} reached "
                                     f"at depth {depth + 1}")
        self.levels.append(nxt)
        return None

    def reduce(self) -> None:
        """Continue reduced by the symmetry group (if the system has one): every kept
        level becomes the canonical forms of its states, first occurrences in order.

        These are the reduced search's levels as sets (a canonical state is at depth k
        iff some state of its orbit is at distance k from the initial state, and the
        unreduced levels hold every state up to the last), and an orbit's states all
        have as many successors, so states and transitions count as in a search
        reduced from the start.  Only the order within a level differs, which a PASS
        does not show and a FAIL does not keep (it is searched again unreduced).
        """
        self.reduce_after = 0
        degrees, self.degrees = self.degrees, None
        group = symmetry.derive(self.system) if self.limits.symmetry else None
        if group is None or degrees is None:
            return
        canon = symmetry.canonicalizer(group, self.sem.packing)
        seen: set[AnyState] = set()
        levels: list[list[AnyState]] = []
        transitions = 0
        expanded = iter(degrees)  # one per state of every level but the last
        last = len(self.levels) - 1
        for k, level in enumerate(self.levels):
            out = []
            for s in level:
                c = canon(s)
                n = next(expanded) if k < last else 0
                if c not in seen:
                    seen.add(c)
                    out.append(c)
                    transitions += n
            levels.append(out)
        self.group, self.canon, self.init = group, canon, levels[0][0]
        self.seen, self.levels, self.transitions = seen, levels, transitions

    def concrete_trace(self, bad: AnyState) -> tuple[int, tuple[int, ...]]:
        """A shortest concrete run from the real initial state to a state in ``bad``'s orbit.

        Backwards through the canonical levels to a canonical path, then forwards
        from ``system.init``: at each step the least action whose concrete
        successor has the path's next canonical state (one exists: the group maps
        the canonical path onto a concrete one).  Returns (violation code, trace).
        """
        canon, sem = self.canon, self.sem
        assert canon is not None
        path = [bad]
        for level in reversed(self.levels):
            path.append(next(p for p in level
                             if any(canon(t) == path[-1] for _, t in sem.successors(p))))
        path.reverse()
        state = sem.init  # the real one; the search started from its canonical form
        trace = []
        for want in path[1:-1]:
            idx, state = min((i, t) for i, t in sem.successors(state) if canon(t) == want)
            trace.append(idx)
        # the last step: violation codes name the program instance that fired, so the
        # real run's code may be another than the canonical one (the group treats all
        # non-zero codes as one value, engines/symmetry.py); compare without it
        clear = self.without_violation
        idx, state = min((i, t) for i, t in sem.successors(state)
                         if sem.violation(t) and clear(canon(t)) == clear(bad))
        trace.append(idx)
        return sem.violation(state), tuple(trace)

    def without_violation(self, s: AnyState) -> AnyState:
        """``s`` with its violation code zeroed."""
        v = self.system.violation_var
        if self.sem.packing is None:
            assert isinstance(s, tuple)
            return (*s[:v], 0, *s[v + 1:])
        assert isinstance(s, int)
        return s & ~self.sem.packing.mask((v,))

    def witness(self, witnesses: list[tuple[int, Fn, str]], state: AnyState) -> None:
        """Record the coverage events whose condition holds in ``state``."""
        for w_idx, w_fn, w_label in witnesses:
            if w_label not in self.witnessed and w_fn(state) and self.sem.enabled(state, w_idx):
                self.witnessed.add(w_label)


def _action_weights(system: System) -> tuple[list[int], list[int]]:
    """Per action: 1 if it is a context switch or an interrupt arrival; its task bitmask."""
    real = sorted({a.task for a in system.actions
                   if a.kind is ActionKind.TASK and a.task is not None})
    bit = {t: 1 << i for i, t in enumerate(real)}
    ctx: list[int] = []
    masks: list[int] = []
    for a in system.actions:
        ctx.append(1 if a.kind in (ActionKind.SWITCH, ActionKind.IRQ_ENTRY) else 0)
        m = 0
        if a.kind in (ActionKind.TASK, ActionKind.SWITCH):
            for t in (a.task, a.other if a.kind is ActionKind.SWITCH else None):
                if t is not None:
                    m |= bit.get(t, 0)
        masks.append(m)
    return ctx, masks


def choose_trace(system: System, sem: Semantics, levels: list[list[AnyState]]
                 ) -> tuple[int, tuple[int, ...]]:
    """The chosen shortest trace to a violation at depth ``len(levels)``.

    ``levels[k]`` holds every state at BFS depth ``k`` and no state at depth
    ``< len(levels)`` violates.  Returns (violation code, action indices);
    the order is documented in the module docstring.
    """
    depth = len(levels)
    level_of: dict[AnyState, int] = {}
    for k, lv in enumerate(levels):
        for s in lv:
            level_of[s] = k
    # shortest-path DAG, pruned backwards to the states that reach a violation
    out: dict[AnyState, list[tuple[int, AnyState]]] = {}
    useful: set[AnyState] = set()
    for s in levels[-1]:
        es = [(i, t) for i, t in sem.successors(s) if sem.violation(t)]
        if es:
            out[s] = es
            useful.add(s)
            useful.update(t for _, t in es)
    for k in range(depth - 2, -1, -1):
        for s in levels[k]:
            es = [(i, t) for i, t in sem.successors(s)
                  if t in useful and level_of.get(t) == k + 1]
            if es:
                out[s] = es
                useful.add(s)
    ctx, masks = _action_weights(system)
    order = [s for k in range(depth - 1, -1, -1) for s in levels[k] if s in out]
    init = levels[0][0]
    all_bits = 0
    for m in masks:
        all_bits |= m
    best_key: tuple[int, int] | None = None
    candidates: list[tuple[int, ...]] = []
    for mask in range(all_bits + 1):
        if mask & ~all_bits:
            continue
        cost = _costs(out, order, ctx, masks, mask)
        if init not in cost:
            continue
        key = (cost[init], mask.bit_count())
        if best_key is not None and key > best_key:
            continue
        path = _greedy(out, cost, ctx, masks, mask, init, depth)
        if best_key is None or key < best_key:
            best_key, candidates = key, [path]
        else:
            candidates.append(path)
    trace = min(candidates)
    final = sem.replay(trace)[-1]
    return final[system.violation_var], trace


def _costs(out: dict[AnyState, list[tuple[int, AnyState]]], order: list[AnyState], ctx: list[int],
           masks: list[int], mask: int) -> dict[AnyState, int]:
    """Fewest switches and interrupts from each DAG state to a violation, within ``mask``."""
    cost: dict[AnyState, int] = {}
    for s in order:  # deepest level first
        best = -1
        for i, t in out[s]:
            if masks[i] & ~mask:
                continue
            c = 0 if t not in out else cost.get(t, -1)
            if c < 0:
                continue
            c += ctx[i]
            if best < 0 or c < best:
                best = c
        if best >= 0:
            cost[s] = best
    return cost


def _greedy(out: dict[AnyState, list[tuple[int, AnyState]]], cost: dict[AnyState, int],
            ctx: list[int], masks: list[int], mask: int, init: AnyState, depth: int
            ) -> tuple[int, ...]:
    path: list[int] = []
    s = init
    for _ in range(depth):
        need = cost[s]
        for i, t in sorted(out[s]):
            if masks[i] & ~mask:
                continue
            rest = 0 if t not in out else cost.get(t, -1)
            if rest >= 0 and rest + ctx[i] == need:
                path.append(i)
                s = t
                break
        else:
            raise AssertionError("shortest-path DAG lost its path")
    return tuple(path)


def export_graph(system: System, limits: Limits, path: str) -> tuple[int, int]:
    """Write the reachable state graph as GraphML (nodes numbered in BFS order).

    Node attributes: ``violation`` (the property id, or "") and ``state`` (the
    values of the model and world variables); edge attribute ``action``.
    Returns (nodes, edges).
    """
    import networkx as nx

    from lazycheck.system import VarKind

    g = state_graph(system, limits)
    ids = {s: i for i, s in enumerate(g.nodes)}
    out: nx.DiGraph = nx.DiGraph()
    shown = [i for i, v in enumerate(system.vars) if v.kind in (VarKind.STATE, VarKind.WORLD)]
    for s, i in ids.items():
        code = s[system.violation_var]
        out.add_node(i, violation=system.violation(code).property_id if code else "",
                     state=" ".join(f"{system.vars[k].name}={system.vars[k].show(s[k])}"
                                    for k in shown))
    for a, b, data in g.edges(data=True):
        out.add_edge(ids[a], ids[b], action=data["name"])
    nx.write_graphml(out, path)
    return out.number_of_nodes(), out.number_of_edges()


def state_graph(system: System, limits: Limits) -> nx.DiGraph:
    """The reachable state graph up to ``limits.bound`` as a networkx graph.

    Nodes are state tuples, edges carry ``action`` (index) and ``name``.
    Used by ``lazycheck verify --graph`` and by tests that compare shortest
    paths with the BFS result.
    """
    import networkx as nx

    sem = Semantics(system)
    g: nx.DiGraph = nx.DiGraph()
    g.add_node(system.init)
    frontier = [system.init]
    for _ in range(limits.bound):
        nxt = []
        for state in frontier:
            if sem.violation(state):
                continue
            for idx, succ in sem.successors(state):
                if succ not in g:
                    nxt.append(succ)
                    g.add_node(succ)
                if not g.has_edge(state, succ):
                    g.add_edge(state, succ, action=idx, name=system.actions[idx].name)
            if g.number_of_nodes() > limits.max_states:
                return g
        frontier = nxt
        if not frontier:
            break
    return g
