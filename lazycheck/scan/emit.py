"""One C function -> one ``.lazy`` function body, statement by statement.

The draft keeps the function's shape: ``if``/``else``, loops, ``switch``,
forward ``goto`` to a top-level label, ``return``, ``break``/``continue`` and
the guard releases every exit runs.  What the model does not follow is a
nondeterministic choice (``__nondet()``, docs/language.md): a condition the
scanner cannot evaluate, a loop's exit, a ``switch``'s case.  The locals the
conditions test (``err``, ``ret``, a ``pte`` result tested against NULL)
keep their sign, -1, 0 or 1, so ``err = -EBUSY; break;`` followed by
``if (err)`` takes the same paths as the C.  Every loop runs at most
``LOOP_BOUND`` turns (a ``#define`` in the draft: raise it to explore more).
The kept calls are turned into model statements by ``extract._stmt``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from lazycheck.scan import syntax as sx
from lazycheck.scan.cfg import RELEASE

BOUND = "LOOP_BOUND"
_MAP_LOCK = frozenset({"pte_offset_map_lock", "pte_alloc_map_lock"})
_VALUE = {"-": "-1", "0": "0", "+": "1"}
RESERVED = frozenset({"pte", "kernel", "user", "task", "irq", "pure", "atomic", "current",
                       "global", "percpu", "pertask", "model", "source", "true", "false",
                       "NULL", "enum", "typedef", "thread_flag", "lazy_mmu_api", "int",
                       "bool", "u8", "u16", "u32", "s8", "s16", "s32", "do", "while", "for",
                       "if", "else", "goto", "return", "break", "continue", "for_each_pte"})
Kept = Callable[[sx.Call], list[str]]  # one kept call -> model statements


class EmitError(Exception):
    """A construct the draft cannot express (a backward or nested-label goto)."""


@dataclass
class _Frame:
    """A loop or switch being emitted: how deep its guard scope is, and its kind."""

    kind: str  # "loop" | "switch"
    depth: int
    cont_flag: str = ""  # a switch inside a loop: continue sets this flag and breaks


@dataclass
class Emitter:
    """Mutable while one function body is emitted; ``lines`` and ``locals`` are the result."""

    kept: Kept
    tracked: frozenset[str]
    labels: frozenset[str]  # the function body's top-level labels
    lines: list[str] = field(default_factory=list)
    locals: dict[str, str] = field(default_factory=dict)  # name -> declaration
    scopes: list[list[sx.Call]] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # C local -> model local
    counter: int = 0
    skip: str = ""  # the Assign of a *_map_lock() result already emitted
    depth: int = 0  # statement nesting below the function body (labels need 0)
    passed: set[str] = field(default_factory=set)  # labels already emitted
    retries: set[str] = field(default_factory=set)  # labels of the retry loops being emitted

    # ------------------------------------------------------------ helpers
    def out(self, text: str) -> None:
        """One line; nesting adds its tabs afterwards (see indented())."""
        self.lines.append(text)

    def indented(self, emit: Callable[[], None], tabs: int = 1) -> None:
        """Run ``emit`` one statement level deeper; indent what it wrote."""
        before = len(self.lines)
        self.depth += 1
        try:
            emit()
        finally:
            self.depth -= 1
        self.lines[before:] = ["\t" * tabs + ln for ln in self.lines[before:]]

    def fresh(self, stem: str) -> str:
        """A model local no kernel name uses."""
        self.counter += 1
        return f"__{stem}{self.counter}"

    def var(self, name: str) -> str:
        """The model local of a tracked C local (declared on first use)."""
        if name not in self.names:
            ident = name if name.isidentifier() and name not in RESERVED else f"{name}_v"
            self.names[name] = ident if ident.isidentifier() and len(ident) <= 64 \
                else self.fresh("v")
            self.locals[self.names[name]] = f"int<-1..1> {self.names[name]} = 0;"
        return self.names[name]

    def choose(self, target: str, values: list[str]) -> None:
        """``target`` becomes one of ``values``, any of them."""
        if len(values) == 1:
            self.out(f"{target} = {values[0]};")
            return
        for i, v in enumerate(values[:-1]):
            self.out(("if" if i == 0 else "} else if") + " (__nondet()) {")
            self.out(f"\t{target} = {v};")
        self.out("} else {")
        self.out(f"\t{target} = {values[-1]};")
        self.out("}")

    # ------------------------------------------------------------ expressions
    def cond(self, c: sx.Cond) -> str:
        """The model expression of a C condition (tracked locals keep their sign)."""
        match c:
            case sx.Const(value=v):
                return "1" if v else "0"
            case sx.Not(arg=a):
                return f"!({self.cond(a)})"
            case sx.And(left=a, right=b):
                return f"({self.cond(a)}) && ({self.cond(b)})"
            case sx.Or(left=a, right=b):
                return f"({self.cond(a)}) || ({self.cond(b)})"
            case sx.Atom(var=v, op=op, value=0) if v in self.tracked:
                return f"{self.var(v)} {op} 0"
        return "__nondet()"

    def effects(self, effects: tuple[sx.Effect, ...]) -> None:
        """The kept calls and the tracked assignments of an expression, in order."""
        for e in effects:
            if isinstance(e, sx.Assign):
                if e.var in self.tracked and e.var != self.skip:
                    self.choose(self.var(e.var), [_VALUE[s] for s in ("-", "0", "+")
                                                  if s in e.value])
                self.skip = ""
            elif e.name in _MAP_LOCK and e.result in self.tracked:
                self.map_lock(e)
            else:
                for s in self.kept(e):
                    self.out(s)

    def map_lock(self, c: sx.Call) -> None:
        """``pte = pte_offset_map_lock(...)``: the lock is taken only where pte is not NULL."""
        assert c.result is not None
        v = self.var(c.result)
        self.out(f"if (__nondet()) {{\t/* {c.name}() */")
        self.out(f"\t{v} = 1;")
        for s in self.kept(c):
            self.out("\t" + s)
        self.out("} else {")
        self.out(f"\t{v} = 0;")
        self.out("}")
        self.skip = c.result

    # ------------------------------------------------------------ statements
    def block(self, items: tuple[sx.Stmt, ...]) -> None:
        """A ``{ }`` scope: its statements, then its guard releases."""
        self.scopes.append([])
        for s in items:
            self.stmt(s)
        self.release(len(self.scopes) - 1)
        self.scopes.pop()

    def release(self, keep: int) -> None:
        """The guard releases of every scope deeper than ``keep``, innermost first."""
        for scope in reversed(self.scopes[keep:]):
            for call in reversed(scope):
                for s in self.kept(call):
                    self.out(s)

    def stmt(self, s: sx.Stmt) -> None:
        """One C statement."""
        match s:
            case sx.SBlock(items=items):
                self.out("{")
                self.indented(lambda: self.block(items))
                self.out("}")
            case sx.SExpr(expr=e):
                self.effects(e.effects)
            case sx.SIf():
                self.if_(s)
            case sx.SLoop():
                self.loop(s)
            case sx.SSwitch():
                self.switch(s)
            case sx.SReturn(expr=e):
                self.effects(e.effects)
                self.release(0)
                self.out("return;")
            case sx.SJump():
                self.jump(s)
            case sx.SLabel(name=name):
                if self.depth or len(self.scopes) != 1 or name in self.passed:
                    raise EmitError(f"label {name}: is not at the top of the function, "
                                    "or is defined twice")
                self.passed.add(name)
                self.lines.append(f"{name}:")
            case sx.SGuard(call=call):
                for k in self.kept(call):
                    self.out(k)
                self.scopes[-1].append(sx.Call(RELEASE, call.args, call.pos))
            case sx.SScoped(call=call, body=body):
                for k in self.kept(call):
                    self.out(k)
                self.scopes.append([sx.Call(RELEASE, call.args, call.pos)])
                self.stmt(body)
                self.release(len(self.scopes) - 1)
                self.scopes.pop()
            case sx.SUnparsed(text=text):
                self.out(f"/* not parsed: {_comment(text)} */")
            case sx.SCase():
                pass  # handled by switch()

    def branch(self, body: sx.Stmt | None) -> None:
        """An ``if`` arm or a loop body, one level deeper (a block's own scope kept)."""
        if body is None:
            return
        items = body.items if isinstance(body, sx.SBlock) else (body,)
        self.indented(lambda: self.block(items))

    def arm(self, body: sx.Stmt | None) -> list[str]:
        """The lines of an ``if`` arm, emitted aside."""
        start = len(self.lines)
        self.branch(body)
        arm = self.lines[start:]
        del self.lines[start:]
        return arm

    def if_(self, s: sx.SIf) -> None:
        """``if (cond) ... else ...`` with the condition's calls first; an arm that keeps
        nothing is left out (an empty choice only multiplies the paths)."""
        self.effects(s.pre.effects)
        then, other = self.arm(s.then), self.arm(s.other)
        cond = self.cond(s.cond)
        if not then and not other:
            return
        if not then:
            cond, then, other = f"!({cond})", other, []
        self.out(f"if ({cond}) {{")
        self.lines.extend(then)
        if other:
            self.out("} else {")
            self.lines.extend(other)
        self.out("}")

    def loop(self, s: sx.SLoop) -> None:
        """At most LOOP_BOUND turns; the test (and a for loop's update) at the top of each."""
        if s.init is not None:
            self.effects(s.init.effects)
        turn = self.fresh("turn")
        self.out(f"for ({turn} = 0; {turn} < {BOUND}; {turn}++) {{")
        self.frames.append(_Frame("loop", len(self.scopes)))
        later = [*(s.update.effects if s.update is not None else ())]
        test = s.kind == "do"

        def turn_body() -> None:
            start = len(self.lines)
            self.out(f"if ({turn} != 0) {{")
            self.indented(lambda: self.effects(tuple(later)))
            if test:
                self.indented(lambda: self.exit_test(s))
            self.out("}")
            if len(self.lines) == start + 2:  # nothing to do between two turns
                del self.lines[start:]
            if not test:
                self.exit_test(s)
            self.block(s.body.items if isinstance(s.body, sx.SBlock) else (s.body,))

        self.indented(turn_body)
        self.frames.pop()
        self.out("}")

    def exit_test(self, s: sx.SLoop) -> None:
        """The loop's condition: its calls, then ``break`` when it is false."""
        self.effects(s.pre.effects)
        self.out(f"if (!({self.cond(s.cond)}))")
        self.out("\tbreak;")

    def switch(self, s: sx.SSwitch) -> None:
        """Enter at any case (or skip the body without a default), fall through to a break."""
        self.effects(s.pre.effects)
        items = s.body.items if isinstance(s.body, sx.SBlock) else (s.body,)
        segments: list[list[sx.Stmt]] = []
        has_default = False
        for it in items:
            if isinstance(it, sx.SCase):
                segments.append([])
                has_default |= it.default
            elif segments:
                segments[-1].append(it)
        sel = self.fresh("case")
        n = len(segments) + (0 if has_default else 1)
        self.locals[sel] = f"int<0..{max(n - 1, 0)}> {sel} = 0;"
        self.choose(sel, [str(i) for i in range(n)])
        flag = self.fresh("cont") if any(f.kind == "loop" for f in self.frames) else ""
        if flag:
            self.locals[flag] = f"bool {flag} = false;"
            self.out(f"{flag} = false;")
        once = self.fresh("switch")
        self.out(f"for ({once} = 0; {once} < 1; {once}++) {{\t/* switch: break leaves it */")
        self.frames.append(_Frame("switch", len(self.scopes), flag))
        for i, seg in enumerate(segments):
            self.out(f"\tif ({sel} <= {i}) {{")
            self.indented(functools.partial(self.block, tuple(seg)), 2)
            self.out("\t}")
        self.frames.pop()
        self.out("}")
        if flag:
            self.jump(sx.SJump("continue", "", s.pos), f"if ({flag}) ")

    def retry(self, label: str, items: tuple[sx.Stmt, ...]) -> None:
        """``label: ... goto label;``: at most LOOP_BOUND passes; the goto starts the next."""
        turn = self.fresh("again")
        self.out(f"for ({turn} = 0; {turn} < {BOUND}; {turn}++) {{\t/* {label}: */")
        self.frames.append(_Frame("retry", len(self.scopes)))
        self.retries.add(label)

        def region() -> None:
            for it in items:
                self.stmt(it)
            self.out("break;")
        self.indented(region)
        self.retries.discard(label)
        self.frames.pop()
        self.out("}")

    def jump(self, s: sx.SJump, guard: str = "") -> None:
        """goto/break/continue with the guard releases they cross."""
        if s.kind == "goto" and s.label in self.retries:
            if not self.frames or self.frames[-1].kind != "retry":
                raise EmitError(f"goto {s.label}: a backward goto inside a loop or switch")
            self.release(1)
            self.out(f"continue;\t/* goto {s.label}; */")
            return
        if s.kind == "goto":
            if s.label not in self.labels or s.label in self.passed:
                raise EmitError(f"goto {s.label}: the label is not at the top of the "
                                "function, or comes before the goto")
            self.release(1)
            self.out(f"goto {s.label};")
            return
        target = next((f for f in reversed(self.frames) if f.kind != "retry" and (
            s.kind == "break" or f.kind == "loop" or f.cont_flag)), None)
        if target is None:
            return
        self.release(target.depth)
        if s.kind == "continue" and target.kind == "switch":
            self.out(f"{guard}{{" if guard else "{")
            self.out(f"\t{target.cont_flag} = true;")
            self.out("\tbreak;")
            self.out("}")
            return
        self.out(f"{guard}{s.kind};")


def _comment(text: str) -> str:
    return " ".join(text.replace("*/", "* /").split())[:60]


def _zero_tests(c: sx.Cond | None) -> set[str]:
    """The locals a condition compares with 0 (the only tests a sign decides)."""
    match c:
        case sx.Atom(var=var, value=0):
            return {var}
        case sx.Not(arg=a):
            return _zero_tests(a)
        case sx.And(left=a, right=b) | sx.Or(left=a, right=b):
            return _zero_tests(a) | _zero_tests(b)
    return set()


def tracked(fn: sx.Function) -> frozenset[str]:
    """The locals the function's conditions compare with 0 (``err``, ``!pte``)."""
    out: set[str] = set()

    def visit(s: sx.Stmt | None) -> None:
        match s:
            case sx.SIf(cond=c, then=t, other=o):
                out.update(_zero_tests(c))
                visit(t)
                visit(o)
            case sx.SLoop(cond=c, body=b):
                out.update(_zero_tests(c))
                visit(b)
            case sx.SBlock(items=items):
                for i in items:
                    visit(i)
            case sx.SSwitch(body=b) | sx.SScoped(body=b):
                visit(b)

    visit(fn.body)
    return frozenset(out)


def top_labels(fn: sx.Function) -> frozenset[str]:
    """Labels at the top of the function body (where a model's labels must be)."""
    return frozenset(i.name for i in fn.body.items if isinstance(i, sx.SLabel))


def _gotos(s: sx.Stmt | None, out: set[str]) -> None:
    """The labels ``goto`` statements in ``s`` name."""
    match s:
        case sx.SJump(kind="goto", label=label):
            out.add(label)
        case sx.SIf(then=t, other=o):
            _gotos(t, out)
            _gotos(o, out)
        case sx.SLoop(body=b) | sx.SSwitch(body=b) | sx.SScoped(body=b):
            _gotos(b, out)
        case sx.SBlock(items=items):
            for i in items:
                _gotos(i, out)


def retry_regions(items: tuple[sx.Stmt, ...]) -> dict[int, tuple[str, int]]:
    """Top-level ``label:`` at index i that a later statement (the last at index j) jumps
    back to: i -> (label, j).  ``goto again`` retry loops, emitted as bounded loops."""
    out: dict[int, tuple[str, int]] = {}
    for i, it in enumerate(items):
        if not isinstance(it, sx.SLabel):
            continue
        later: list[int] = []
        for j in range(i + 1, len(items)):
            names: set[str] = set()
            _gotos(items[j], names)
            if it.name in names:
                later.append(j)
        if later:
            out[i] = (it.name, max(later))
    return out


def _top(em: Emitter, items: tuple[sx.Stmt, ...]) -> None:
    """The function body: its statements, a retry region as a bounded loop."""
    regions = retry_regions(items)
    em.scopes.append([])
    i = 0
    while i < len(items):
        if i not in regions:
            em.stmt(items[i])
            i += 1
            continue
        label, last = regions[i]
        em.retry(label, items[i + 1:last + 1])
        i = last + 1
    em.release(0)
    em.scopes.pop()


def body(fn: sx.Function, kept: Kept) -> tuple[list[str], list[str]]:
    """The model statements of ``fn`` and the declarations of the locals they use."""
    retries = {label for label, _ in retry_regions(fn.body.items).values()}
    em = Emitter(kept, tracked(fn), top_labels(fn) - retries)
    _top(em, fn.body.items)
    while len(em.lines) > 1 and em.lines[-1] == "return;" and em.lines[-2] == "return;":
        em.lines.pop()  # `return x;` then the closing brace's own return
    if em.lines and em.lines[-1] == "return;":
        em.lines.pop()  # falling off the end returns anyway
    return list(em.locals.values()), [ln if ln.endswith(":") and not ln.startswith("\t")
                                      else "\t" + ln for ln in em.lines]
