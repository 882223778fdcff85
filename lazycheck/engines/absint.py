"""Per-depth value sets: a non-relational over-approximation of the states at each depth.

``ValueSets(system).next()`` steps an abstract state -- for each variable,
the set of values it may hold at depth ``k`` -- by every action whose guard
may hold, evaluating expressions over sets.  Every state reachable in
exactly ``k`` steps has each variable inside its depth-``k`` set, and no
action whose guard is abstractly false can fire at depth ``k``.  BMC asserts
both facts at each unrolled step (:mod:`lazycheck.engines.bmc`): they are
implied by the path constraints, so they prune without changing any
answer.  They help most where pcs are far from their loops' steady state:
a task at depth ``k`` can only be at a pc within ``k`` of its start.

A set larger than :data:`WIDE` widens to ``None`` ("any value in range").
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

from lazycheck.system import (
    Binary,
    Const,
    Expr,
    Ite,
    Not,
    Select,
    System,
    Var,
    Wrap,
    eval_binop,
)

WIDE = 24

Values = frozenset[int] | None  # None: every value (widened)
Abstract = tuple[Values, ...]


class ValueSets:
    """The abstract state at successive depths, from the initial state."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.state: Abstract = tuple(frozenset({v}) for v in system.init)
        self.enabled: tuple[bool, ...] = ()

    def step(self) -> None:
        """Advance one depth; ``enabled`` says which actions may fire from the old one."""
        ev = _Eval(self.state)
        out: list[set[int] | None] = [set(v) if v is not None else None for v in self.state]
        enabled = []
        for a in self.system.actions:
            g = ev.of(a.guard)
            may = g is None or any(x != 0 for x in g)  # None: unknown, may hold
            enabled.append(may)
            if not may:
                continue
            for u in a.updates:
                val = ev.of(u.value)
                cur = out[u.var]
                if val is None or cur is None:
                    out[u.var] = None
                else:
                    cur.update(val)
        self.enabled = tuple(enabled)
        self.state = tuple(None if s is None or len(s) > WIDE else frozenset(s) for s in out)


class _Eval:
    """Set-valued evaluation of expressions, memoised by node."""

    def __init__(self, state: Abstract) -> None:
        self.s = state
        self.memo: dict[int, tuple[Expr, Values]] = {}

    def of(self, e: Expr) -> Values:
        hit = self.memo.get(id(e))
        if hit is None:
            hit = (e, self._of(e))
            self.memo[id(e)] = hit
        return hit[1]

    def _lift(self, f: Callable[..., int], *args: Values) -> Values:
        if any(a is None for a in args):
            return None
        sets = [a for a in args if a is not None]
        if _size(sets) > 4 * WIDE * WIDE:
            return None
        out = frozenset(f(*xs) for xs in product(*sets))
        return None if len(out) > WIDE else out

    def _of(self, e: Expr) -> Values:
        match e:
            case Const(value=v):
                return frozenset({v})
            case Var(index=i):
                return self.s[i]
            case Select(base=b, size=n, index=ix):
                idx = self.of(ix)
                cells = range(n) if idx is None else [k for k in idx if 0 <= k < n]
                acc: set[int] = set()
                for k in cells:
                    c = self.s[b + k]
                    if c is None:
                        return None
                    acc.update(c)
                return frozenset(acc) if len(acc) <= WIDE else None
            case Not(arg=a):
                return self._lift(lambda x: int(x == 0), self.of(a))
            case Wrap(arg=a, lo=lo, hi=hi):
                return self._lift(lambda x: lo + (x - lo) % (hi - lo + 1), self.of(a))
            case Binary(op=op, left=a, right=b):
                return self._lift(lambda x, y: eval_binop(op, x, y), self.of(a), self.of(b))
            case Ite(cond=c, then=t, other=o):
                cv = self.of(c)
                if cv is not None and all(x == 0 for x in cv):
                    return self.of(o)
                if cv is not None and all(x != 0 for x in cv):
                    return self.of(t)
                tv, ov = self.of(t), self.of(o)
                return None if tv is None or ov is None else tv | ov
        raise AssertionError(e)


def _size(sets: list[frozenset[int]]) -> int:
    n = 1
    for s in sets:
        n *= len(s)
    return n
