"""Concrete semantics of a :class:`~lazycheck.system.System`.

Expressions are compiled once into Python closures over a state tuple; the
explicit engine and trace replay both step states through
:class:`Semantics`, so there is exactly one concrete interpretation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lazycheck.errors import ReplayError
from lazycheck.system import (
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
)

State = tuple[int, ...]
Fn = Callable[[State], int]


def compile_expr(e: Expr) -> Fn:
    """Turn an expression into a closure ``state -> int``."""
    match e:
        case Const(value=v):
            return lambda s: v
        case Var(index=i):
            return lambda s: s[i]
        case Select(base=b, index=ix):
            fi = compile_expr(ix)
            if isinstance(ix, Var):
                j = ix.index
                return lambda s: s[b + s[j]]
            return lambda s: s[b + fi(s)]
        case Not(arg=a):
            fa = compile_expr(a)
            return lambda s: 0 if fa(s) else 1
        case Wrap(arg=a, lo=lo, hi=hi):
            fa = compile_expr(a)
            width = hi - lo + 1
            return lambda s: lo + (fa(s) - lo) % width
        case Ite(cond=c, then=t, other=o):
            fc, ft, fo = compile_expr(c), compile_expr(t), compile_expr(o)
            return lambda s: ft(s) if fc(s) else fo(s)
        case Binary(op=op, left=a, right=b):
            return _compile_binary(op, compile_expr(a), compile_expr(b))
    raise AssertionError(e)


def _compile_binary(op: BinOp, fa: Fn, fb: Fn) -> Fn:
    match op:
        case BinOp.ADD:
            return lambda s: fa(s) + fb(s)
        case BinOp.SUB:
            return lambda s: fa(s) - fb(s)
        case BinOp.EQ:
            return lambda s: 1 if fa(s) == fb(s) else 0
        case BinOp.NE:
            return lambda s: 1 if fa(s) != fb(s) else 0
        case BinOp.LT:
            return lambda s: 1 if fa(s) < fb(s) else 0
        case BinOp.LE:
            return lambda s: 1 if fa(s) <= fb(s) else 0
        case BinOp.GT:
            return lambda s: 1 if fa(s) > fb(s) else 0
        case BinOp.GE:
            return lambda s: 1 if fa(s) >= fb(s) else 0
        case BinOp.AND:
            return lambda s: 1 if fa(s) and fb(s) else 0
        case BinOp.OR:
            return lambda s: 1 if fa(s) or fb(s) else 0
    raise AssertionError(op)


@dataclass(frozen=True, slots=True)
class _CompiledAction:
    guard: Fn
    targets: tuple[int, ...]
    values: tuple[Fn, ...]


class Semantics:
    """Enabledness and successor computation for one system."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._actions = tuple(
            _CompiledAction(
                compile_expr(a.guard),
                tuple(u.var for u in a.updates),
                tuple(compile_expr(u.value) for u in a.updates),
            )
            for a in system.actions
        )
        self._violation = system.violation_var

    def violation(self, state: State) -> int:
        return state[self._violation]

    def enabled(self, state: State, index: int) -> bool:
        return bool(self._actions[index].guard(state))

    def step(self, state: State, index: int) -> State:
        """The successor of ``state`` under action ``index`` (assumed enabled)."""
        ca = self._actions[index]
        nxt = list(state)
        for t, f in zip(ca.targets, ca.values, strict=True):
            nxt[t] = f(state)
        return tuple(nxt)

    def successors(self, state: State) -> list[tuple[int, State]]:
        out: list[tuple[int, State]] = []
        for i, ca in enumerate(self._actions):
            if ca.guard(state):
                nxt = list(state)
                for t, f in zip(ca.targets, ca.values, strict=True):
                    nxt[t] = f(state)
                out.append((i, tuple(nxt)))
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
            if not 0 <= idx < len(self._actions):
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


def action_of(system: System, index: int) -> Action:
    return system.actions[index]
