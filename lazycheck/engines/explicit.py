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

import networkx as nx

from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import Semantics, State, compile_expr
from lazycheck.system import FALSE, ActionKind, System


class ExplicitEngine:
    name = "explicit"

    def check(self, system: System, limits: Limits) -> Result:
        sem = Semantics(system)
        witnesses = [(i, compile_expr(a.witness), a.witness_label)
                     for i, a in enumerate(system.actions) if a.witness != FALSE]
        fired: set[int] = set()
        witnessed: set[str] = set()
        start = time.monotonic()
        init = system.init
        # parent[state] = (previous state, action index); the initial state maps to None
        parent: dict[State, tuple[State, int] | None] = {init: None}
        frontier: list[State] = [init]
        levels: list[list[State]] = [frontier]  # levels[k]: the states at depth k
        transitions = 0
        depth = 0

        def covered(r: Result) -> Result:
            return dataclasses.replace(r, fired=frozenset(fired),
                                       witnessed=frozenset(witnessed), coverage_known=True)

        def stats(exhausted: bool, reached: int) -> Stats:
            return Stats(engine=self.name, states=len(parent), transitions=transitions,
                         depth=reached, bound=limits.bound, exhausted=exhausted,
                         elapsed_s=time.monotonic() - start)

        if sem.violation(init):
            return Result(Verdict.FAIL, stats(False, 0), sem.violation(init), ())
        while frontier:
            if limits.progress is not None:
                limits.progress(Progress(self.name, depth, len(parent), time.monotonic() - start))
            if depth >= limits.bound:
                return covered(Result(Verdict.PASS, stats(False, depth)))
            nxt: list[State] = []
            for state in frontier:
                for w_idx, w_fn, w_label in witnesses:
                    if w_label not in witnessed and w_fn(state) and sem.enabled(state, w_idx):
                        witnessed.add(w_label)
                for idx, succ in sem.successors(state):
                    transitions += 1
                    fired.add(idx)
                    if succ in parent:
                        continue
                    parent[succ] = (state, idx)
                    code = sem.violation(succ)
                    if code:
                        states_seen = len(parent)
                        code, trace = choose_trace(system, sem, levels)
                        found = dataclasses.replace(stats(False, depth + 1),
                                                    states=states_seen)
                        return Result(Verdict.FAIL, found, code, trace)
                    nxt.append(succ)
                if len(parent) > limits.max_states:
                    return Result(Verdict.UNKNOWN, stats(False, depth),
                                  reason=f"state limit of {limits.max_states:,} reached "
                                         f"at depth {depth + 1}")
                if time.monotonic() - start > limits.timeout_s:
                    return Result(Verdict.UNKNOWN, stats(False, depth),
                                  reason=f"time limit of {limits.timeout_s:g} s reached "
                                         f"at depth {depth + 1}")
            frontier = nxt
            if frontier:
                depth += 1
                levels.append(frontier)
        return covered(Result(Verdict.PASS, stats(True, depth)))


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


def choose_trace(system: System, sem: Semantics, levels: list[list[State]]
                 ) -> tuple[int, tuple[int, ...]]:
    """The chosen shortest trace to a violation at depth ``len(levels)``.

    ``levels[k]`` holds every state at BFS depth ``k`` and no state at depth
    ``< len(levels)`` violates.  Returns (violation code, action indices);
    the order is documented in the module docstring.
    """
    depth = len(levels)
    level_of: dict[State, int] = {}
    for k, lv in enumerate(levels):
        for s in lv:
            level_of[s] = k
    # shortest-path DAG, pruned backwards to the states that reach a violation
    out: dict[State, list[tuple[int, State]]] = {}
    useful: set[State] = set()
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
    return sem.violation(final), trace


def _costs(out: dict[State, list[tuple[int, State]]], order: list[State], ctx: list[int],
           masks: list[int], mask: int) -> dict[State, int]:
    """Fewest switches and interrupts from each DAG state to a violation, within ``mask``."""
    cost: dict[State, int] = {}
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


def _greedy(out: dict[State, list[tuple[int, State]]], cost: dict[State, int], ctx: list[int],
            masks: list[int], mask: int, init: State, depth: int) -> tuple[int, ...]:
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
