"""``verify --parametric``: a proof for every number of CPUs and tasks.

1. **Template.**  The target's programs on 2 CPUs x one task per program
   (two when there is one program) are compiled by the kernel world as
   usual; :mod:`lazycheck.smt.parametric` reads the compiled actions back
   over two uninterpreted sorts (tasks, CPUs).  A template outside that
   fragment is UNKNOWN, never PASS.
2. **Mine** clauses on the template's reachable states
   (:func:`lazycheck.engines.houdini.mine`) and quantify them over their
   task and CPU indices.
3. **Filter** the quantified clauses on the reachable states of a larger
   instance (3 CPUs x more tasks, explored up to a state limit; any
   reachable state will do): every instance of a clause that is false
   there is not an invariant, so it is dropped before z3 sees it.
4. **Houdini** over the quantified clauses in the parametric encoding
   (:mod:`lazycheck.smt.param_houdini`): initiation in every instance,
   then consecution action by action.  PROVED when ``violation == 0``
   survives; otherwise the counterexample to induction that broke it.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lazycheck.engines.houdini import Reach, mine
from lazycheck.semantics import Semantics, State
from lazycheck.system import Clause, System, VarKind


@dataclass(frozen=True, slots=True)
class Instance:
    """A compiled instance: its system, sizes, and each task's program number."""

    system: System
    ncpus: int
    ntasks: int
    progs: tuple[int, ...]


def reachable(system: System, max_states: int, timeout_s: float) -> list[State]:
    """Up to ``max_states`` reachable states, breadth first (a prefix of the space)."""
    sem = Semantics(system)
    seen = {system.init: None}
    frontier = [system.init]
    start = time.monotonic()
    while frontier and len(seen) < max_states and time.monotonic() - start < timeout_s:
        nxt = []
        for s in frontier:
            for _, succ in sem.successors(s):
                if succ not in seen:
                    seen[succ] = None
                    nxt.append(succ)
        frontier = nxt
    return list(seen)


_TOK = re.compile(r"(?<![A-Za-z0-9_])(irq@cpu\d+|idle\d+|cpu\d+|T\d+)(?![A-Za-z0-9_])")
Token = tuple[str, int]


def _rename(name: str, assign: dict[Token, int]) -> str:
    """A template variable's name in another instance, indices mapped by ``assign``."""
    def sub(m: re.Match[str]) -> str:
        s = m.group(1)
        if s.startswith("irq@cpu"):
            return f"irq@cpu{assign[('cpu', int(s[7:]))]}"
        if s.startswith("idle"):
            return f"idle{assign[('cpu', int(s[4:]))]}"
        if s.startswith("cpu"):
            return f"cpu{assign[('cpu', int(s[3:]))]}"
        return f"T{assign[('task', int(s[1:]))]}"
    return _TOK.sub(sub, name)


def _assignments(tokens: Sequence[Token], tpl: Instance, big: Instance
                 ) -> Iterator[dict[Token, int]]:
    """Every injective mapping of a clause's indices into ``big`` that keeps programs."""
    tasks = [t for t in tokens if t[0] == "task"]
    cpus = sorted({t[1] for t in tokens if t[0] != "task"})
    for cs in itertools.permutations(range(big.ncpus), len(cpus)):
        for ts in itertools.permutations(range(big.ntasks), len(tasks)):
            if any(big.progs[b] != tpl.progs[a[1]] for a, b in zip(tasks, ts, strict=True)):
                continue
            out: dict[Token, int] = {("cpu", c): b for c, b in zip(cpus, cs, strict=True)}
            out.update({t: b for t, b in zip(tasks, ts, strict=True)})
            yield out


def _value(tpl: Instance, big: Instance, sort: str, k: int, assign: dict[Token, int]) -> int:
    """A template value (a number, a task or a CPU) in ``big``'s numbering."""
    if sort == "cpu":
        return assign[("cpu", k)]
    if sort == "thr" and k >= 0:
        if k < tpl.ntasks:
            return assign[("task", k)]
        return big.ntasks + assign[("cpu", k - tpl.ntasks)]
    return k


def instances_of(tpl: Instance, big: Instance, sorts: Sequence[str], tokens: Sequence[Token],
                 c: Clause) -> list[Clause]:
    """Every instance of a quantified clause in ``big`` (``sorts``: each variable's value sort)."""
    out = []
    idx = big.system.var_index
    for assign in _assignments(tokens, tpl, big):
        def at(j: int, assign: dict[Token, int] = assign) -> int:
            return idx[_rename(tpl.system.vars[j].name, assign)]
        when = tuple((at(w), _value(tpl, big, sorts[w], a, assign)) for w, a in c.when)
        vals = tuple(_value(tpl, big, sorts[c.var], k, assign) for k in c.values)
        out.append(Clause(at(c.var), vals, when))
    return out


def candidates(tpl: Instance, relational: bool) -> list[Clause]:
    """Clauses true on every reachable state of the template (mined)."""
    states = reachable(tpl.system, 10**9, 1e9)
    return mine(tpl.system, states, relational=relational)


def task_cpu_only(system: System, clauses: Sequence[Clause]) -> list[Clause]:
    """The clauses with at most one antecedent, and the two-antecedent ones of the form
    ``curr[cpuX] == T && T.pc == k -> z in S`` with ``z`` a per-CPU variable of ``cpuX``:
    what a running task's statement says about its own CPU (the relational candidates
    the parametric prover keeps; the rest swamp z3)."""
    out = []
    for c in clauses:
        if len(c.when) < 2:
            out.append(c)
            continue
        names = {system.vars[w].name: a for w, a in c.when}
        curr = [n for n in names if n.startswith("curr[")]
        pcs = [n for n in names if system.vars[system.var_index[n]].kind is VarKind.PC]
        if len(curr) != 1 or len(pcs) != 1:
            continue
        cpu = curr[0][len("curr["):-1]
        task = pcs[0][:-len(".pc")]
        if names[curr[0]] < 0 or f"T{names[curr[0]]}" != task:
            continue
        if set(_TOK.findall(system.vars[c.var].name)) == {cpu}:
            out.append(c)
    return out


def _own(system: System, k: int) -> tuple[list[int], list[int]]:
    """Task ``Tk``'s own variables, and CPU 0's (its interrupt context's included)."""
    task, cpu = [], []
    for j, v in enumerate(system.vars):
        toks = set(_TOK.findall(v.name))
        if toks == {f"T{k}"}:
            task.append(j)
        elif toks in ({"cpu0"}, {"irq@cpu0"}):
            cpu.append(j)
    return task, cpu


def _anchors(system: System, k: int, ncpus: int) -> list[list[tuple[int, int]]]:
    """Per way of saying "task ``Tk`` is on CPU c" (``cpu_of``, ``curr``), the literal
    for each CPU c."""
    idx = system.var_index
    out = []
    if f"cpu_of[T{k}]" in idx:
        out.append([(idx[f"cpu_of[T{k}]"], c) for c in range(ncpus)])
    if "curr[cpu0]" in idx:
        out.append([(idx[f"curr[cpu{c}]"], k) for c in range(ncpus)])
    return out


@dataclass(frozen=True, slots=True)
class _Frame:
    """One template task's and CPU 0's variables, and where each is at every CPU c."""

    system: System
    reach: Reach
    own: tuple[int, ...]  # the task's and CPU 0's variables that vary
    task: frozenset[int]  # those of the task
    at: tuple[dict[int, int], ...]  # per CPU c: variable at cpu0 -> the same at c


def own_cpu(system: System, reach: Reach, ntasks: int, ncpus: int,
            at_pc: bool = True) -> list[Clause]:
    """Clauses relating a task to the CPU it is on, through one data literal:
    ``cpu_of[Tk] == cpu0 && x == a -> z in S`` (or ``curr[cpu0] == Tk && ...``), with
    ``x`` and ``z`` each a variable of ``Tk`` or of CPU 0 (``pending(T0,p) == 1 ->
    mc_queued[cpu0][p] == 1``: a task's pending write is queued on its CPU).

    ``at_pc`` adds the same at one statement of the task, ``cpu_of[Tk] == cpu0 &&
    Tk.pc == n && x == a -> z in S``, for ``x`` and ``z`` one of the task and one of
    the CPU (what a statement keeps between the task's data and its CPU's).

    ``S`` is the union, over every template CPU c, of the values ``z`` takes at c
    in the reachable states where the task is on c and ``x == a`` (so that the
    clause is true at every CPU, not only cpu0); kept only where it excludes more
    than the clause without ``x == a`` or without the anchor does."""
    out = []
    for k in range(ntasks):
        task, cpu = _own(system, k)
        own = tuple(j for j in task + cpu if len(reach.masks[j]) > 1)
        at = tuple({j: system.var_index[_rename(system.vars[j].name,
                                                {("cpu", 0): c, ("task", k): k})]
                    for j in own} for c in range(ncpus))
        f = _Frame(system, reach, own, frozenset(task), at)
        full = [-1] * ncpus
        for anchor in _anchors(system, k, ncpus):
            on = [reach.masks[w].get(a, 0) for w, a in anchor]
            out += _own_clauses(f, on, full, (anchor[0],), False)
            pc = system.var_index.get(f"T{k}.pc")
            if not at_pc or pc is None or anchor[0][0] != system.var_index.get(f"cpu_of[T{k}]"):
                continue
            for n, mn in reach.masks[pc].items():
                out += _own_clauses(f, [o & mn for o in on], on,
                                    (anchor[0], (pc, n)), True)
    return out


def _swap(system: System, j: int, value: int, c: int) -> int:
    """``value`` of variable ``j`` with CPU 0 and CPU c exchanged (a CPU, or an idle
    task, named by number; other values are unchanged)."""
    labels = system.vars[j].labels
    if not labels or value < 0 or value >= len(labels):
        return value
    name = labels[value]
    other = {"cpu0": f"cpu{c}", f"cpu{c}": "cpu0", "idle0": f"idle{c}", f"idle{c}": "idle0"}
    if name in other and other[name] in labels:
        return labels.index(other[name])
    return value


def _own_clauses(f: _Frame, on: list[int], base: list[int],
                 anchor: tuple[tuple[int, int], ...], cross: bool) -> list[Clause]:
    """:func:`own_cpu` for one anchor (``on[c]``: it holds at CPU c; ``base[c]``: the
    anchor without its statement).  Values are read in CPU 0's frame: at CPU c, CPUs
    0 and c are exchanged.  ``cross``: ``x`` and ``z`` one of the task, one of the CPU."""
    out = []
    masks, at, system = f.reach.masks, f.at, f.system
    used = {w for w, _ in anchor}
    for x in f.own:
        if x in used or not any(on):
            continue
        for a in masks[x]:
            mxs = [masks[at[c][x]].get(_swap(system, x, a, c), 0) for c in range(len(at))]
            both = [o & m for o, m in zip(on, mxs, strict=True)]
            if not any(both):
                continue
            for z in f.own:
                if z == x or z in used or (cross and (x in f.task) == (z in f.task)):
                    continue
                seen, alone, data = set(), set(), set()
                for c, m in enumerate(both):
                    for b0, mz in masks[at[c][z]].items():
                        b = _swap(system, z, b0, c)
                        if m & mz:
                            seen.add(b)
                        if on[c] & mz:
                            alone.add(b)
                        if base[c] & mxs[c] & mz:
                            data.add(b)
                if len(seen) < min(len(alone), len(data)):
                    out.append(Clause(z, tuple(sorted(seen)), tuple(sorted((*anchor, (x, a))))))
    return out


def survivors(tpl: Instance, big: Instance, states: Sequence[State],
              quantified: Sequence[tuple[tuple[str, ...], tuple[Token, ...], Clause]],
              deadline: float = float("inf")) -> list[int]:
    """Indices of the quantified clauses every instance of which holds on ``states``.

    Past ``deadline`` the rest are kept unfiltered (keeping a clause is
    always sound: Houdini still has to show it inductive)."""
    reach = Reach(states)
    full = (1 << len(states)) - 1  # Reach: a bit per state (houdini._masks)
    keep = []
    for n, (sorts, tokens, c) in enumerate(quantified):
        ok = True
        if time.monotonic() > deadline:
            keep.append(n)
            continue
        for inst in instances_of(tpl, big, sorts, tokens, c):
            m = full
            for w, a in inst.when:
                m &= reach.masks[w].get(a, 0) if reach.masks[w] else full
            if not reach.masks[inst.var]:
                continue
            hit = 0
            for v in inst.values:
                hit |= reach.masks[inst.var].get(v, 0)
            if m & ~hit & full:
                ok = False
                break
        if ok:
            keep.append(n)
    return keep


Named = tuple[str, tuple[int, ...], tuple[tuple[str, int], ...]]  # var, values, when


def named(system: System, c: Clause) -> Named:
    """A template clause by variable names (what a certificate stores)."""
    return (system.vars[c.var].name, c.values,
            tuple((system.vars[w].name, a) for w, a in c.when))


def unnamed(system: System, n: Named) -> Clause:
    """A certificate's clause on ``system`` (KeyError: a variable the model does not have)."""
    idx = system.var_index
    return Clause(idx[n[0]], tuple(n[1]), tuple((idx[w], a) for w, a in n[2]))


@dataclass(frozen=True, slots=True)
class ParametricResult:
    """The answer of ``--parametric``: PROVED for every number of CPUs and tasks, or why not.

    ``status`` is ``proved``, ``not-inductive`` (``cti`` shows the step that
    breaks ``violation == 0`` from a state satisfying the other clauses),
    ``fail`` (a violation is reachable in the template instance itself) or
    ``unknown`` (outside the parametric fragment, or z3 gave up: ``reason``).
    """

    status: str
    reason: str = ""
    invariant: tuple[str, ...] = ()
    cti_action: str = ""
    cti_broken: tuple[str, ...] = ()
    cti_state: tuple[str, ...] = ()
    template: str = ""
    clauses: tuple[Named, ...] = ()  # the invariant as template clauses, by variable name
    candidates: int = 0
    actions: int = 0
    elapsed_s: float = 0.0


def prove(small: Instance, big: Instance, timeout_s: float, big_states: int = 30_000,
          shortcut: bool = True, relational: bool = False) -> ParametricResult:
    """Mine on ``small``, filter on ``big``, Houdini in the parametric encoding.

    ``shortcut=False`` skips the two quick FAIL answers (a violation among
    the explored states), so that a test can check that Houdini itself never
    proves a FAIL model.  ``relational`` adds the (task, its CPU) candidates
    of :func:`task_cpu_only`."""
    from lazycheck.smt.param_houdini import Prover
    from lazycheck.smt.param_houdini import candidates as quantified
    from lazycheck.smt.parametric import Template, Unsupported

    start = time.monotonic()
    where = f"template {small.ncpus} CPUs x {small.ntasks} tasks"
    states = reachable(small.system, 2_000_000, timeout_s / 4)
    sem = Semantics(small.system)
    if shortcut and any(sem.violation(s) for s in states):
        return ParametricResult("fail", "a violation is reachable in the template instance "
                                "(run verify without --parametric for the trace)",
                                template=where, elapsed_s=time.monotonic() - start)
    try:
        tpl = Template.of(small.system, small.ntasks, small.ncpus, small.progs)
        prover = Prover(tpl)
        reach = Reach(states)
        mined = mine(small.system, states, relational=relational, reach=reach)
        mined += own_cpu(small.system, reach, small.ntasks, small.ncpus)
        qs, safety = quantified(tpl, task_cpu_only(small.system, mined) if relational else mined)
    except Unsupported as err:
        return ParametricResult("unknown", f"outside the parametric fragment: {err}",
                                template=where, elapsed_s=time.monotonic() - start)
    more = reachable(big.system, big_states, timeout_s / 4)
    if not shortcut:  # a test of Houdini alone: the filter must not drop violation == 0
        big_sem = Semantics(big.system)
        more = [s for s in more if not big_sem.violation(s)]
    sorts = tuple(tpl.families[c.family].value for c in tpl.cells)
    keep = set(survivors(small, big, more, [(sorts, q.tokens, q.clause) for q in qs],
                         start + timeout_s / 2))
    if shortcut and safety not in keep:
        return ParametricResult("fail", f"a violation is reachable with {big.ncpus} CPUs x "
                                f"{big.ntasks} tasks", template=where,
                                elapsed_s=time.monotonic() - start)
    qs = [qs[safety]] + [q for i, q in enumerate(qs) if i in keep and i != safety]
    left = timeout_s - (time.monotonic() - start)
    try:
        ans = prover.prove(qs, 0, left)
    except Unsupported as err:  # e.g. an initial state that is not uniform per class
        return ParametricResult("unknown", f"outside the parametric fragment: {err}",
                                template=where, elapsed_s=time.monotonic() - start)
    cti = ans.cti
    inv = ans.invariant if ans.proved else ()
    return ParametricResult(ans.status, ans.reason, tuple(q.text for q in inv),
                            cti.action if cti else "", cti.broken if cti else (),
                            cti.state if cti else (), where,
                            tuple(named(small.system, q.clause) for q in inv), len(qs),
                            ans.actions, time.monotonic() - start)


def recheck(small: Instance, clauses: Sequence[Named], timeout_s: float) -> ParametricResult:
    """A certificate's clauses re-checked from the current models: PROVED only if every one
    holds initially in every instance and no action breaks any (nothing is dropped)."""
    from lazycheck.smt.param_houdini import Prover, quantify
    from lazycheck.smt.parametric import Template, Unsupported

    start = time.monotonic()
    where = f"template {small.ncpus} CPUs x {small.ntasks} tasks"
    try:
        tpl = Template.of(small.system, small.ntasks, small.ncpus, small.progs)
        qs = [quantify(tpl, unnamed(small.system, n)) for n in clauses]
        prover = Prover(tpl)
    except Unsupported as err:
        return ParametricResult("unknown", f"outside the parametric fragment: {err}",
                                template=where)
    safe = [i for i, q in enumerate(qs) if q.clause == Clause(small.system.violation_var, (0,))]
    if not safe:
        return ParametricResult("not-inductive", "the certificate has no clause "
                                "'violation == 0'", template=where)
    try:
        ans = prover.prove(qs, safe[0], timeout_s)
    except Unsupported as err:
        return ParametricResult("unknown", f"outside the parametric fragment: {err}",
                                template=where)
    if ans.status == "proved" and len(ans.invariant) < len(qs):
        dropped = [q.text for q in qs if q not in ans.invariant]
        return ParametricResult("not-inductive", "clauses do not hold: " + "; ".join(
            dropped[:3]), template=where, elapsed_s=time.monotonic() - start)
    cti = ans.cti
    return ParametricResult(ans.status, ans.reason, tuple(q.text for q in ans.invariant),
                            cti.action if cti else "", cti.broken if cti else (),
                            cti.state if cti else (), where, tuple(clauses), len(qs),
                            ans.actions, time.monotonic() - start)
