"""Concrete semantics of a :class:`~lazycheck.system.System`.

Expressions are compiled once into Python closures over a state tuple; the
explicit engine and trace replay both step states through
:class:`Semantics`, so there is exactly one concrete interpretation.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lazycheck.errors import ReplayError
from lazycheck.system import (
    TRUE,
    Action,
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
    conj,
)

State = tuple[int, ...]
# a State, or in packed mode (:class:`Packing`) the same state as one int
AnyState = Any
Fn = Callable[[AnyState], int]


def compile_expr(e: Expr, packing: Packing | None = None) -> Fn:
    """Turn an expression into a function ``state -> int``.

    Generated as straight-line code (see :class:`_Codegen`), so a subterm
    shared by many paths of the DAG is evaluated once per call.  With a
    ``packing`` the function reads a packed state (an int) instead of a tuple.
    """
    g = _Codegen((e,), packing)
    out = g.emit(e)
    src = "def value(s):\n" + "\n".join([*g.lines, f"    return {out}"]) + "\n"
    ns: dict[str, object] = {}
    exec(compile(src, "<lazycheck expression>", "exec"), ns)  # generated from IR only
    fn = ns["value"]
    assert callable(fn)
    return fn


_PYOP = {BinOp.ADD: "+", BinOp.SUB: "-", BinOp.EQ: "==", BinOp.NE: "!=", BinOp.LT: "<",
         BinOp.LE: "<=", BinOp.GT: ">", BinOp.GE: ">="}

# An inlined subterm deeper than this gets a local anyway: CPython's parser
# refuses deeply nested parentheses, and such a local is cheap next to its term.
MAX_INLINE_DEPTH = 24


def use_counts(roots: Sequence[Expr]) -> dict[int, int]:
    """How many parent edges of the DAG below ``roots`` reach each subterm (by ``id``).

    A subterm counted once is written inline by :class:`_Codegen`; only
    shared ones get a local, which keeps the generated frames small
    (CPython 3.11 mmaps a fresh frame chunk for a frame that does not fit).
    """
    return _walk(roots)[0]


def _walk(roots: Sequence[Expr]) -> tuple[dict[int, int], list[Expr]]:
    """:func:`use_counts` and every distinct node (by identity), in one walk."""
    counts: dict[int, int] = {}
    get = counts.get
    for r in roots:
        counts[id(r)] = get(id(r), 0) + 1
    stack: list[Expr] = list(roots)
    seen: set[int] = set()
    nodes: list[Expr] = []
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        nodes.append(e)
        for c in _children(e):
            counts[id(c)] = get(id(c), 0) + 1
            stack.append(c)
    return counts, nodes


def _nodes(roots: Sequence[Expr]) -> list[Expr]:
    """Every distinct (by identity) node of the DAG below ``roots``."""
    out: list[Expr] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        e = stack.pop()
        if id(e) not in seen:
            seen.add(id(e))
            out.append(e)
            stack.extend(_children(e))
    return out


def _children(e: Expr) -> tuple[Expr, ...]:
    # by exact type, most frequent first: this runs once per node of every action
    t = type(e)
    if t is Binary:
        return (e.left, e.right)  # type: ignore[union-attr]
    if t is Ite:
        return (e.cond, e.then, e.other)  # type: ignore[union-attr]
    if t is Not or t is Wrap:
        return (e.arg,)  # type: ignore[union-attr]
    if t is Select:
        return (e.index,)  # type: ignore[union-attr, return-value]
    return ()


def _first(pair: tuple[int, State]) -> int:
    return pair[0]


class _Codegen:
    """Straight-line Python for an expression DAG: one local per *shared* subterm.

    Subterms used once are written inline (up to :data:`MAX_INLINE_DEPTH`),
    so a context-switch action with thousands of subterms needs a few
    hundred locals rather than thousands.  The generated source holds only
    integers, state indices and operators, never text from a model, so
    models are still parsed and not executed.
    """

    def __init__(self, roots: Sequence[Expr], packing: Packing | None = None) -> None:
        self.packing = packing
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.uses, nodes = _walk(roots)
        self.var_uses: dict[int, int] = {}
        self.var_names: dict[int, str] = {}
        self.size = 0  # DAG nodes below the roots (packed mode)
        self.reads: set[int] = set()  # variables the roots may read (packed mode)
        if packing is not None:
            self.size = len(nodes)
            for e in nodes:
                if isinstance(e, Var):
                    self.reads.add(e.index)
                elif isinstance(e, Select):
                    self.reads.update(range(e.base, e.base + e.size))
                for c in _children(e):
                    if isinstance(c, Var):
                        self.var_uses[c.index] = self.var_uses.get(c.index, 0) + 1
        self.depth: dict[str, int] = {}  # nesting depth of inline code
        self.keep: list[Expr] = list(roots)  # keeps ids stable while compiling

    def emit(self, e: Expr) -> str:
        """Python source for ``e``: a literal, ``s[i]``, a local or an inline term."""
        key = id(e)
        if key in self.names:
            return self.names[key]
        match e:
            case Const(value=v):
                return str(v)
            case Var(index=i):
                return self._var(i)
        code, parts = self._code(e)
        depth = 1 + max((self.depth.get(p, 0) for p in parts), default=0)
        if self.uses.get(key, 0) < 2 and depth <= MAX_INLINE_DEPTH:
            self.depth[code] = depth
            return code
        name = f"t{len(self.names)}"
        self.lines.append(f"    {name} = {code}")
        self.names[key] = name
        return name

    def _var(self, i: int) -> str:
        if self.packing is None:
            return f"s[{i}]"
        if self.var_uses.get(i, 0) < 2:  # a packed read costs a shift and a mask
            return self.packing.read(i)
        name = self.var_names.get(i)
        if name is None:
            name = self.var_names[i] = f"v{i}"
            self.lines.append(f"    {name} = {self.packing.read(i)}")
        return name

    def test(self, e: Expr) -> str:
        """Python source that is truthy exactly when ``e`` is non-zero (no 0/1 coercion)."""
        key = id(e)
        if key in self.names or self.uses.get(key, 0) >= 2:
            return self.emit(e)
        code: str
        parts: tuple[str, ...]
        match e:
            case Not(arg=a):
                x = self.test(a)
                code, parts = f"(not {x})", (x,)
            case Binary(op=BinOp.AND | BinOp.OR as op, left=a, right=b):
                la, rb = self.test(a), self.test(b)
                code, parts = f"({la} {'and' if op is BinOp.AND else 'or'} {rb})", (la, rb)
            case Binary(op=op, left=a, right=b) if op not in (BinOp.ADD, BinOp.SUB):
                la, rb = self.emit(a), self.emit(b)
                code, parts = f"({la} {_PYOP[op]} {rb})", (la, rb)
            case _:
                return self.emit(e)
        depth = 1 + max((self.depth.get(p, 0) for p in parts), default=0)
        if depth > MAX_INLINE_DEPTH:
            return self.emit(e)
        self.depth[code] = depth
        return code

    def _code(self, e: Expr) -> tuple[str, tuple[str, ...]]:
        match e:
            case Select(base=base, index=ix):
                i = self.emit(ix)
                if self.packing is not None:
                    return self.packing.read_at(base, i), (i,)
                return f"s[{base} + {i}]", (i,)
            case Not(arg=a):
                x = self.test(a)
                return f"(0 if {x} else 1)", (x,)
            case Wrap(arg=a, lo=lo, hi=hi):
                x = self.emit(a)
                return f"({lo} + ({x} - {lo}) % {hi - lo + 1})", (x,)
            case Ite(cond=c, then=t, other=o):
                # operands in evaluation order of the old straight-line code
                tt, cc, oo = self.emit(t), self.test(c), self.emit(o)
                return f"({tt} if {cc} else {oo})", (tt, cc, oo)
            case Binary(op=op, left=a, right=b):
                if op in (BinOp.AND, BinOp.OR):
                    la, rb = self.test(a), self.test(b)
                    word = "and" if op is BinOp.AND else "or"
                    return f"(1 if ({la} {word} {rb}) else 0)", (la, rb)
                la, rb = self.emit(a), self.emit(b)
                if op in (BinOp.ADD, BinOp.SUB):
                    return f"({la} {_PYOP[op]} {rb})", (la, rb)
                return f"(1 if {la} {_PYOP[op]} {rb} else 0)", (la, rb)
        raise AssertionError(e)


def _compile_action_sized(guard: Expr, targets: tuple[int, ...], values: tuple[Expr, ...],
                          packing: Packing | None) -> tuple[Step, int, set[int]]:
    """The step function, its DAG's node count and the variables it reads (packed mode)."""
    g = _Codegen((guard, *values), packing)
    gv = g.test(guard)
    g.lines.append(f"    if not {gv}:\n        return None")
    outs = [g.emit(v) for v in values]
    if packing is None:
        g.lines.append("    n = list(s)")
        for t, o in zip(targets, outs, strict=True):
            g.lines.append(f"    n[{t}] = {o}")
        g.lines.append("    return tuple(n)")
    else:
        g.lines.extend(packing.write(targets, outs, values))
    src = "def step(s):\n" + "\n".join(g.lines) + "\n"
    ns: dict[str, object] = {"OutOfRange": OutOfRange}
    exec(compile(src, "<lazycheck action>", "exec"), ns)
    fn = ns["step"]
    assert callable(fn)
    return fn, g.size, g.reads


def conjuncts(e: Expr) -> list[Expr]:
    """The operands of a top-level ``&&`` chain (``[e]`` if ``e`` is no conjunction)."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Binary) and x.op is BinOp.AND:
            stack.append(x.right)
            stack.append(x.left)
        else:
            out.append(x)
    return out


def _var_eq_const(e: Expr) -> tuple[int, int] | None:
    """``(i, c)`` when ``e`` is ``Var(i) == Const(c)`` (either way round)."""
    if isinstance(e, Binary) and e.op is BinOp.EQ:
        a, b = e.left, e.right
        if isinstance(a, Var) and isinstance(b, Const):
            return a.index, b.value
        if isinstance(b, Var) and isinstance(a, Const):
            return b.index, a.value
    return None


# a conjunct shared by a whole group is compared structurally only when this small
_GATE_NODES = 16

Group = tuple[Expr, int, dict[int, tuple[int, ...]]]


def action_index(system: System) -> tuple[tuple[Group, ...], tuple[int, ...]]:
    """Which actions can be enabled, keyed on one ``var == const`` conjunct of each guard.

    Derived structurally from the guards: each action is *anchored* on the
    ``Var == Const`` conjunct of its guard whose variable takes the most
    distinct constants over all guards (a task's pc, a CPU's current task).
    Actions anchored on the same variable form a group; the conjuncts all
    of a group's guards share (e.g. "this task is current on its CPU")
    become the group's *gate*.  Returns the groups ``(gate, var, value ->
    action indices)`` and the actions with no anchor, tried in every state.
    Skipping an action whose anchor or gate is false is sound: both are
    conjuncts of its guard.  A group without a gate has gate ``TRUE``.
    """
    eqs = [[x for x in map(_var_eq_const, conjuncts(a.guard)) if x is not None]
           for a in system.actions]
    values: dict[int, set[int]] = {}
    for es in eqs:
        for v, c in es:
            values.setdefault(v, set()).add(c)
    anchored: dict[int, list[tuple[int, int]]] = {}  # var -> [(value, action)]
    always: list[int] = []
    for i, es in enumerate(eqs):
        if not es:
            always.append(i)
            continue
        v, c = max(es, key=lambda vc: (len(values[vc[0]]), -vc[0]))
        anchored.setdefault(v, []).append((c, i))
    groups: list[Group] = []
    for v, members in sorted(anchored.items(), key=lambda kv: kv[1][0][1]):
        table: dict[int, list[int]] = {}
        for c, i in members:
            table.setdefault(c, []).append(i)
        gate = _common_conjuncts([system.actions[i].guard for _, i in members], v)
        groups.append((conj(*gate), v, {c: tuple(ix) for c, ix in table.items()}))
    return tuple(groups), tuple(always)


def _common_conjuncts(guards: list[Expr], anchor: int) -> list[Expr]:
    """Small conjuncts present in every guard (the anchor's own equality excluded)."""
    first = [c for c in conjuncts(guards[0])
             if len(use_counts((c,))) <= _GATE_NODES and _anchor_of(c) != anchor]
    rest = [conjuncts(g) for g in guards[1:]]
    return [c for c in first if all(c in cs for cs in rest)]


def _anchor_of(e: Expr) -> int | None:
    vc = _var_eq_const(e)
    return None if vc is None else vc[0]


class OutOfRange(Exception):
    """A packed step computed a value its variable's bit field cannot hold."""


Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Packing:
    """Fixed-width bit fields, one per state variable: a state as one int.

    Variable ``i`` holds ``value - lo[i]`` in ``width[i]`` bits at ``off[i]``.
    The variables an array read (:class:`Select`) ranges over share one
    ``lo`` and one width, so ``vars[base + ix]`` is a shift by
    ``off[base] + width * ix``.  Packing is a bijection on the states whose
    values fit their fields; a step whose value might not fit (the interval
    analysis cannot prove it) checks and raises :class:`OutOfRange`, and the
    caller falls back to tuples, so packing never changes the state space.
    A variable no action writes and no array read ranges over is a constant:
    it takes no bits (``width`` 0, ``lo`` its initial value).
    """

    lo: tuple[int, ...]
    width: tuple[int, ...]
    off: tuple[int, ...]
    bits: int

    @staticmethod
    def of(system: System) -> Packing:
        """The layout for ``system`` from its variables' ``lo..hi`` and its array reads."""
        n = len(system.vars)
        parent = list(range(n))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for base, size in _select_ranges(system):
            for k in range(base + 1, base + size):
                parent[find(k)] = find(base)
        fixed = constants(system)
        lo: dict[int, int] = {}
        hi: dict[int, int] = {}
        for i, v in enumerate(system.vars):
            r = find(i)
            vlo, vhi = v.lo, v.hi
            if i in fixed:
                vlo = vhi = system.init[i]
            lo[r] = min(lo.get(r, vlo), vlo)
            hi[r] = max(hi.get(r, vhi), vhi)
        los = tuple(lo[find(i)] for i in range(n))
        widths = tuple((hi[find(i)] - lo[find(i)]).bit_length() for i in range(n))
        offs: list[int] = []
        at = 0
        for w in widths:
            offs.append(at)
            at += w
        return Packing(los, widths, tuple(offs), at)

    def mask(self, variables: Iterable[int]) -> int:
        """The bits of the fields of ``variables``."""
        out = 0
        for i in variables:
            out |= ((1 << self.width[i]) - 1) << self.off[i]
        return out

    def pack(self, state: State) -> int:
        """The packed int of a tuple state; :class:`OutOfRange` if a value does not fit."""
        out = 0
        for v, lo, w, off in zip(state, self.lo, self.width, self.off, strict=True):
            if not 0 <= v - lo < 1 << w:
                raise OutOfRange
            out |= (v - lo) << off
        return out

    def unpack(self, packed: int) -> State:
        """The tuple state of a packed int."""
        return tuple(lo + ((packed >> off) & ((1 << w) - 1))
                     for lo, w, off in zip(self.lo, self.width, self.off, strict=True))

    def field(self, i: int) -> Interval:
        """The values variable ``i``'s field can hold."""
        return self.lo[i], self.lo[i] + (1 << self.width[i]) - 1

    def read(self, i: int) -> str:
        """Python source reading variable ``i`` from the packed state ``s``."""
        w, lo = self.width[i], self.lo[i]
        if w == 0:
            return str(lo)
        shifted = f"(s >> {self.off[i]})" if self.off[i] else "s"
        return f"(({shifted} & {(1 << w) - 1}){f' + {lo}' if lo else ''})"

    def read_at(self, base: int, index: str) -> str:
        """Python source reading ``vars[base + index]`` from ``s``."""
        w, lo = self.width[base], self.lo[base]
        if w == 0:
            return str(lo)
        at = f"{self.off[base]} + {w} * {index}" if w > 1 else f"{self.off[base]} + {index}"
        return f"(((s >> ({at})) & {(1 << w) - 1}){f' + {lo}' if lo else ''})"

    def write(self, targets: tuple[int, ...], outs: list[str], values: tuple[Expr, ...]
              ) -> list[str]:
        """Lines returning the successor: ``s`` with ``targets`` set to ``outs``."""
        keep = (1 << self.bits) - 1
        lines: list[str] = []
        parts: list[str] = []
        memo: dict[int, Interval] = {}
        for k, (t, o, v) in enumerate(zip(targets, outs, values, strict=True)):
            w, lo, off = self.width[t], self.lo[t], self.off[t]
            keep &= ~(((1 << w) - 1) << off)
            flo, fhi = self.field(t)
            vlo, vhi = self.interval(v, memo)
            if not flo <= vlo <= vhi <= fhi:
                lines.append(f"    u{k} = {o}")
                lines.append(f"    if not {flo} <= u{k} <= {fhi}:\n        raise OutOfRange")
                o = f"u{k}"
            if w == 0:
                continue
            val = f"({o} - {lo})" if lo else o
            parts.append(f"({val} << {off})" if off else val)
        lines.append("    return " + " | ".join([f"(s & {keep})", *parts]))
        return lines

    def interval(self, e: Expr, memo: dict[int, Interval]) -> Interval:
        """Bounds on ``e``'s value in any state whose values fit their fields."""
        key = id(e)
        if key in memo:
            return memo[key]
        r: Interval
        match e:
            case Const(value=c):
                r = (c, c)
            case Var(index=i):
                r = self.field(i)
            case Select(base=base):
                r = self.field(base)
            case Wrap(lo=lo, hi=hi):
                r = (lo, hi)
            case Ite(then=t, other=o):
                p, q = self.interval(t, memo), self.interval(o, memo)
                r = (min(p[0], q[0]), max(p[1], q[1]))
            case Binary(op=BinOp.ADD, left=x, right=y):
                p, q = self.interval(x, memo), self.interval(y, memo)
                r = (p[0] + q[0], p[1] + q[1])
            case Binary(op=BinOp.SUB, left=x, right=y):
                p, q = self.interval(x, memo), self.interval(y, memo)
                r = (p[0] - q[1], p[1] - q[0])
            case _:
                r = (0, 1)  # comparisons, Not, && and ||
        memo[key] = r
        return r


def constants(system: System) -> set[int]:
    """Variables no action writes and no array read ranges over (packed: no bits)."""
    out = set(range(len(system.vars))) - {u.var for a in system.actions for u in a.updates}
    for base, size in _select_ranges(system):
        out.difference_update(range(base, base + size))
    return out


def _select_ranges(system: System) -> set[tuple[int, int]]:
    """``(base, size)`` of every array read in the system's expressions."""
    out: set[tuple[int, int]] = set()
    roots: list[Expr] = []
    for a in system.actions:
        roots.append(a.guard)
        roots.append(a.witness)
        roots.extend(u.value for u in a.updates)
        roots.extend(st.when for st in a.steps)
    stack = roots
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Select):
            out.add((e.base, e.size))
        stack.extend(_children(e))
    return out


Step = Callable[[AnyState], AnyState | None]

# actions whose guard and updates have more DAG nodes than this are memoized
MEMO_NODES = 30
# entries one action's memo holds before it is emptied (about 110 bytes each): bounds its
# memory, and a memo emptied when full follows the BFS frontier (a memo frozen at its
# first entries hits less: at this cap, emptying was as fast as a 16k frozen memo)
MEMO_CAP = 1 << 12


def fast_step(action: Action, step: Step, size: int, reads: set[int],
              packing: Packing | None) -> Step:
    """The step the search calls: ``step``, memoized on the bit fields it reads if large.

    A step is a function of the variables its guard and updates read (an
    array read reads the whole array), so ``s & reads`` determines whether it
    is enabled and what it writes: the memo maps that projection to the
    written fields (or -1: disabled), and a hit costs two masks and a dict
    lookup instead of a few hundred generated lines.  Only packed steps of
    more than :data:`MEMO_NODES` DAG nodes are memoized; a memo holding
    :data:`MEMO_CAP` entries is emptied and starts again.
    """
    if packing is None or size <= MEMO_NODES:
        return step
    return _memo(step, packing.mask(reads), packing.mask(u.var for u in action.updates))


def _memo(f: Step, reads: int, writes: int) -> Step:
    """``f`` memoized on ``s & reads``; the memo holds ``(f(s) & writes) >> low`` or -1
    (shifted down to the lowest written bit: smaller ints), each distinct value
    stored once (a few thousand distinct values serve ~100k entries)."""
    cache: dict[int, int] = {}
    get = cache.get
    values: dict[int, int] = {}
    one = values.setdefault
    keep = ~writes
    low = (writes & -writes).bit_length() - 1 if writes else 0
    cap = MEMO_CAP

    def step(s: int) -> int | None:
        k = s & reads
        r = get(k)
        if r is None:
            n = f(s)
            if n is None:
                r = -1
            else:
                r = (n & writes) >> low
                r = one(r, r)
            if len(cache) >= cap:
                cache.clear()
                if len(values) >= cap:
                    values.clear()
            cache[k] = r
        return None if r < 0 else (s & keep) | (r << low)

    return step


Successors = Callable[[AnyState], list[tuple[int, AnyState]]]


def _compile_successors(system: System, steps: list[Step],
                        packing: Packing | None) -> Successors:
    """One generated function dispatching on :func:`action_index`: per group, read
    the anchor, look up its candidates, test the gate, try them in index order.
    ``steps`` is read at each call (``F[i]``), so an entry may be replaced later."""
    groups, always = action_index(system)
    ns: dict[str, object] = {"first": _first, "F": steps}
    lines = ["def successors(s):", "    out = []"]
    for k, (gate, var, table) in enumerate(groups):
        ns[f"T{k}"] = {c: tuple(ix) for c, ix in table.items()}
        g = _Codegen((gate,), packing)
        test = g.test(gate)
        key = f"s[{var}]" if packing is None else packing.read(var)
        lines.append(f"    c = T{k}.get({key})")
        lines.append("    if c is not None:")
        lines.extend("    " + _rename(ln, k) for ln in g.lines)
        lines.append(f"        if {_rename(test, k)}:" if gate != TRUE else "        if 1:")
        lines.append("            for i in c:")
        lines.append("                n = F[i](s)")
        lines.append("                if n is not None:")
        lines.append("                    out.append((i, n))")
    ns["A"] = tuple(always)
    if always:
        lines += ["    for i in A:", "        n = F[i](s)", "        if n is not None:",
                  "            out.append((i, n))"]
    spans = [(min(i for ix in t.values() for i in ix), max(i for ix in t.values() for i in ix))
             for _, _, t in groups] + [(i, i) for i in always]
    if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
        lines.append("    if len(out) > 1:\n        out.sort(key=first)")
    lines.append("    return out")
    exec(compile("\n".join(lines) + "\n", "<lazycheck successors>", "exec"), ns)
    fn = ns["successors"]
    assert callable(fn)
    return fn


def _rename(code: str, k: int) -> str:
    """Locals ``tN`` of a gate's code as ``gK_N`` (one namespace per group)."""
    return re.sub(r"\bt(\d+)\b", rf"g{k}_\1", code)


class Semantics:
    """Enabledness and successor computation for one system.

    States are tuples; with a :class:`Packing` (``packing=``) every method
    but :meth:`replay` takes and returns packed ints instead, and a step
    whose value does not fit its field raises :class:`OutOfRange`.
    """

    def __init__(self, system: System, packing: Packing | None = None) -> None:
        self.system = system
        self.packing = packing
        # actions are compiled on first use: a search that never reaches an
        # action's anchor value (most FAIL targets) never pays for its code
        self._plain: list[Step | None] = [None] * len(system.actions)
        self._fast: list[Step] = [self._stub(i) for i in range(len(system.actions))]
        self._violation = compile_expr(Var(system.violation_var), packing)
        self._successors = _compile_successors(system, self._fast, packing)
        self.init: AnyState = system.init if packing is None else packing.pack(system.init)

    def _stub(self, index: int) -> Step:
        """A stand-in for action ``index`` that compiles it, replaces itself, and steps."""
        def step(s: AnyState) -> AnyState | None:
            return self._compile(index)[1](s)
        return step

    def _compile(self, index: int) -> tuple[Step, Step]:
        """Action ``index``'s (plain, fast) steps, compiled now if not yet."""
        plain = self._plain[index]
        if plain is None:
            a = self.system.actions[index]
            plain, size, reads = _compile_action_sized(
                a.guard, tuple(u.var for u in a.updates), tuple(u.value for u in a.updates),
                self.packing)
            self._plain[index] = plain
            self._fast[index] = fast_step(a, plain, size, reads, self.packing)
        return plain, self._fast[index]

    def compile_all(self) -> None:
        """Compile every action now (before forking workers, so they share the code)."""
        for i in range(len(self._plain)):
            self._compile(i)

    def _step_fn(self, index: int) -> Step:
        """The plain (unmemoized) step of action ``index``."""
        plain = self._plain[index]
        return plain if plain is not None else self._compile(index)[0]

    def violation(self, state: AnyState) -> int:
        """The violation code of ``state`` (0: no property failed)."""
        return self._violation(state)

    @property
    def violation_fn(self) -> Fn:
        """:meth:`violation` itself, without the method call (for the search loop)."""
        return self._violation

    @property
    def successor_fn(self) -> Successors:
        """:meth:`successors` itself, without the method call (for the search loop)."""
        return self._successors

    def frame_locals(self) -> tuple[int, ...]:
        """Locals of each generated action function (``make bench`` reports them)."""
        return tuple(self._step_fn(i).__code__.co_nlocals for i in range(len(self._plain)))

    def enabled(self, state: AnyState, index: int) -> bool:
        """Whether action ``index`` is enabled in ``state``."""
        return self._step_fn(index)(state) is not None

    def step(self, state: AnyState, index: int) -> AnyState:
        """The successor of ``state`` under action ``index``, which must be enabled."""
        nxt = self._step_fn(index)(state)
        if nxt is None:
            raise ReplayError(f"action {self.system.actions[index].name} is not enabled")
        return nxt

    def successors(self, state: AnyState) -> list[tuple[int, AnyState]]:
        """``(action index, successor)`` for every enabled action, by action index.

        Only the actions :func:`action_index` says can be enabled are evaluated.
        """
        return self._successors(state)

    def evaluate(self, e: Expr, state: AnyState) -> int:
        """The value of ``e`` in ``state``."""
        return compile_expr(e, self.packing)(state)

    def replay(self, actions: Sequence[int]) -> list[State]:
        """States visited by ``actions`` from the initial state.

        Raises :class:`ReplayError` if some action is not enabled where the
        trace takes it, or a state leaves its variable's declared range.
        Tuples in either mode.
        """
        cur: AnyState = self.init
        states = [self.system.init]
        for k, idx in enumerate(actions):
            if not 0 <= idx < len(self._plain):
                raise ReplayError(f"step {k + 1}: no action #{idx}")
            try:
                nxt = self._step_fn(idx)(cur)
            except OutOfRange:
                raise ReplayError(f"step {k + 1}: a value leaves its variable's field"
                                  ) from None
            if nxt is None:
                name = self.system.actions[idx].name
                raise ReplayError(f"step {k + 1}: action {name} is not enabled")
            cur = nxt
            state: State = cur if self.packing is None else self.packing.unpack(cur)
            for var, val in zip(self.system.vars, state, strict=True):
                if not var.lo <= val <= var.hi:
                    raise ReplayError(
                        f"step {k + 1}: {var.name} = {val} outside {var.lo}..{var.hi}")
            states.append(state)
        return states
