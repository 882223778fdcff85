"""Explicit-state engine: breadth-first search over concrete states.

BFS visits states in order of distance from the initial state, so the first
violating state it meets has a shortest trace.  Among the shortest traces it
returns the first in action order, which makes the choice deterministic.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import networkx as nx

from lazycheck.engines.base import Limits, Result, Stats, Verdict
from lazycheck.semantics import Semantics, State, compile_expr
from lazycheck.system import FALSE, System


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
                        return Result(Verdict.FAIL, stats(False, depth + 1), code,
                                      tuple(_path(parent, succ)))
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
        return covered(Result(Verdict.PASS, stats(True, depth)))


def _path(parent: dict[State, tuple[State, int] | None], state: State) -> Iterator[int]:
    steps: list[int] = []
    cur = parent[state]
    while cur is not None:
        prev, idx = cur
        steps.append(idx)
        cur = parent[prev]
    return reversed(steps)


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
