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
        out: list[tuple[int, State]] = []
        for i, step in enumerate(self._steps):
            nxt = step(state)
            if nxt is not None:
                out.append((i, nxt))
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
