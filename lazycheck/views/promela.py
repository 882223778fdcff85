"""A :class:`~lazycheck.system.System` as Promela, for a cross-check with SPIN.

The translation keeps the atomicity and the monitors of the system exactly:

* every state variable is one global (``byte``/``short``/``int`` by its
  range) named ``v<i>``, with its lazycheck name in a comment, initialised
  to the system's initial state;
* one process loops over the actions: ``do :: d_step { guard -> ... } od``,
  one alternative per action, so one action is one indivisible step and the
  states SPIN stores are exactly the system's states;
* an action is a parallel assignment: every right-hand side (and every
  subterm it shares) is first computed into ``hidden`` temporaries, which
  are not part of SPIN's state vector, then assigned;
* the monitors are already part of the system (the violation variable), so
  each step ends with ``assert(<violation> == 0)``: SPIN reports an
  assertion violation exactly where lazycheck reports FAIL.

Run with ``spin -a``, ``gcc -DSAFETY -DNOREDUCE`` and ``./pan -E`` (no
invalid-end-state check: a system with no enabled action just stops, as in
lazycheck).  On a PASS target whose space lazycheck exhausts, SPIN's
"states, stored" equals lazycheck's state count.  Nothing here prints.
"""

from __future__ import annotations

from lazycheck.semantics import MAX_INLINE_DEPTH, use_counts
from lazycheck.system import (
    Action,
    Binary,
    BinOp,
    Const,
    Expr,
    Ite,
    Not,
    Select,
    StateVar,
    System,
    Var,
    Wrap,
)

_OPS = {BinOp.ADD: "+", BinOp.SUB: "-", BinOp.EQ: "==", BinOp.NE: "!=", BinOp.LT: "<",
        BinOp.LE: "<=", BinOp.GT: ">", BinOp.GE: ">=", BinOp.AND: "&&", BinOp.OR: "||"}


def _type(v: StateVar) -> str:
    if v.lo >= 0 and v.hi <= 255:
        return "byte"
    if v.lo >= -32768 and v.hi <= 32767:
        return "short"
    return "int"


class _Writer:
    """Promela expressions for one action: shared subterms go to hidden temporaries."""

    def __init__(self, roots: tuple[Expr, ...], share: bool) -> None:
        self.uses = use_counts(roots) if share else {}
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.depth: dict[str, int] = {}
        self.temps = 0

    def emit(self, e: Expr) -> str:
        """Promela for ``e``: a literal, a variable, a temporary or an inline term."""
        match e:
            case Const(value=c):
                return str(c)
            case Var(index=i):
                return f"v{i}"
        if id(e) in self.names:
            return self.names[id(e)]
        code, parts = self._code(e)
        depth = 1 + max((self.depth.get(p, 0) for p in parts), default=0)
        if self.uses.get(id(e), 0) < 2 and (depth <= MAX_INLINE_DEPTH or not self.uses):
            self.depth[code] = depth
            return code
        return self.temp(code, id(e))

    def temp(self, code: str, key: int | None = None) -> str:
        """Bind ``code`` to the next hidden temporary."""
        name = f"h[{self.temps}]"
        self.temps += 1
        self.lines.append(f"{name} = {code};")
        if key is not None:
            self.names[key] = name
        return name

    def _code(self, e: Expr) -> tuple[str, tuple[str, ...]]:
        match e:
            case Select(base=b, size=n, index=ix):
                i = self.emit(ix)
                if self.uses and not isinstance(ix, Const | Var):
                    i = self.temp(i, id(ix))
                acc = f"v{b + n - 1}"
                for k in range(n - 2, -1, -1):
                    acc = f"({i} == {k} -> v{b + k} : {acc})"
                return acc, (i,)
            case Not(arg=a):
                x = self.emit(a)
                return f"(!{x})", (x,)
            case Wrap(arg=a, lo=lo, hi=hi):
                x, m = self.emit(a), hi - lo + 1
                return f"({lo} + ((({x}) - {lo}) % {m} + {m}) % {m})", (x,)
            case Ite(cond=c, then=t, other=o):
                cc, tt, oo = self.emit(c), self.emit(t), self.emit(o)
                return f"({cc} -> {tt} : {oo})", (cc, tt, oo)
            case Binary(op=op, left=a, right=b):
                la, rb = self.emit(a), self.emit(b)
                return f"({la} {_OPS[op]} {rb})", (la, rb)
        raise AssertionError(e)


def _action(a: Action, viol: int) -> tuple[list[str], int]:
    """The d_step of one action, and how many temporaries it needs."""
    guard = _Writer((a.guard,), share=False).emit(a.guard)
    w = _Writer(tuple(u.value for u in a.updates), share=True)
    news = [w.temp(w.emit(u.value)) for u in a.updates]
    body = [*w.lines, *(f"v{u.var} = {n};" for u, n in zip(a.updates, news, strict=True)),
            f"assert(v{viol} == 0)"]
    out = [f"  :: d_step {{ /* {a.name} */", f"       {guard} ->"]
    out += [f"       {ln}" for ln in body]
    out.append("     }")
    return out, w.temps


def promela(system: System, title: str) -> str:
    """The Promela model of ``system`` (``title`` goes into the header comment)."""
    lines = [f"/* {title}", "   generated by lazycheck export --promela; see "
             "lazycheck/views/promela.py */", ""]
    for i, (v, x) in enumerate(zip(system.vars, system.init, strict=True)):
        lines.append(f"{_type(v)} v{i} = {x};  /* {v.name.replace('*/', '* /')} */")
    bodies: list[str] = []
    temps = 1
    for a in system.actions:
        body, n = _action(a, system.violation_var)
        bodies += body
        temps = max(temps, n)
    lines += ["", f"hidden int h[{temps}];", "", "active proctype lazycheck() {", "  do",
              *bodies, "  od", "}", ""]
    return "\n".join(lines)
