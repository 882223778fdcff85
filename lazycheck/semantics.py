"""Concrete semantics of a :class:`~lazycheck.system.System`.

Expressions are compiled once into Python closures over a state tuple; the
explicit engine and trace replay both step states through
:class:`Semantics`, so there is exactly one concrete interpretation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lazycheck.errors import ReplayError
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
    conj,
)

State = tuple[int, ...]
Fn = Callable[[State], int]


def compile_expr(e: Expr) -> Fn:
    """Turn an expression into a function ``state -> int``.

    Generated as straight-line code (see :class:`_Codegen`), so a subterm
    shared by many paths of the DAG is evaluated once per call.
    """
    g = _Codegen((e,))
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
    counts: dict[int, int] = {}
    stack: list[Expr] = list(roots)
    for r in roots:
        counts[id(r)] = counts.get(id(r), 0) + 1
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        for c in _children(e):
            counts[id(c)] = counts.get(id(c), 0) + 1
            stack.append(c)
    return counts


def _children(e: Expr) -> tuple[Expr, ...]:
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

    def __init__(self, roots: Sequence[Expr]) -> None:
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.uses = use_counts(roots)
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
                return f"s[{i}]"
        code, parts = self._code(e)
        depth = 1 + max((self.depth.get(p, 0) for p in parts), default=0)
        if self.uses.get(key, 0) < 2 and depth <= MAX_INLINE_DEPTH:
            self.depth[code] = depth
            return code
        name = f"t{len(self.names)}"
        self.lines.append(f"    {name} = {code}")
        self.names[key] = name
        return name

    def _code(self, e: Expr) -> tuple[str, tuple[str, ...]]:
        match e:
            case Select(base=base, index=ix):
                i = self.emit(ix)
                return f"s[{base} + {i}]", (i,)
            case Not(arg=a):
                x = self.emit(a)
                return f"(0 if {x} else 1)", (x,)
            case Wrap(arg=a, lo=lo, hi=hi):
                x = self.emit(a)
                return f"({lo} + ({x} - {lo}) % {hi - lo + 1})", (x,)
            case Ite(cond=c, then=t, other=o):
                # operands in evaluation order of the old straight-line code
                tt, cc, oo = self.emit(t), self.emit(c), self.emit(o)
                return f"({tt} if {cc} else {oo})", (tt, cc, oo)
            case Binary(op=op, left=a, right=b):
                la, rb = self.emit(a), self.emit(b)
                if op is BinOp.AND:
                    return f"(1 if ({la} and {rb}) else 0)", (la, rb)
                if op is BinOp.OR:
                    return f"(1 if ({la} or {rb}) else 0)", (la, rb)
                if op in (BinOp.ADD, BinOp.SUB):
                    return f"({la} {_PYOP[op]} {rb})", (la, rb)
                return f"(1 if {la} {_PYOP[op]} {rb} else 0)", (la, rb)
        raise AssertionError(e)


def _compile_action(guard: Expr, targets: tuple[int, ...], values: tuple[Expr, ...]
                    ) -> Callable[[State], State | None]:
    g = _Codegen((guard, *values))
    gv = g.emit(guard)
    g.lines.append(f"    if not {gv}:\n        return None")
    outs = [g.emit(v) for v in values]
    g.lines.append("    n = list(s)")
    for t, o in zip(targets, outs, strict=True):
        g.lines.append(f"    n[{t}] = {o}")
    g.lines.append("    return tuple(n)")
    src = "def step(s):\n" + "\n".join(g.lines) + "\n"
    ns: dict[str, object] = {}
    exec(compile(src, "<lazycheck action>", "exec"), ns)
    fn = ns["step"]
    assert callable(fn)
    return fn


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

Group = tuple[Fn | None, int, dict[int, tuple[int, ...]]]


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
    conjuncts of its guard.
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
        groups.append((compile_expr(conj(*gate)) if gate else None, v,
                       {c: tuple(ix) for c, ix in table.items()}))
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


class Semantics:
    """Enabledness and successor computation for one system."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._steps = tuple(
            _compile_action(a.guard, tuple(u.var for u in a.updates),
                            tuple(u.value for u in a.updates))
            for a in system.actions
        )
        self._violation = system.violation_var
        self._groups, self._always = action_index(system)

    def violation(self, state: State) -> int:
        return state[self._violation]

    def frame_locals(self) -> tuple[int, ...]:
        """Locals of each generated action function (``make bench`` reports them)."""
        return tuple(f.__code__.co_nlocals for f in self._steps)

    def enabled(self, state: State, index: int) -> bool:
        return self._steps[index](state) is not None

    def step(self, state: State, index: int) -> State:
        """The successor of ``state`` under action ``index``, which must be enabled."""
        nxt = self._steps[index](state)
        if nxt is None:
            raise ReplayError(f"action {self.system.actions[index].name} is not enabled")
        return nxt

    def successors(self, state: State) -> list[tuple[int, State]]:
        """``(action index, successor)`` for every enabled action, by action index.

        Only the actions :func:`action_index` says can be enabled are evaluated.
        """
        out: list[tuple[int, State]] = []
        steps = self._steps
        for gate, var, table in self._groups:
            cand = table.get(state[var])
            if cand is None or (gate is not None and not gate(state)):
                continue
            for i in cand:
                nxt = steps[i](state)
                if nxt is not None:
                    out.append((i, nxt))
        for i in self._always:
            nxt = steps[i](state)
            if nxt is not None:
                out.append((i, nxt))
        if len(out) > 1:
            out.sort(key=_first)
        return out

    def evaluate(self, e: Expr, state: State) -> int:
        return compile_expr(e)(state)

    def replay(self, actions: Sequence[int]) -> list[State]:
        """States visited by ``actions`` from the initial state.

        Raises :class:`ReplayError` if some action is not enabled where the
        trace takes it, or a state leaves its variable's declared range.
        """
        state: State = self.system.init
        states = [state]
        for k, idx in enumerate(actions):
            if not 0 <= idx < len(self._steps):
                raise ReplayError(f"step {k + 1}: no action #{idx}")
            if not self.enabled(state, idx):
                name = self.system.actions[idx].name
                raise ReplayError(f"step {k + 1}: action {name} is not enabled")
            state = self.step(state, idx)
            for var, val in zip(self.system.vars, state, strict=True):
                if not var.lo <= val <= var.hi:
                    raise ReplayError(
                        f"step {k + 1}: {var.name} = {val} outside {var.lo}..{var.hi}")
            states.append(state)
        return states
