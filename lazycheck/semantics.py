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
    g = _Codegen()
    out = g.emit(e)
    src = "def value(s):\n" + "\n".join([*g.lines, f"    return {out}"]) + "\n"
    ns: dict[str, object] = {}
    exec(compile(src, "<lazycheck expression>", "exec"), ns)  # generated from IR only
    fn = ns["value"]
    assert callable(fn)
    return fn


_PYOP = {BinOp.ADD: "+", BinOp.SUB: "-", BinOp.EQ: "==", BinOp.NE: "!=", BinOp.LT: "<",
         BinOp.LE: "<=", BinOp.GT: ">", BinOp.GE: ">="}


class _Codegen:
    """Straight-line Python for an expression DAG: one local per shared subterm.

    The generated source holds only integers, state indices and operators,
    never text from a model, so models are still parsed and not executed.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.keep: list[Expr] = []  # keeps ids stable while compiling

    def emit(self, e: Expr) -> str:
        key = id(e)
        if key in self.names:
            return self.names[key]
        self.keep.append(e)
        match e:
            case Const(value=v):
                return str(v)
            case Var(index=i):
                code = f"s[{i}]"
            case Select(base=base, index=ix):
                code = f"s[{base} + {self.emit(ix)}]"
            case Not(arg=a):
                code = f"(0 if {self.emit(a)} else 1)"
            case Wrap(arg=a, lo=lo, hi=hi):
                code = f"({lo} + ({self.emit(a)} - {lo}) % {hi - lo + 1})"
            case Ite(cond=c, then=t, other=o):
                code = f"({self.emit(t)} if {self.emit(c)} else {self.emit(o)})"
            case Binary(op=op, left=a, right=b):
                la, rb = self.emit(a), self.emit(b)
                if op is BinOp.AND:
                    code = f"(1 if ({la} and {rb}) else 0)"
                elif op is BinOp.OR:
                    code = f"(1 if ({la} or {rb}) else 0)"
                elif op in (BinOp.ADD, BinOp.SUB):
                    code = f"({la} {_PYOP[op]} {rb})"
                else:
                    code = f"(1 if {la} {_PYOP[op]} {rb} else 0)"
            case _:
                raise AssertionError(e)
        name = f"t{len(self.names)}"
        self.lines.append(f"    {name} = {code}")
        self.names[key] = name
        return name


def _compile_action(guard: Expr, targets: tuple[int, ...], values: tuple[Expr, ...]
                    ) -> Callable[[State], State | None]:
    g = _Codegen()
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
