"""Symmetry reduction for the explicit engine: the group, checked; canonical states.

A *renaming* permutes the CPUs and the tasks together: CPU ``c`` becomes
``pc(c)``, the idle task of ``c`` the idle task of ``pc(c)``, a real task
``t`` becomes ``pt(t)``.  It acts on a state by moving every variable to the
cell of the renamed CPU/task (:class:`~lazycheck.system.Roles`) and renaming
the values that name CPUs, tasks or interrupt pcs.

The group is never guessed from names.  Candidates are the transpositions of
two adjacent CPUs and of two adjacent tasks running the same program; each is
kept only if it is an automorphism of the transition relation, checked
structurally: with the sorts of all values inferred (which expressions hold
CPU numbers, task ids, ...), the renamed image of every action must be an
action of the system (guard, updates, witness and preemption term alike),
every watch must map to itself, and a task renaming must fix the initial
state (tasks run the same program *from the same initial state*).  A CPU
renaming need not fix it: a task that never ran "last ran" on cpu0, so the
search starts from the orbit of the initial state -- still sound for every
property, since the violation and the watches are invariant, and the depth
of a violation is the least over its orbit.

A local that is never read but holds a CPU or a task (``cpu_t b =
smp_processor_id();``) is reset to its initial constant when it dies; there
that constant means "dead", not "cpu0", so its values are renamed only while
its owner's pc is in its live range (:func:`live_ranges`), and the check
walks each write with the sort of its destination pc.

Violation codes name the program instance that fired; the check treats every
non-zero code as one value, which is exact because the system reads the
violation variable only through ``== 0`` (checked) and the search stops at
the first violating state.

Canonical form: the least packed int (or tuple) over the whole group, by
generated code (one expression per group element; fields that keep their
values move with one shift per distance).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lazycheck.semantics import AnyState, Packing, constants
from lazycheck.system import (
    Action,
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    Not,
    Roles,
    Select,
    Sort,
    System,
    Var,
    VarKind,
    Wrap,
)

MAX_GROUP = 5040  # beyond this the per-state minimum costs more than it saves
_CMP = (BinOp.EQ, BinOp.NE)
_BOOL = (BinOp.AND, BinOp.OR)


class NotSymmetric(Exception):
    """A renaming does not map the system onto itself (the message says where)."""


@dataclass(frozen=True, slots=True)
class Renaming:
    """A permutation of the CPUs and of the real tasks (idle tasks follow their CPU)."""

    cpus: tuple[int, ...]
    tasks: tuple[int, ...]

    def task(self, t: int) -> int:
        """The task ``t`` becomes (-1, none, stays -1)."""
        n = len(self.tasks)
        if t < 0 or t >= n + len(self.cpus):
            return t
        return self.tasks[t] if t < n else n + self.cpus[t - n]

    def cpu(self, c: int) -> int:
        """The CPU ``c`` becomes."""
        return self.cpus[c] if 0 <= c < len(self.cpus) else c

    def then(self, other: Renaming) -> Renaming:
        """``other`` after ``self``."""
        return Renaming(tuple(other.cpus[c] for c in self.cpus),
                        tuple(other.tasks[t] for t in self.tasks))

    @property
    def identity(self) -> bool:
        """Whether it renames nothing."""
        return self.cpus == tuple(range(len(self.cpus))) and \
            self.tasks == tuple(range(len(self.tasks)))


@dataclass(frozen=True, slots=True)
class Group:
    """The checked symmetry group of a system: its elements and how they act."""

    elements: tuple[Renaming, ...]  # identity first
    var_maps: tuple[tuple[int, ...], ...]  # per element: variable i moves to var_maps[e][i]
    value_maps: tuple[tuple[dict[int, int] | None, ...], ...]  # per element, per variable
    live: Live  # per variable: renamed only while its owner's pc is in a set (see live_ranges)
    action_maps: tuple[tuple[int, ...], ...]  # per generator: action a becomes action ...
    fixes_init: bool
    rejected: tuple[str, ...]  # candidate renamings that failed the check, and why

    @property
    def order(self) -> int:
        """How many renamings the group has."""
        return len(self.elements)

    def close_fired(self, fired: set[int]) -> set[int]:
        """``fired`` closed under the group (an action fires iff its image fires somewhere)."""
        out = set(fired)
        todo = list(out)
        while todo:
            a = todo.pop()
            for amap in self.action_maps:
                b = amap[a]
                if b not in out:
                    out.add(b)
                    todo.append(b)
        return out

    def apply(self, e: int, state: tuple[int, ...]) -> tuple[int, ...]:
        """Element ``e`` applied to a tuple state."""
        vm, vals = self.var_maps[e], self.value_maps[e]
        out = list(state)
        for i, v in enumerate(state):
            m = vals[i] if _is_live(self.live[i], state) else None
            out[vm[i]] = m.get(v, v) if m is not None else v
        return tuple(out)


# ---------------------------------------------------------------- renaming values
def value_map(roles: Roles, r: Renaming, sort: Sort) -> dict[int, int] | None:
    """How ``r`` renames the values of ``sort`` (None: it keeps them)."""
    if sort is Sort.CPU:
        m = {c: r.cpu(c) for c in range(roles.ncpus)}
    elif sort is Sort.TASK:
        m = {t: r.task(t) for t in range(roles.ntasks + roles.ncpus)}
    elif sort is Sort.IRQPC:
        first = {(c, h): b for c, h, b, _ in roles.irq_pcs}
        m = {b + k: first[(r.cpu(c), h)] + k for c, h, b, n in roles.irq_pcs for k in range(n)}
    else:
        return None
    return None if all(k == v for k, v in m.items()) else m


def var_map(roles: Roles, r: Renaming) -> tuple[int, ...]:
    """Where ``r`` moves each variable; NotSymmetric if a renamed cell does not exist."""
    where = {slot: i for i, slot in enumerate(roles.slots)}
    out = []
    for i, (c, t, key) in enumerate(roles.slots):
        j = where.get((r.cpu(c), r.task(t), key))
        if j is None:
            raise NotSymmetric(f"variable {i} ({key}) has no renamed cell")
        out.append(j)
    return tuple(out)


# ---------------------------------------------------------------- sorts
def _exprs(system: System) -> Iterator[tuple[Expr, Sort | None]]:
    """Every expression of the system with the sort its context gives it (None: a var's)."""
    for a in system.actions:
        yield a.guard, Sort.PLAIN
        yield a.witness, Sort.PLAIN
        yield a.preemption, Sort.PLAIN
        for when, _ in a.reaches:
            yield when, Sort.PLAIN
    for _, e in system.watches:
        yield e, Sort.PLAIN


def infer_sorts(system: System, roles: Roles) -> list[Sort]:
    """The sort of every variable; a local gets the sort of what it meets (else PLAIN)."""
    sorts = list(roles.sorts)
    changed = True
    while changed:
        changed = False
        seen: set[int] = set()
        memo: dict[int, Sort | None] = {}
        todo: list[Expr] = [e for e, _ in _exprs(system)]
        for a in system.actions:
            for u in a.updates:
                s = _synth(u.value, sorts, memo)
                if sorts[u.var] is Sort.UNKNOWN and s not in (None, Sort.UNKNOWN):
                    sorts[u.var], changed = s, True
                todo.append(u.value)
        while todo:
            e = todo.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            changed |= _learn(e, sorts, roles, memo)
            todo.extend(_kids(e))
    return [Sort.PLAIN if s is Sort.UNKNOWN else s for s in sorts]


def _kids(e: Expr) -> tuple[Expr, ...]:
    match e:
        case Select(index=ix):
            return (ix,)
        case Not(arg=a) | Wrap(arg=a):
            return (a,)
        case Binary(left=a, right=b):
            return (a, b)
        case Ite(cond=c, then=t, other=o):
            return (c, t, o)
    return ()


def _learn(e: Expr, sorts: list[Sort], roles: Roles, memo: dict[int, Sort | None]) -> bool:
    """Give an unknown variable compared with, or indexing like, a known sort that sort."""
    pairs: list[tuple[Expr, Sort | None]] = []
    match e:
        case Binary(op=op, left=a, right=b) if op in _CMP:
            if isinstance(a, Var) or isinstance(b, Var):
                pairs = [(a, _synth(b, sorts, memo)), (b, _synth(a, sorts, memo))]
        case Select(base=base, size=n, index=Var() as ix):
            pairs = [(ix, _index_sort(roles, base, n))]
        case Ite(then=t, other=o) if isinstance(t, Var) or isinstance(o, Var):
            pairs = [(t, _synth(o, sorts, memo)), (o, _synth(t, sorts, memo))]
    out = False
    for x, s in pairs:
        if isinstance(x, Var) and sorts[x.index] is Sort.UNKNOWN and s not in (None, Sort.UNKNOWN):
            sorts[x.index] = s
            out = True
    return out


def _synth(e: Expr, sorts: list[Sort], memo: dict[int, Sort | None] | None = None
           ) -> Sort | None:
    """The sort ``e``'s value has, from its own shape (None: a constant, any sort)."""
    match e:
        case Var(index=i):
            return sorts[i]
        case Select(base=b):
            return sorts[b]
        case Const():
            return None
        case Ite(then=t, other=o):
            if memo is not None and id(e) in memo:
                return memo[id(e)]
            s = _synth(t, sorts, memo)
            if s is None:
                s = _synth(o, sorts, memo)
            if memo is not None:
                memo[id(e)] = s
            return s
    return Sort.PLAIN


def _flatten(e: Expr, op: BinOp) -> list[Expr]:
    """The operands of nested ``op`` (``&&`` or ``||``) nodes."""
    out: list[Expr] = []
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, Binary) and x.op is op:
            todo.extend((x.right, x.left))
        else:
            out.append(x)
    return out


def _case_subject(cond: Expr, sorts: list[Sort]) -> tuple[Expr, Sort] | None:
    """``(i, sort)`` when ``cond`` is ``i == constant`` with ``i`` a CPU or a task."""
    if isinstance(cond, Binary) and cond.op is BinOp.EQ and isinstance(cond.right, Const) \
            and not isinstance(cond.left, Const):
        s = _synth(cond.left, sorts)
        if s in (Sort.CPU, Sort.TASK):
            return cond.left, s
    return None


def _index_sort(roles: Roles, base: int, size: int) -> Sort:
    """What indexes the array ``vars[base:base+size]``: CPUs, tasks, or plain positions."""
    cells = roles.slots[base:base + size]
    if size == roles.ncpus and all(c == k for k, (c, _, _) in enumerate(cells)) and \
            len({x[1:] for x in cells}) == 1:
        return Sort.CPU
    if size == roles.ncpus + roles.ntasks and all(t == k for k, (_, t, _) in enumerate(cells)) \
            and len({(x[0], x[2]) for x in cells}) == 1:
        return Sort.TASK
    if len({x[:2] for x in cells}) == 1:
        return Sort.PLAIN
    raise NotSymmetric(f"array at {base} mixes owners")


# ---------------------------------------------------------------- write-only locals
Live = tuple[tuple[int, frozenset[int]] | None, ...]


def _is_live(live: tuple[int, frozenset[int]] | None, state: tuple[int, ...]) -> bool:
    """Whether a variable's values are renamed in ``state`` (its owner's pc is in its range)."""
    return live is None or state[live[0]] in live[1]


def _read_vars(system: System) -> set[int]:
    """Every variable some guard, update, witness, preemption term or watch reads."""
    out: set[int] = set()
    seen: set[int] = set()
    todo = [e for e, _ in _exprs(system)] + [u.value for a in system.actions for u in a.updates]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Var):
            out.add(e.index)
        elif isinstance(e, Select):
            out.update(range(e.base, e.base + e.size))
        todo.extend(_kids(e))
    return out


def _pcs(a: Action, pc: int) -> tuple[int | None, int | None, bool]:
    """``(source pc, destination pc, moves)`` of ``a`` for the pc variable ``pc``."""
    src = None
    for c in _flatten(a.guard, BinOp.AND):
        if isinstance(c, Binary) and c.op is BinOp.EQ and c.left == Var(pc) and \
                isinstance(c.right, Const):
            src = c.right.value
    new = next((u.value for u in a.updates if u.var == pc), None)
    if new is None:
        return src, src, False
    return src, new.value if isinstance(new, Const) else None, True


def _live_range(system: System, var: int, pc: int) -> frozenset[int] | None:
    """The pcs at which the write-only local ``var`` holds a renamed value (None: unknown).

    It is renamed at the destination of every write of a non-constant value;
    elsewhere it holds constants (a dead local is reset) and is kept.  An
    action that moves the pc without writing ``var`` must stay inside or
    outside the range, or the values would change meaning under it.
    """
    live: set[int] = set()
    for a in system.actions:
        w = next((u.value for u in a.updates if u.var == var), None)
        if w is not None and not isinstance(w, Const):
            dst = _pcs(a, pc)[1]
            if dst is None:
                return None
            live.add(dst)
    for a in system.actions:
        src, dst, moves = _pcs(a, pc)
        writes = any(u.var == var for u in a.updates)
        if writes and dst is None:
            return None
        if moves and not writes and (src is None or dst is None or (src in live) != (dst in live)):
            return None
    return frozenset(live)


def live_ranges(system: System, roles: Roles, sorts: list[Sort]) -> Live:
    """Per variable: ``(pc var, pcs)`` for a write-only CPU/task local, else None (always renamed).

    A local that is never read but holds a CPU (``cpu_t b = smp_processor_id();``
    modelling ``this_cpu_ptr()``'s check) is reset to its initial constant when
    it dies: that constant means "dead", not "cpu0", so it must not be renamed.
    Renaming such a local only while its owner's pc is in its live range is a
    bijection on states; the structural check then verifies every action.
    """
    read = _read_vars(system)
    pcs = {roles.slots[i][:2]: i for i, v in enumerate(system.vars) if v.kind is VarKind.PC}
    out: list[tuple[int, frozenset[int]] | None] = [None] * len(system.vars)
    for i, v in enumerate(system.vars):
        pc = pcs.get(roles.slots[i][:2])
        if v.kind is not VarKind.LOCAL or sorts[i] not in (Sort.CPU, Sort.TASK) or \
                i in read or pc is None or sorts[pc] is not Sort.PLAIN:
            continue
        rng = _live_range(system, i, pc)
        if rng is not None:
            out[i] = (pc, rng)
    return tuple(out)


# ---------------------------------------------------------------- the structural check
class _Image:
    """Interns the image of expressions under one renaming as small ints.

    Expressions are DAGs, so every walk is memoised by ``id`` (and the sort the
    context gives); the intern table is shared between renamings, so two
    images are the same expression iff their numbers are equal.
    """

    def __init__(self, system: System, roles: Roles, sorts: list[Sort], r: Renaming,
                 table: dict[tuple[object, ...], int], live: Live) -> None:
        self.system = system
        self.roles = roles
        self.sorts = sorts
        self.live = live
        self.vmap = var_map(roles, r)
        self.values = {s: value_map(roles, r, s) for s in Sort}
        self.table = table
        self.memo: dict[tuple[int, Sort, tuple[int, int] | None], int] = {}
        # inside a case entry ``i == k && ...``: (i's number, renamed k); see _cases
        self.assume: tuple[int, int] | None = None
        self.index_sorts: dict[tuple[int, int], Sort] = {}
        self.synth_memo: dict[int, Sort | None] = {}

    def synth(self, e: Expr) -> Sort | None:
        """The sort of ``e`` (memoised :func:`_synth`)."""
        return _synth(e, self.sorts, self.synth_memo)

    def action(self, a: Action) -> tuple[object, ...]:
        """The image of an action as a hashable key (its name and bookkeeping excluded)."""
        ups = tuple(sorted((self.vmap[u.var], self.walk(u.value, self._update_sort(a, u.var)))
                           for u in a.updates))
        return (a.kind, self.walk(a.guard, Sort.PLAIN), ups, self.walk(a.witness, Sort.PLAIN),
                a.witness_label, self.walk(a.preemption, Sort.PLAIN),
                tuple((self.walk(w, Sort.PLAIN), label) for w, label in a.reaches))

    def _update_sort(self, a: Action, var: int) -> Sort:
        """The sort of the value ``a`` writes to ``var``: PLAIN outside its live range."""
        live = self.live[var]
        if live is None or _pcs(a, live[0])[1] in live[1]:
            return self.sorts[var]
        return Sort.PLAIN

    def walk(self, e: Expr, sort: Sort) -> int:
        """The number of ``e``'s image, ``e`` read as a value of ``sort``."""
        key = (id(e), sort, self.assume)
        got = self.memo.get(key)
        if got is None and self.assume is not None and isinstance(e, Ite):
            got = self._assumed(e, sort)
            if got is not None:
                self.memo[key] = got
        if got is None:
            node = self._node(e, sort)
            got = self.table.setdefault(node, len(self.table))
            self.memo[key] = got
        return got

    def _assumed(self, e: Ite, sort: Sort) -> int | None:
        """``e`` inside a case entry on the same subject: the branch the entry's number takes."""
        entry = self._case_entry(e.cond)
        if entry is None or self.assume is None or entry[0] != self.assume[0]:
            return None
        m = self.values[entry[1]]
        if (m.get(entry[2], entry[2]) if m is not None else entry[2]) != self.assume[1]:
            return self.walk(e.other, sort)  # excluded by the entry we are inside of
        rest = self._rest(e.cond)
        if not rest:
            return self.walk(e.then, sort)
        cond = rest[0] if len(rest) == 1 else \
            self.table.setdefault((BinOp.AND, rest), len(self.table))
        node = ("?", cond, self.walk(e.then, sort), self.walk(e.other, sort))
        return self.table.setdefault(node, len(self.table))

    def _const(self, v: int, sort: Sort) -> tuple[object, ...]:
        if sort is Sort.VIOLATION:
            return ("code",) if v else ("c", 0)
        m = self.values[sort]
        return ("c", m.get(v, v) if m is not None else v)

    def _node(self, e: Expr, sort: Sort) -> tuple[object, ...]:
        match e:
            case Const(value=v):
                return self._const(v, sort)
            case Var(index=i):
                if self.sorts[i] is not sort:
                    raise NotSymmetric(f"variable {i} holds {self.sorts[i].name}, "
                                       f"read as {sort.name}")
                return ("v", self.vmap[i])
            case Select():
                return self._select(e, sort)
            case Not(arg=a):
                self._plain(sort)
                return ("!", self.walk(a, Sort.PLAIN))
            case Wrap(arg=a, lo=lo, hi=hi):
                self._plain(sort)
                return ("w", self.walk(a, Sort.PLAIN), lo, hi)
            case Ite(cond=c, then=t, other=o):
                cases = self._cases(e, sort)
                if cases is not None:
                    return cases
                return ("?", self.walk(c, Sort.PLAIN), self.walk(t, sort), self.walk(o, sort))
            case Binary():
                return self._binary(e, sort)
        raise NotSymmetric(f"unknown expression {type(e).__name__}")

    def _cases(self, e: Ite, sort: Sort) -> tuple[object, ...] | None:
        """``i == k1 && r1 ? a1 : i == k2 && r2 ? a2 : d`` over a CPU or task ``i``, normalised.

        Reading or flushing an array the step already wrote gives such a chain
        in CPU (task) order; its image tests the renamed numbers in another
        order.  Tests of different numbers exclude each other, so the entries
        are sorted by (renamed) number, keeping the order of equal numbers.
        Without the ``r`` parts the normal form is the branch for each value
        ``i`` can hold.
        """
        first = self._case_entry(e.cond)
        if first is None:
            return None
        ix, dim = first[0], first[1]
        if self.assume is not None and self.assume[0] == ix:
            return None  # nested in an entry on the same subject: walk it plainly
        m = self.values[dim]
        entries: list[tuple[int, tuple[int, ...], int]] = []
        cur: Expr = e
        while isinstance(cur, Ite):
            got = self._case_entry(cur.cond)
            if got is None or got[0] != ix:
                break
            k = m.get(got[2], got[2]) if m is not None else got[2]
            outer, self.assume = self.assume, (ix, k)
            entries.append((k, self._rest(cur.cond), self.walk(cur.then, sort)))
            self.assume = outer
            cur = cur.other
        default = self.walk(cur, sort)
        entries.sort(key=lambda x: x[0])
        domain = range(self.roles.ncpus) if dim is Sort.CPU else \
            range(-1, self.roles.ntasks + self.roles.ncpus)
        if all(not rest for _, rest, _ in entries) and all(k in domain for k, _, _ in entries):
            branch: dict[int, int] = {}
            for k, _, a in entries:
                branch.setdefault(k, a)
            return ("case", ix, tuple(branch.get(v, default) for v in domain))
        return ("cases", ix, tuple(entries), default)

    def _case_entry(self, cond: Expr) -> tuple[int, Sort, int] | None:
        """``(i, sort, k)`` when ``cond`` is ``i == k && rest...`` over a CPU or task."""
        for c in _flatten(cond, BinOp.AND):
            got = _case_subject(c, self.sorts)
            if got is not None:
                assert isinstance(c, Binary) and isinstance(c.right, Const)
                return self.walk(got[0], got[1]), got[1], c.right.value
        return None

    def _rest(self, cond: Expr) -> tuple[int, ...]:
        """The other conjuncts of a case entry's condition, as a set."""
        parts = _flatten(cond, BinOp.AND)
        for n, c in enumerate(parts):
            if _case_subject(c, self.sorts) is not None:
                true = self.table.setdefault(("c", 1), len(self.table))
                return tuple(sorted({self.walk(x, Sort.PLAIN) for x in parts[:n] + parts[n + 1:]}
                                    - {true}))
        raise AssertionError("not a case entry")

    def _fixed(self, e: Binary) -> int | None:
        """``x == k`` / ``x != k`` with ``x`` a variable whose domain is one value: 0 or 1."""
        for x, k in ((e.left, e.right), (e.right, e.left)):
            if isinstance(x, Var) and isinstance(k, Const):
                v = self.system.vars[x.index]
                if v.lo == v.hi:
                    return int((v.lo == k.value) == (e.op is BinOp.EQ))
        return None

    def _plain(self, sort: Sort) -> None:
        if sort is not Sort.PLAIN:
            raise NotSymmetric(f"a computed value read as {sort.name}")

    def _binary(self, e: Binary, sort: Sort) -> tuple[object, ...]:
        self._plain(sort)
        if e.op in _CMP:
            fixed = self._fixed(e)
            if fixed is not None:  # a variable with one value compared with a constant
                return ("c", fixed)
            s = self.synth(e.left) or self.synth(e.right) or Sort.PLAIN
            if s is Sort.VIOLATION and Const(0) not in (e.left, e.right):
                raise NotSymmetric("a violation code compared with something but 0")
            return (e.op, self.walk(e.left, s), self.walk(e.right, s))
        if e.op in _BOOL:  # commutative and idempotent on truth values: a set of operands
            ops = _flatten(e, e.op)
            unit = self.table.setdefault(("c", 1 if e.op is BinOp.AND else 0), len(self.table))
            ids = {self.walk(x, Sort.PLAIN) for x in ops} - {unit}
            return (e.op, tuple(sorted(ids)))
        for x in (e.left, e.right):
            if self.synth(x) not in (None, Sort.PLAIN):
                raise NotSymmetric(f"{e.op.value} on a {self.synth(x)} value")
        return (e.op, self.walk(e.left, Sort.PLAIN), self.walk(e.right, Sort.PLAIN))

    def _select(self, e: Select, sort: Sort) -> tuple[object, ...]:
        base, size = e.base, e.size
        if any(self.sorts[base + k] is not sort for k in range(size)):
            raise NotSymmetric(f"array at {base} read as {sort.name}")
        dim = self.index_sorts.get((base, size))
        if dim is None:
            dim = self.index_sorts[(base, size)] = _index_sort(self.roles, base, size)
        m = self.values[dim]
        moved = [self.vmap[base + k] - (m.get(k, k) if m is not None else k)
                 for k in range(size)]
        if len(set(moved)) != 1:
            raise NotSymmetric(f"array at {base} is not renamed as a whole")
        return ("s", moved[0], size, self.walk(e.index, dim))


# ---------------------------------------------------------------- the group
def _candidates(roles: Roles) -> list[tuple[str, Renaming]]:
    """Adjacent CPU transpositions; adjacent transpositions of tasks with one program."""
    cpus, tasks = tuple(range(roles.ncpus)), tuple(range(roles.ntasks))
    out = []
    for c in range(roles.ncpus - 1):
        p = list(cpus)
        p[c], p[c + 1] = c + 1, c
        out.append((f"cpu{c}<->cpu{c + 1}", Renaming(tuple(p), tasks)))
    by_program: dict[str, list[int]] = {}
    for t, prog in enumerate(roles.programs):
        by_program.setdefault(prog, []).append(t)
    for members in by_program.values():
        for a, b in itertools.pairwise(members):
            p = list(tasks)
            p[a], p[b] = b, a
            out.append((f"T{a}<->T{b}", Renaming(cpus, tuple(p))))
    return out


@dataclass
class _Checker:
    """Checks candidate renamings against the identity image of the system."""

    system: System
    roles: Roles
    sorts: list[Sort]

    def __post_init__(self) -> None:
        self.table: dict[tuple[object, ...], int] = {}
        self.live = live_ranges(self.system, self.roles, self.sorts)
        ident = self.image(_identity(self.roles))
        self.keys: dict[tuple[object, ...], int] = {}
        for i, a in enumerate(self.system.actions):
            self.keys.setdefault(ident.action(a), i)
        self.watches = [ident.walk(e, Sort.PLAIN) for _, e in self.system.watches]

    def image(self, r: Renaming) -> _Image:
        """The image of the system under ``r``."""
        return _Image(self.system, self.roles, self.sorts, r, self.table, self.live)

    def check(self, r: Renaming, must_fix_init: bool) -> tuple[int, ...]:
        """The action map of ``r``; NotSymmetric if it is no automorphism."""
        system = self.system
        img = self.image(r)
        for i, v in enumerate(system.vars):
            w = system.vars[img.vmap[i]]
            if (w.lo, w.hi, w.kind) != (v.lo, v.hi, v.kind):
                raise NotSymmetric(f"{v.name} and {w.name} have different domains")
            live, there = self.live[i], self.live[img.vmap[i]]
            if live is not None and there != (img.vmap[live[0]], live[1]):
                raise NotSymmetric(f"{v.name} and {w.name} have different live ranges")
        amap = []
        for a in system.actions:
            b = self.keys.get(img.action(a))
            if b is None:
                raise NotSymmetric(f"the image of {a.name} is no action")
            amap.append(b)
        if len(set(amap)) != len(amap):
            raise NotSymmetric("two actions have the same image")
        if [img.walk(e, Sort.PLAIN) for _, e in system.watches] != self.watches:
            raise NotSymmetric("a watched state is not invariant")
        moved_init = _apply(img, system.init)
        for j in constants(system):  # packed states keep no bits for them
            if moved_init[j] != system.init[j]:
                v = system.vars[j]
                raise NotSymmetric(f"the constant {v.name} would change")
        if must_fix_init and moved_init != system.init:
            moved = [system.vars[i].name for i, v in enumerate(system.init)
                     if _apply(img, system.init)[i] != v]
            raise NotSymmetric(f"the initial state differs in {', '.join(moved[:3])}")
        return tuple(amap)


def _identity(roles: Roles) -> Renaming:
    return Renaming(tuple(range(roles.ncpus)), tuple(range(roles.ntasks)))


def _apply(img: _Image, state: tuple[int, ...]) -> tuple[int, ...]:
    out = list(state)
    for i, v in enumerate(state):
        m = img.values[img.sorts[i]] if img.sorts[i] is not Sort.VIOLATION and \
            _is_live(img.live[i], state) else None
        out[img.vmap[i]] = m.get(v, v) if m is not None else v
    return tuple(out)


def derive(system: System) -> Group | None:
    """The checked symmetry group of ``system``; None when it is trivial or unknown."""
    roles = system.roles
    if roles is None or len(roles.slots) != len(system.vars):
        return None
    try:
        sorts = infer_sorts(system, roles)
        checker = _Checker(system, roles, sorts)
    except NotSymmetric:
        return None
    gens: list[Renaming] = []
    amaps: list[tuple[int, ...]] = []
    rejected: list[str] = []
    for label, r in _candidates(roles):
        try:
            amaps.append(checker.check(r, must_fix_init=r.cpus == _identity(roles).cpus))
            gens.append(r)
        except NotSymmetric as why:
            rejected.append(f"{label}: {why}")
    elements = _closure(_identity(roles), gens)
    if len(elements) < 2:
        return None
    imgs = [checker.image(r) for r in elements]
    init = system.init
    return Group(tuple(elements), tuple(img.vmap for img in imgs),
                 tuple(tuple(img.values[s] if s is not Sort.VIOLATION else None for s in sorts)
                       for img in imgs), checker.live,
                 tuple(amaps), all(_apply(img, init) == init for img in imgs),
                 tuple(rejected))


def rejected_renamings(system: System) -> tuple[str, ...]:
    """Why each candidate renaming of ``system`` failed the check (for tests and docs)."""
    roles = system.roles
    if roles is None:
        return ("no roles",)
    try:
        checker = _Checker(system, roles, infer_sorts(system, roles))
    except NotSymmetric as why:
        return (str(why),)
    out = []
    for label, r in _candidates(roles):
        try:
            checker.check(r, must_fix_init=r.cpus == _identity(roles).cpus)
        except NotSymmetric as why:
            out.append(f"{label}: {why}")
    return tuple(out)


def _closure(ident: Renaming, gens: list[Renaming]) -> list[Renaming]:
    """Every composition of the generators (identity first), at most MAX_GROUP."""
    out = [ident]
    seen = {ident}
    k = 0
    while k < len(out) and len(out) <= MAX_GROUP:
        for g in gens:
            h = out[k].then(g)
            if h not in seen:
                seen.add(h)
                out.append(h)
        k += 1
    return out if len(out) <= MAX_GROUP else [ident]


# ---------------------------------------------------------------- canonical states
def canonicalizer(group: Group, packing: Packing | None) -> Callable[[AnyState], AnyState]:
    """``canon(s)``: the least image of ``s`` over the group, by (key, value).

    Packed, the key of an image is a few of its small fields (the widest ones
    the group moves, their bits concatenated into one small int), computed for
    every element from fields read once; only the images whose key is least
    are built in full, and the least of those is the canonical state.  The
    key is a function of the image, so the result depends only on the orbit.
    In tuple mode (and without key fields), the least image.
    """
    names: dict[str, object] = {}
    keys = _key_fields(group, packing) if packing is not None else []
    if packing is None or not keys:
        lines = ["def canon(s):", "    m = s"]
        for e in range(1, group.order):
            lines.append(f"    t = {_image_code(group, e, packing, names)}")
            lines.append("    if t < m:\n        m = t")
        lines.append("    return m")
    else:
        lines = _keyed_canon(group, packing, keys, names)
    exec("\n".join(lines) + "\n", names)  # generated from the checked group
    fn = names["canon"]
    assert callable(fn)
    return fn


# bits of the key of an image: a one-digit int (CPython's fastest)
KEY_BITS = 30


def _key_fields(group: Group, p: Packing) -> list[int]:
    """Fields (positions in the image) making up the key: moved or renamed by the group,
    never renamed conditionally (``live``), widest first, at most :data:`KEY_BITS`."""
    inverse = [_inverse(vm) for vm in group.var_maps]
    fit: list[tuple[bool, int, int]] = []
    for j in range(len(p.width)):
        srcs = [inv[j] for inv in inverse]
        if p.width[j] == 0 or all(i == j and group.value_maps[e][i] is None
                                  for e, i in enumerate(srcs)):
            continue
        if any(group.value_maps[e][i] is not None and group.live[i] is not None
               for e, i in enumerate(srcs)):
            continue
        renamed = any(group.value_maps[e][i] is not None for e, i in enumerate(srcs))
        moved = any(i != j for i in srcs)
        # what varies most, we guess: fields that move (a task's pc, a CPU's curr),
        # wide ones (pcs) and ones holding CPU or task names (curr, cpu_of)
        fit.append((not moved, -p.width[j] - 2 * renamed, j))
    fit.sort()
    out: list[int] = []
    bits = 0
    for _, _, j in fit:
        if bits + p.width[j] <= KEY_BITS:
            out.append(j)
            bits += p.width[j]
    return out


def _inverse(vmap: tuple[int, ...]) -> list[int]:
    out = [0] * len(vmap)
    for i, j in enumerate(vmap):
        out[j] = i
    return out


def _keyed_canon(group: Group, p: Packing, keys: list[int], names: dict[str, object]
                 ) -> list[str]:
    """The source of ``canon`` with keys (see :func:`canonicalizer`)."""
    inverse = [_inverse(vm) for vm in group.var_maps]
    sources = sorted({inv[j] for inv in inverse for j in keys})
    lines = ["def canon(s):"]
    lines += [f"    f{i} = (s >> {p.off[i]}) & {(1 << p.width[i]) - 1}" for i in sources]
    for e in range(group.order):
        terms = []
        at = 0
        for j in reversed(keys):
            i = inverse[e][j]
            m, mask = group.value_maps[e][i], (1 << p.width[j]) - 1
            if m is None and p.lo[i] == p.lo[j]:
                val = f"f{i}"
            else:
                names[f"K{e}_{j}"] = tuple(
                    ((m.get(r + p.lo[i], r + p.lo[i]) if m is not None else r + p.lo[i])
                     - p.lo[j]) & mask for r in range(1 << p.width[i]))
                val = f"K{e}_{j}[f{i}]"
            terms.append(f"({val} << {at})" if at else val)
            at += p.width[j]
        lines.append(f"    k{e} = {' | '.join(terms)}")
    lines.append(f"    m = min({', '.join(f'k{e}' for e in range(group.order))})")
    lines.append("    best = s if k0 == m else -1")
    for e in range(1, group.order):
        lines.append(f"    if k{e} == m:")
        lines.append(f"        t = {_image_code(group, e, p, names)}")
        lines.append("        if best < 0 or t < best:\n            best = t")
    lines.append("    return best")
    return lines


def orbit_of(group: Group, packing: Packing | None) -> Callable[[AnyState], set[AnyState]]:
    """``orbit(s)``: every image of ``s`` over the group."""
    names: dict[str, object] = {}
    parts = ["s"] + [_image_code(group, e, packing, names) for e in range(1, group.order)]
    exec("def orbit(s):\n    return {" + ", ".join(parts) + "}\n", names)
    fn = names["orbit"]
    assert callable(fn)
    return fn


def _image_code(group: Group, e: int, packing: Packing | None, names: dict[str, object]
                ) -> str:
    """Python source of element ``e`` applied to ``s``."""
    vmap, vals = group.var_maps[e], group.value_maps[e]
    if packing is None:
        src = [0] * len(vmap)
        for i, j in enumerate(vmap):
            src[j] = i
        parts = []
        for i in src:
            m = vals[i]
            live = group.live[i]
            if m is None:
                parts.append(f"s[{i}]")
            elif live is None:
                names[f"T{e}_{i}"] = m
                parts.append(f"T{e}_{i}.get(s[{i}], s[{i}])")
            else:  # renamed only while the owner's pc is in the live range
                names[f"T{e}_{i}"], names[f"L{e}_{i}"] = m, live[1]
                parts.append(f"(T{e}_{i}.get(s[{i}], s[{i}]) if s[{live[0]}] in L{e}_{i} "
                             f"else s[{i}])")
        return "(" + ", ".join(parts) + ",)"
    return _packed_code(group, e, packing, names)


def _table_code(group: Group, e: int, i: int, p: Packing, names: dict[str, object]) -> str:
    """The table renaming field ``i``: ``P{e}_{i}``, or the identity outside its live range."""
    live = group.live[i]
    if live is None or group.value_maps[e][i] is None:
        return f"P{e}_{i}"
    pc, rng = live
    w = p.width[i]
    names[f"Q{e}_{i}"] = tuple((raw + p.lo[i] - p.lo[group.var_maps[e][i]]) & ((1 << w) - 1)
                               for raw in range(1 << w))
    names[f"L{e}_{i}"] = frozenset(v - p.lo[pc] for v in rng)
    pc_field = f"((s >> {p.off[pc]}) & {(1 << p.width[pc]) - 1})"
    return f"(P{e}_{i} if {pc_field} in L{e}_{i} else Q{e}_{i})"


def _packed_code(group: Group, e: int, p: Packing, names: dict[str, object]) -> str:
    """Element ``e`` on a packed int: one masked shift per distance, a table per renamed value."""
    vmap, vals = group.var_maps[e], group.value_maps[e]
    shifts: dict[int, int] = {}
    terms = []
    for i, j in enumerate(vmap):
        w = p.width[i]
        if w == 0:
            continue
        if p.width[j] != w:
            raise NotSymmetric(f"fields {i} and {j} differ in width")
        mask = (1 << w) - 1
        m = vals[i]
        if m is None and p.lo[i] == p.lo[j]:
            d = p.off[j] - p.off[i]
            shifts[d] = shifts.get(d, 0) | (mask << p.off[i])
            continue
        lo_i, lo_j = p.lo[i], p.lo[j]
        table = tuple(((m.get(raw + lo_i, raw + lo_i) if m is not None else raw + lo_i) - lo_j)
                      & mask for raw in range(1 << w))
        names[f"P{e}_{i}"] = table
        terms.append(f"({_table_code(group, e, i, p, names)}[(s >> {p.off[i]}) & {mask}]"
                     f" << {p.off[j]})")
    for d, mask in sorted(shifts.items()):
        if d == 0:
            terms.append(f"(s & {mask})")
        elif d > 0:
            terms.append(f"((s & {mask}) << {d})")
        else:
            terms.append(f"((s & {mask}) >> {-d})")
    return "(" + " | ".join(terms or ["0"]) + ")"
