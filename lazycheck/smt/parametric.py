"""A parametric encoding: CPUs and tasks as uninterpreted sorts (``--parametric``).

The flattened :class:`~lazycheck.system.System` of a *template* instance
(the target's programs on a few CPUs) is read back into a form that does
not fix the number of CPUs or tasks:

* two uninterpreted sorts, ``Thread`` (tasks, idle tasks, and ``nobody``,
  the NONE of a free lock) and ``Cpu``;
* every state variable of the template belongs to a **family**: its name
  with the task/CPU indices taken out (``preempt_count[T0]`` and
  ``preempt_count[idle1]`` are ``preempt_count[{t}]``; ``stored[cpu1][p]``
  is ``stored[{c}][p]``; ``pending(irq@cpu0,p)`` is ``pending({irq},p)``
  over the CPU).  A family is a z3 function from its index sorts to Int
  (or to ``Thread``/``Cpu`` for ``current``, ``cpu_of``, lock owners);
* ``prog(t)`` says which program a thread runs (``-1`` idle, ``-2``
  nobody), ``home(t)`` is an idle task's CPU;
* an action of the template is generalised by binding its own indices
  (the acting task; the CPU, ``prev`` and ``next`` of a switch; the CPU
  of an interrupt) to fresh constants.  An update of every template
  CPU (or task) with the same term up to renaming becomes an update of
  every CPU (task); a read of an enumerated array (``x[k]`` for every
  template index ``k``) becomes one application.  Anything else that
  names a template index the action does not own is rejected
  (:class:`Unsupported`): the engine then answers UNKNOWN, never PASS.

The post-state of an action is a function of the pre-state (no frame
axioms: each written family is an ``ite`` over the pre-state function),
so a consecution query is: the universally quantified invariant at the
pre-state, the action's guard, and the negation of one candidate at the
post-state, which is existential and skolemised.  That is an
``exists* forall*`` (EPR-like) query; z3 decides it with MBQI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.system import (
    Action,
    ActionKind,
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

NONE = -1
IDLE_PROG = -1
NOBODY_PROG = -2
_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(irq@cpu\d+|idle\d+|cpu\d+|T\d+)(?![A-Za-z0-9_])")

Token = tuple[str, int]  # ("task", k) | ("idle", c) | ("cpu", c) ; irq@cpuC is ("cpu", C)


class Unsupported(Exception):
    """The template does not fit the parametric fragment; the reason says where."""


@dataclass(frozen=True, slots=True)
class Family:
    """A state-variable family: its name with indices taken out, and its index sorts."""

    name: str
    args: tuple[str, ...]  # "thr" or "cpu" per index
    value: str  # "int", "thr" or "cpu"
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One template variable: its family and the template indices it stands at."""

    family: str
    tokens: tuple[Token, ...]


def _classify(name: str) -> tuple[str, tuple[Token, ...]]:
    """``stored[cpu1][p]`` -> (``stored[{c}][p]``, (("cpu", 1),))."""
    toks: list[Token] = []

    def sub(m: re.Match[str]) -> str:
        s = m.group(1)
        if s.startswith("irq@cpu"):
            toks.append(("cpu", int(s[7:])))
            return "{irq}"
        if s.startswith("idle"):
            toks.append(("idle", int(s[4:])))
            return "{t}"
        if s.startswith("cpu"):
            toks.append(("cpu", int(s[3:])))
            return "{c}"
        toks.append(("task", int(s[1:])))
        return "{t}"

    return _TOKEN.sub(sub, name), tuple(toks)


def _value_sort(labels: tuple[str, ...], ntasks: int, ncpus: int) -> str:
    nall = ntasks + ncpus
    tnames = tuple(f"T{t}" for t in range(ntasks)) + tuple(f"idle{c}" for c in range(ncpus))
    if len(labels) >= nall and labels[-nall:] == tnames:
        return "thr"
    if labels == tuple(f"cpu{c}" for c in range(ncpus)):
        return "cpu"
    return "int"


@dataclass
class Template:
    """A template system read as families over the two sorts."""

    system: System
    ntasks: int
    ncpus: int
    progs: tuple[int, ...]  # per template task: its program number
    families: dict[str, Family] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)
    by_cell: dict[tuple[str, tuple[Token, ...]], int] = field(default_factory=dict)

    @staticmethod
    def of(system: System, ntasks: int, ncpus: int, progs: tuple[int, ...]) -> Template:
        """Classify every variable of ``system``; Unsupported if families disagree."""
        t = Template(system, ntasks, ncpus, progs)
        for j, v in enumerate(system.vars):
            fam, toks = _classify(v.name)
            sorts = tuple("thr" if k in ("task", "idle") else "cpu" for k, _ in toks)
            vs = _value_sort(v.labels, ntasks, ncpus)
            lo, hi = (v.lo, v.hi) if vs == "int" else (0, 0)
            old = t.families.get(fam)
            if old is None:
                t.families[fam] = Family(fam, sorts, vs, lo, hi)
            elif old.args != sorts or old.value != vs:
                raise Unsupported(f"variable {v.name} does not fit family {fam}")
            else:
                t.families[fam] = Family(fam, sorts, vs, min(lo, old.lo), max(hi, old.hi))
            t.cells.append(Cell(fam, toks))
            t.by_cell[fam, toks] = j
        return t

    def thread_token(self, k: int) -> Token | None:
        """The token of thread number ``k`` (None for NONE)."""
        if k == NONE:
            return None
        return ("task", k) if k < self.ntasks else ("idle", k - self.ntasks)

    def full_tokens(self, kind: str) -> list[Token]:
        """Every template index of a sort in the numbering arrays use (tasks, then idle)."""
        if kind == "cpu":
            return [("cpu", c) for c in range(self.ncpus)]
        return [("task", k) for k in range(self.ntasks)] + [("idle", c)
                                                           for c in range(self.ncpus)]

    def tokens_at(self, fam: str, i: int) -> set[Token]:
        """The template indices family ``fam`` has cells at, in position ``i``."""
        return {c.tokens[i] for c in self.cells if c.family == fam}

    def class_ok(self, sig: Sig, fam: str, i: int) -> Callable[[Any], Any]:
        """Which elements family ``fam`` has cells for in position ``i`` (in every instance).

        A CPU position: every CPU.  A thread position: the programs of the
        template tasks it has cells for, and idle tasks if it has theirs; never
        ``nobody``."""
        toks = self.tokens_at(fam, i)
        if self.families[fam].args[i] == "cpu":
            return lambda x: z3.BoolVal(True, sig.ctx)
        progs = sorted({self.progs[k] for kind, k in toks if kind == "task"})
        idle = any(kind == "idle" for kind, _ in toks)

        def ok(x: Any) -> Any:
            parts = [sig.prog(x) == p for p in progs] + ([sig.is_idle(x)] if idle else [])
            return z3.Or(*parts) if len(parts) > 1 else parts[0]
        return ok


class Sig:
    """The z3 signature: sorts, per-family functions (pre-state), prog/home, constants."""

    def __init__(self, tpl: Template, ctx: Any) -> None:
        self.ctx = ctx
        self.thr = z3.DeclareSort("Thread", ctx)
        self.cpu = z3.DeclareSort("Cpu", ctx)
        self.prog = z3.Function("prog", self.thr, z3.IntSort(ctx))
        self.home = z3.Function("home", self.thr, self.cpu)
        self.nobody = z3.Const("nobody", self.thr)
        self.cpu0 = z3.Const("cpu_zero", self.cpu)
        self.idle_of = z3.Function("idle_of", self.cpu, self.thr)
        self.funcs: dict[str, Any] = {}
        for f in tpl.families.values():
            self.funcs[f.name] = self.declare(f, "")

    def sort(self, s: str) -> Any:
        """The z3 sort of ``"thr"``, ``"cpu"`` or ``"int"``."""
        if s == "thr":
            return self.thr
        if s == "cpu":
            return self.cpu
        return z3.IntSort(self.ctx)

    def declare(self, f: Family, suffix: str) -> Any:
        """A z3 function (or constant) for family ``f``."""
        if not f.args:
            return z3.Const(f.name + suffix, self.sort(f.value))
        return z3.Function(f.name + suffix, *(self.sort(a) for a in f.args),
                           self.sort(f.value))

    def is_idle(self, t: Any) -> Any:
        """``t`` is an idle task."""
        return self.prog(t) == IDLE_PROG

    def background_at(self, thrs: list[Any], cpus: list[Any]) -> list[Any]:
        """The background axioms instantiated at the given terms."""
        out = [self.prog(self.nobody) == NOBODY_PROG]
        out += [z3.And(self.is_idle(self.idle_of(c)), self.home(self.idle_of(c)) == c)
                for c in cpus]
        out += [z3.Implies(z3.And(self.is_idle(a), self.is_idle(b),
                                  self.home(a) == self.home(b)), a == b)
                for a in thrs for b in thrs if a.get_id() < b.get_id()]
        return out

    def background(self) -> list[Any]:
        """Axioms true in every instance: one idle task per CPU, nobody is no task."""
        a, b = z3.Consts("bg_a bg_b", self.thr)
        c = z3.Const("bg_c", self.cpu)
        return [self.prog(self.nobody) == NOBODY_PROG,
                z3.ForAll([c], z3.And(self.is_idle(self.idle_of(c)),
                                      self.home(self.idle_of(c)) == c)),
                z3.ForAll([a, b], z3.Implies(z3.And(self.is_idle(a), self.is_idle(b),
                                                    self.home(a) == self.home(b)), a == b))]


Typed = tuple[str, Any]  # ("int"|"bool"|"thr"|"cpu", term)
StateFn = Callable[[str, tuple[Any, ...]], Any]


class Translator:
    """Expressions of the template, read in a state, with the action's bindings."""

    def __init__(self, tpl: Template, sig: Sig, state: StateFn,
                 bind: dict[Token, Any], sorts: dict[int, str | None] | None = None) -> None:
        self.tpl, self.sig, self.state, self.bind = tpl, sig, state, bind
        self.memo: dict[int, Typed] = {}
        # sort_of per expression (by id; it reads no binding, so it is shared by with_bind):
        # unmemoised, the Ite chains of the Xen templates made it exponential
        self.sorts: dict[int, str | None] = {} if sorts is None else sorts
        self.children: dict[tuple[tuple[Token, int], ...], Translator] = {}

    def with_bind(self, extra: dict[Token, Any]) -> Translator:
        """The same translator with more (or overriding) bindings; one per binding, so
        that its memo serves every write and chain arm read under that binding."""
        key = tuple(sorted((t, v.get_id()) for t, v in extra.items()))
        hit = self.children.get(key)
        if hit is None:
            hit = self.children[key] = Translator(self.tpl, self.sig, self.state,
                                                  {**self.bind, **extra}, self.sorts)
        return hit

    def token_term(self, tok: Token) -> Any:
        """The term a template index stands for in this action."""
        if tok in self.bind:
            return self.bind[tok]
        raise Unsupported(f"names a {tok[0]} ({tok[0]}{tok[1]}) the action does not own")

    def cell(self, j: int) -> Typed:
        """The value of template variable ``j``."""
        c = self.tpl.cells[j]
        f = self.tpl.families[c.family]
        args = tuple(self.token_term(t) for t in c.tokens)
        return f.value, self.state(c.family, args)

    def const(self, sort: str, k: int) -> Any:
        """Constant ``k`` read as a value of ``sort``."""
        if sort == "cpu":
            if ("cpu", k) not in self.bind and k == 0:
                return self.sig.cpu0  # CPU 0 by number: the first CPU of every instance
            return self.token_term(("cpu", k))
        tok = self.tpl.thread_token(k)
        if tok is None:
            return self.sig.nobody
        if tok[0] == "idle" and tok not in self.bind and ("cpu", tok[1]) in self.bind:
            raise Unsupported("an idle task named by number outside a switch")
        return self.token_term(tok)

    def expr(self, e: Expr) -> Typed:
        """Translate ``e``; shared subterms once."""
        key = id(e)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._expr(e)
        return hit

    def as_int(self, e: Expr) -> Any:
        """``e`` as an Int term."""
        s, t = self.expr(e)
        if s == "bool":
            return z3.If(t, z3.IntVal(1, self.sig.ctx), z3.IntVal(0, self.sig.ctx))
        if s != "int":
            raise Unsupported("a task or CPU used as a number")
        return t

    def as_bool(self, e: Expr) -> Any:
        """``e`` as a Bool term (C truth)."""
        s, t = self.expr(e)
        if s == "bool":
            return t
        if s != "int":
            raise Unsupported("a task or CPU used as a truth value")
        return t != 0

    def typed(self, e: Expr, sort: str) -> Any:
        """``e`` as a value of ``sort`` (constants read as indices of that sort)."""
        if sort == "int":
            return self.as_int(e)
        if isinstance(e, Const):
            return self.const(sort, e.value)
        s, t = self.expr(e)
        if s != sort:
            raise Unsupported(f"a {s} where a {sort} is expected")
        return t

    def _expr(self, e: Expr) -> Typed:
        match e:
            case Const(value=v):
                return "int", z3.IntVal(v, self.sig.ctx)
            case Var(index=j):
                return self.cell(j)
            case Select():
                return self.select(e)
            case Not(arg=a):
                return "bool", z3.Not(self.as_bool(a))
            case Wrap(arg=a, lo=lo, hi=hi):
                return "int", lo + (self.as_int(a) - lo) % (hi - lo + 1)
            case Binary():
                return self.binary(e)
            case Ite():
                return self.ite(e)
        raise AssertionError(e)

    def binary(self, e: Binary) -> Typed:
        """Arithmetic, comparisons (of numbers, tasks or CPUs), and/or."""
        op, a, b = e.op, e.left, e.right
        if op in (BinOp.AND, BinOp.OR):
            folded = self.cpu_disjunction(e) if op is BinOp.OR else None
            if folded is not None:
                return "bool", folded
            fn = z3.And if op is BinOp.AND else z3.Or
            return "bool", fn(self.as_bool(a), self.as_bool(b))
        if op in (BinOp.EQ, BinOp.NE):
            sort = self.sort_of(a) or self.sort_of(b) or "int"
            x, y = self.typed(a, sort), self.typed(b, sort)
            return "bool", (x == y) if op is BinOp.EQ else (x != y)
        x, y = self.as_int(a), self.as_int(b)
        match op:
            case BinOp.ADD:
                return "int", x + y
            case BinOp.SUB:
                return "int", x - y
            case BinOp.LT:
                return "bool", x < y
            case BinOp.LE:
                return "bool", x <= y
            case BinOp.GT:
                return "bool", x > y
            case BinOp.GE:
                return "bool", x >= y
        raise AssertionError(op)

    def sort_of(self, e: Expr) -> str | None:
        """The sort of ``e`` when it is a task or CPU, read off the variables (no translation)."""
        key = id(e)
        if key in self.sorts:
            return self.sorts[key]
        out: str | None = None
        match e:
            case Var(index=j) | Select(base=j):
                v = self.tpl.families[self.tpl.cells[j].family].value
                out = v if v in ("thr", "cpu") else None
            case Ite(then=a, other=b):
                out = self.sort_of(a) or self.sort_of(b)
        self.sorts[key] = out
        return out

    def ite(self, e: Ite) -> Typed:
        """An if-then-else; an enumeration ``k == 0 ? x[0] : k == 1 ? x[1] : ...`` is folded."""
        folded = self.enumeration(e) or self.cpu_chain(e)
        if folded is not None:
            return folded
        sort = self.sort_of(e.then) or self.sort_of(e.other)
        c = self.as_bool(e.cond)
        if sort is not None:
            return sort, z3.If(c, self.typed(e.then, sort), self.typed(e.other, sort))
        ts, tt = self.expr(e.then)
        os_, ot = self.expr(e.other)
        if ts == os_ == "bool":
            return "bool", z3.If(c, tt, ot)
        return "int", z3.If(c, self.as_int(e.then), self.as_int(e.other))

    def selector(self, cond: Expr) -> tuple[Expr, int] | None:
        """The conjunct ``e == k`` of ``cond`` that pins a CPU-valued ``e`` to CPU ``k``."""
        for c in _conjuncts(cond):
            if (isinstance(c, Binary) and c.op is BinOp.EQ and isinstance(c.right, Const)
                    and self.sort_of(c.left) == "cpu"):
                return c.left, c.right.value
        return None

    def _pinned(self, parts: Sequence[Expr]) -> tuple[Expr, list[int]] | None:
        """The one CPU-valued ``e`` every part pins, and each part's CPU number; None if
        the parts do not pin every template CPU.

        Binding CPU ``k`` to ``e`` in part ``k`` overrides a binding of the
        action's own CPU (or of the CPU a uniform write is at) to the same
        template index.  That reading is checked, not assumed: the template has
        at least two CPUs, so another part names that index under its old binding
        if the code meant it, and then the parts differ and nothing is folded."""
        if self.tpl.ncpus < 2:
            return None
        sels = [self.selector(p) for p in parts]
        if any(s is None for s in sels):
            return None
        pinned = [s for s in sels if s is not None]
        if len({repr(s[0]) for s in pinned}) != 1:
            return None
        ks = [s[1] for s in pinned]
        if set(ks) != set(range(self.tpl.ncpus)):
            return None
        return pinned[0][0], ks

    def cpu_chain(self, e: Ite) -> Typed | None:
        """``e == k1 && A(k1) ? v(k1) : e == k2 && A(k2) ? v(k2) : ... : base`` over every
        template CPU: exactly one arm can fire (the one with ``k == e``), so it is
        ``A(e) ? v(e) : base``.  Each arm is read with its CPU bound to ``e``; the arms
        must then agree (None otherwise: read as a plain if-then-else)."""
        arms: list[Ite] = []
        cur: Expr = e
        while isinstance(cur, Ite) and self.selector(cur.cond) is not None:
            arms.append(cur)
            cur = cur.other
        got = self._pinned([a.cond for a in arms])
        if got is None or len(arms) != self.tpl.ncpus:
            return None
        at = self.typed(got[0], "cpu")
        sort = self.sort_of(e.then) or self.sort_of(e.other)
        read = []
        for arm, k in zip(arms, got[1], strict=True):
            tr = self.with_bind({("cpu", k): at})
            then = tr.typed(arm.then, sort) if sort else tr.as_int(arm.then)
            read.append((tr.as_bool(arm.cond), then))
        if any(not (c.eq(read[0][0]) and v.eq(read[0][1])) for c, v in read[1:]):
            return None
        base = self.typed(cur, sort) if sort else self.as_int(cur)
        return sort or "int", z3.If(read[0][0], read[0][1], base)

    def cpu_disjunction(self, e: Binary) -> Any:
        """``OR_k OR_j (x == k && R_j(k))`` over every template CPU ``k``: only the
        disjuncts with ``k == x`` can hold, so it is ``OR_j R_j(x)``.  None when the
        disjuncts are not of that form or differ between CPUs."""
        parts = _disjuncts(e)
        got = self._pinned(parts)
        if got is None:
            return None
        at = self.typed(got[0], "cpu")
        groups: dict[int, list[Any]] = {}
        for p, k in zip(parts, got[1], strict=True):
            groups.setdefault(k, []).append(self.with_bind({("cpu", k): at}).as_bool(p))
        ids = [sorted(t.get_id() for t in g) for g in groups.values()]
        if any(i != ids[0] for i in ids[1:]):
            return None
        return z3.Or(*groups[0]) if len(groups[0]) > 1 else groups[0][0]

    def select(self, e: Select) -> Typed:
        """``x[i]`` over an array of one family: the family applied at ``i``."""
        if e.size == 1:  # the world keeps the index in range: it is 0
            return self.cell(e.base)
        cells = self.tpl.cells[e.base:e.base + e.size]
        first, second = cells[0], cells[1]
        if any(c.family != first.family for c in cells):  # PTEs, or tasks then irq contexts
            return self.fixed_select(e)
        pos = [i for i, (a, b) in enumerate(zip(first.tokens, second.tokens, strict=True))
               if a != b]
        if len(pos) != 1:
            raise Unsupported("an array indexed in more than one place")
        f = self.tpl.families[first.family]
        kind = f.args[pos[0]]
        every = self.tpl.full_tokens(kind)
        if [c.tokens[pos[0]] for c in cells] != every:  # index k must be the k-th element
            raise Unsupported(f"an array of {first.family} that is not over every {kind}")
        idx = self.typed(e.index, kind)
        args = tuple(idx if i == pos[0] else self.token_term(t)
                     for i, t in enumerate(first.tokens))
        return f.value, self.state(first.family, args)

    def fixed_select(self, e: Select) -> Typed:
        """``x[i]`` over a fixed dimension (the model's PTEs): a case split on the number ``i``.

        Every cell must be one the action owns (a writer array of tasks and
        interrupt contexts indexed at run time is rejected)."""
        if self.sort_of(e.index) is not None:
            raise Unsupported("an array mixing tasks and interrupt contexts is indexed")
        idx = self.as_int(e.index)
        got = [self.cell(e.base + k) for k in range(e.size)]
        sort = got[0][0]
        if any(g[0] != sort for g in got):
            raise Unsupported("an array whose cells differ in sort is indexed")
        acc = got[-1][1]  # the world keeps the index in range
        for k in range(e.size - 2, -1, -1):
            acc = z3.If(idx == k, got[k][1], acc)
        return sort, acc

    def enumeration(self, e: Ite) -> Typed | None:
        """A case split over every template index of one sort, the same case for each.

        None: not such a split, read it as a plain if-then-else.  That is
        allowed for a split that is not the same for each index only when at
        most one index of the sort is bound: then the else-branch can name no
        other index (it would be unbound and rejected), so it cannot stand for
        "the other CPU" of the template."""
        arms: list[tuple[int, Expr]] = []
        idx: Expr | None = None
        cur: Expr = e
        while isinstance(cur, Ite):
            c = cur.cond
            if not (isinstance(c, Binary) and c.op is BinOp.EQ and isinstance(c.right, Const)):
                break
            if idx is not None and c.left != idx:
                break
            idx = c.left
            arms.append((c.right.value, cur.then))
            cur = cur.other
        if idx is None or len(arms) < 1:
            return None
        sort = self.sort_of(idx)
        if sort is None:
            return None
        n = self.tpl.ncpus if sort == "cpu" else self.tpl.ntasks + self.tpl.ncpus
        if [k for k, _ in arms] != list(range(n - 1)):
            return None
        arms.append((n - 1, cur))
        at = self.typed(idx, sort)
        got: list[Typed] = []
        for k, arm in arms:
            tok = ("cpu", k) if sort == "cpu" else self.tpl.thread_token(k)
            assert tok is not None
            got.append(self.with_bind({tok: at}).expr(arm))
        if any(g[0] != got[0][0] or not g[1].eq(got[0][1]) for g in got[1:]):
            if sum(1 for t in self.bind if (t[0] == "cpu") == (sort == "cpu")) <= 1:
                return None  # a plain test ``i == k`` (e.g. a write through x[i] at cell k)
            raise Unsupported("a case split over every task or CPU is not uniform")
        return got[0]


def _conjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, Binary) and e.op is BinOp.AND:
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _disjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, Binary) and e.op is BinOp.OR:
        return _disjuncts(e.left) + _disjuncts(e.right)
    return [e]


def pre_state(sig: Sig) -> StateFn:
    """The pre-state: each family's function applied."""
    def at(fam: str, args: tuple[Any, ...]) -> Any:
        f = sig.funcs[fam]
        return f(*args) if args else f
    return at


@dataclass
class ParamAction:
    """One generalised action: its existential constants, their constraints, guard, writes."""

    name: str
    consts: list[Any]
    where: list[Any]
    guard: Any
    writes: dict[str, Callable[[tuple[Any, ...], Any], Any]]  # family -> (args, old) -> new

    def post(self, sig: Sig) -> StateFn:
        """The post-state as a function of the pre-state."""
        pre = pre_state(sig)

        def at(fam: str, args: tuple[Any, ...]) -> Any:
            old = pre(fam, args)
            w = self.writes.get(fam)
            return old if w is None else w(args, old)
        return at


def _tokens_of(tpl: Template, a: Action) -> dict[Token, str]:
    """The template indices an action owns, by role."""
    out: dict[Token, str] = {}
    if a.kind is ActionKind.TASK:
        assert a.task is not None
        out[("task", a.task)] = "a"
    else:
        assert a.cpu is not None
        out[("cpu", a.cpu)] = "c"
    if a.kind is ActionKind.SWITCH:
        assert a.task is not None and a.other is not None
        for role, k in (("p", a.task), ("n", a.other)):
            tok = tpl.thread_token(k)
            assert tok is not None
            out[tok] = role
    return out


def _role_constraint(tpl: Template, sig: Sig, tok: Token, x: Any,
                     bind: dict[Token, Any]) -> list[Any]:
    if tok[0] == "task":
        return [sig.prog(x) == tpl.progs[tok[1]]]
    if tok[0] == "idle":
        cpu = bind.get(("cpu", tok[1]))
        return [sig.is_idle(x)] + ([sig.home(x) == cpu] if cpu is not None else [])
    return []


def generalise(tpl: Template, sig: Sig, n: int,
               cache: dict[Any, Translator] | None = None) -> ParamAction:
    """Action ``n`` of the template over the two sorts (Unsupported if it does not fit).

    ``cache`` (one per signature) shares a translator, and so its memo, between the
    actions that bind the same indices to the same constants (every step of one task):
    the monitors' expressions they all read are translated once."""
    a = tpl.system.actions[n]
    roles = _tokens_of(tpl, a)
    bind: dict[Token, Any] = {}
    for tok, role in roles.items():
        s = sig.cpu if tok[0] == "cpu" else sig.thr
        bind[tok] = z3.Const(f"{role}!", s)  # shared by every action: one ground universe
    where = [c for tok in roles for c in _role_constraint(tpl, sig, tok, bind[tok], bind)]
    if a.kind is ActionKind.SWITCH:
        where.append(bind[_thr(tpl, a.task)] != bind[_thr(tpl, a.other)])
    key = tuple(sorted((t, v.get_id()) for t, v in bind.items()))
    tr = None if cache is None else cache.get(key)
    if tr is None:
        tr = Translator(tpl, sig, pre_state(sig), bind)
        if cache is not None:
            cache[key] = tr
    guard = tr.as_bool(a.guard)
    writes = _writes(tpl, sig, tr, a)
    return ParamAction(a.name, list(bind.values()), where, guard, writes)


def _thr(tpl: Template, k: int | None) -> Token:
    assert k is not None
    tok = tpl.thread_token(k)
    assert tok is not None
    return tok


def _writes(tpl: Template, sig: Sig, tr: Translator, a: Action
            ) -> dict[str, Callable[[tuple[Any, ...], Any], Any]]:
    """Per written family, the new value as a function of the index and the old value."""
    env = {u.var: u.value for u in a.updates}  # later assignments win
    groups: dict[str, list[tuple[tuple[Token, ...], Expr]]] = {}
    for j, val in env.items():
        c = tpl.cells[j]
        groups.setdefault(c.family, []).append((c.tokens, val))
    out: dict[str, Callable[[tuple[Any, ...], Any], Any]] = {}
    for fam, ws in groups.items():
        out[fam] = _family_write(tpl, sig, tr, tpl.families[fam], ws)
    return out


def _family_write(tpl: Template, sig: Sig, tr: Translator, f: Family,
                  ws: list[tuple[tuple[Token, ...], Expr]]
                  ) -> Callable[[tuple[Any, ...], Any], Any]:
    """Point writes at owned indices, and one uniform write at every other index of a sort."""
    bound = [(toks, v) for toks, v in ws if all(t in tr.bind for t in toks)]
    free = [(toks, v) for toks, v in ws if not all(t in tr.bind for t in toks)]
    pts = [(tuple(tr.token_term(t) for t in toks), tr.typed(v, f.value)) for toks, v in bound]
    if not free:
        return lambda args, old: _point(pts, args, old)
    pos = {i for toks, _ in free for i, t in enumerate(toks) if t not in tr.bind}
    if len(pos) != 1:
        raise Unsupported(f"{f.name} is written at more than one free index")
    i = pos.pop()
    missing = tpl.tokens_at(f.name, i) - {t[i] for t, _ in ws}
    if any(m not in tr.bind for m in missing):  # only the action's own index may be left out
        raise Unsupported(f"{f.name} is written at some, not all, {f.args[i]} indices")
    others = [tr.bind[m] for m in sorted(missing)]
    x = z3.Const(f"x!{f.args[i]}", sig.sort(f.args[i]))  # one per sort: shared memo
    terms = []
    for toks, v in free:
        t2 = tr.with_bind({toks[i]: x})
        terms.append(((tuple(t2.token_term(t) for k, t in enumerate(toks) if k != i)),
                      t2.typed(v, f.value)))
    fixed, val = terms[0]
    for other in terms[1:]:
        if not (all(p.eq(q) for p, q in zip(other[0], fixed, strict=True))
                and other[1].eq(val)):
            raise Unsupported(f"{f.name} is written differently at different indices")
    ok = tpl.class_ok(sig, f.name, i)

    def write(args: tuple[Any, ...], old: Any) -> Any:
        rest = tuple(a for k, a in enumerate(args) if k != i)
        new = z3.substitute(val, (x, args[i]))
        cond = z3.And(ok(args[i]), _all_eq(rest, fixed)) if rest else ok(args[i])
        if others:  # "every other writer": the world's loop skips the action's own index
            cond = z3.And(cond, *(args[i] != o for o in others))
        return _point(pts, args, z3.If(cond, new, old))
    return write


def _point(pts: list[tuple[tuple[Any, ...], Any]], args: tuple[Any, ...], old: Any) -> Any:
    acc = old
    for at, v in pts:  # later writes win: applied last, outermost
        acc = z3.If(_all_eq(args, at), v, acc) if args else v
    return acc


def _all_eq(xs: Sequence[Any], ys: Sequence[Any]) -> Any:
    """Pointwise equality of two index tuples (True for none)."""
    parts = [x == y for x, y in zip(xs, ys, strict=True)]
    return z3.And(*parts) if len(parts) > 1 else (parts[0] if parts else z3.BoolVal(True))
