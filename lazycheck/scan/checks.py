"""Checks on every path of a function's CFG: dataflow, path-sensitive on int locals.

Check ids and hazards (docs/scan.md, docs/lazy-mmu-semantics.md §4):

``section-leak`` (H8)        a path returns with a section this function entered still open
``unbalanced-leave`` (H24)   a leave/disable with no open section; resume without pause;
                             returning while paused or after leaving the caller's section
``sleep-in-section`` (H11, H19)  a call that may sleep inside an open, unpaused section
``nested-section`` (H4, H3)  a G0/G1 section opened inside another, directly or in a callee
``lock-order`` (H9, H25)     PTL / init_mm.page_table_lock taken inside a section (G1' wants
                             it outside); any spinlock inside on PREEMPT_RT
The abstract state at a CFG node is the section depth (negative: the caller's
section was left by hand, the G1/G2 pause pattern), the pause depth, the
locks held and the signs of the locals that decide branches (``err``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import networkx as nx

from lazycheck.scan import cfg
from lazycheck.scan import sections as sec
from lazycheck.scan import syntax as sx

MAX_STATES = 20_000  # per function; beyond it the function is marked incomplete
MAX_DEPTH = 4  # nesting depth followed exactly; deeper counts as 4
WIDEN_AT = 32  # states at one node before the locals' signs are forgotten there
HAZARD = {"section-leak": "H8", "unbalanced-leave": "H24", "sleep-in-section": "H11",
          "nested-section": "H4", "lock-order": "H9"}
CHECKS = tuple(HAZARD)


@dataclass(frozen=True, slots=True)
class Related:
    """A second location a finding names (the enter, the sleeping call in a callee)."""

    path: str
    pos: sx.Pos
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One check result at ``path:pos``; ``kind`` refines the check (lock class, ...)."""

    check: str
    path: str
    pos: sx.Pos
    function: str
    message: str
    hazard: str
    kind: str = ""
    related: tuple[Related, ...] = ()


@dataclass(frozen=True, slots=True)
class InSection:
    """A call made inside an open section: resolved against callee summaries later."""

    path: str
    caller: str
    callee: str
    pos: sx.Pos
    enter: sx.Pos
    gen: str
    callback: bool = False


@dataclass(frozen=True, slots=True)
class Summary:
    """What a function does outside a section of its own (one level of summaries)."""

    name: str
    path: str
    pos: sx.Pos
    opens: tuple[tuple[sx.Pos, str], ...] = ()
    sleeps: tuple[tuple[sx.Pos, str], ...] = ()
    locks: tuple[tuple[sx.Pos, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CallSite:
    """A function that uses the lazy MMU API: one inventory row."""

    path: str
    function: str
    start: int
    end: int
    generations: tuple[str, ...]
    enters: tuple[sx.Pos, ...]
    leaves: tuple[sx.Pos, ...]
    pauses: tuple[sx.Pos, ...]
    resumes: tuple[sx.Pos, ...]
    flushes: tuple[sx.Pos, ...]
    locks_at_enter: tuple[str, ...]
    max_depth: int
    calls_inside: tuple[str, ...]
    callbacks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FunctionResult:
    """Everything one function contributes to a scan."""

    findings: tuple[Finding, ...]
    callsite: CallSite | None
    summary: Summary
    in_section: tuple[InSection, ...]
    incomplete: bool = False


@dataclass(frozen=True, slots=True)
class State:
    """The abstract state at a CFG node."""

    depth: int = 0
    enters: tuple[tuple[sx.Pos, str], ...] = ()
    paused: int = 0
    pause_pos: sx.Pos | None = None
    left_pos: sx.Pos | None = None
    locks: tuple[str, ...] = ()
    env: tuple[tuple[str, sx.Sign], ...] = ()

    @property
    def open(self) -> bool:
        """Inside a section of this function, not paused."""
        return self.depth > 0 and self.paused == 0


# ---------------------------------------------------------------- path conditions

_BIG = 10 ** 18
_RANGE = {"-": (-_BIG, -1), "0": (0, 0), "+": (1, _BIG)}


def _may(sign: str, op: str, v: int, sense: bool) -> bool:
    """May ``x OP v`` evaluate to ``sense`` for some x of this sign?"""
    lo, hi = _RANGE[sign]
    truth = {
        "==": (lo <= v <= hi, not (lo == hi == v)),
        "!=": (not (lo == hi == v), lo <= v <= hi),
        "<": (lo < v, hi >= v),
        "<=": (lo <= v, hi > v),
        ">": (hi > v, lo <= v),
        ">=": (hi >= v, lo < v),
    }.get(op, (True, True))
    return truth[0] if sense else truth[1]


Env = dict[str, sx.Sign]


def _join(a: Env | None, b: Env | None) -> Env | None:
    if a is None:
        return b
    if b is None:
        return a
    return {k: a.get(k, sx.ANY) | b.get(k, sx.ANY) for k in a.keys() | b.keys()}


def refine(env: Env, c: sx.Cond, sense: bool) -> Env | None:
    """``env`` on the paths where ``c`` is ``sense``; ``None`` if there are none."""
    match c:
        case sx.Const(value=v):
            return env if v == sense else None
        case sx.Not(arg=a):
            return refine(env, a, not sense)
        case sx.Atom(var=var, op=op, value=v):
            if var not in env:
                return env
            left = frozenset(s for s in env[var] if _may(s, op, v, sense))
            return {**env, var: left} if left else None
        case sx.And(left=left, right=right) if sense:
            first = refine(env, left, True)
            return refine(first, right, True) if first is not None else None
        case sx.Or(left=left, right=right) if not sense:
            first = refine(env, left, False)
            return refine(first, right, False) if first is not None else None
        case sx.And(left=left, right=right) | sx.Or(left=left, right=right):
            first = refine(env, left, sense)
            second = refine(env, left, not sense)
            second = refine(second, right, sense) if second is not None else None
            return _join(first, second)
    return env


def cond_vars(c: sx.Cond | None) -> set[str]:
    """The locals a condition tests."""
    match c:
        case sx.Atom(var=var):
            return {var}
        case sx.Not(arg=a):
            return cond_vars(a)
        case sx.And(left=a, right=b) | sx.Or(left=a, right=b):
            return cond_vars(a) | cond_vars(b)
    return set()


# ---------------------------------------------------------------- the analysis


def _callname(c: sx.Call) -> str:
    if c.name in ("guard", "scoped_guard") and c.args:
        return f"{c.name}({c.args[0]})({', '.join(c.args[1:])})"
    return f"{c.name}({', '.join(c.args)})" if "lock" in c.name else f"{c.name}()"


class _Analysis:
    """Mutable while one function is analysed; :meth:`result` freezes what it found."""

    def __init__(self, path: str, fn: sx.Function) -> None:
        self.path, self.fn = path, fn
        self.findings: dict[tuple[str, sx.Pos, str], Finding] = {}
        self.opens: set[tuple[sx.Pos, str]] = set()
        self.sleeps: set[tuple[sx.Pos, str]] = set()
        self.locks: set[tuple[sx.Pos, str]] = set()
        self.inside: set[InSection] = set()
        self.ops: dict[str, set[sx.Pos]] = {k: set() for k in
                                            ("enter", "leave", "pause", "resume", "flush")}
        self.gens: set[str] = set()
        self.locks_at_enter: set[str] = set()
        self.calls_inside: set[str] = set()
        self.callbacks: set[str] = set()
        self.max_depth = 0
        self.api_seen = False

    def report(self, check: str, pos: sx.Pos, msg: str, kind: str = "",
               related: tuple[Related, ...] = (), hazard: str | None = None) -> None:
        """Record a finding once per (check, place, message)."""
        key = (check, pos, msg)
        self.findings.setdefault(key, Finding(check, self.path, pos, self.fn.name, msg,
                                              hazard or HAZARD[check], kind, related))

    def outer(self, st: State) -> tuple[sx.Pos, str]:
        """The innermost open section's enter (or the function start)."""
        return st.enters[-1] if st.enters else (self.fn.pos, "")

    def effect(self, st: State, e: sx.Effect, tracked: frozenset[str]) -> State:
        """The state after one call or assignment."""
        if isinstance(e, sx.Assign):
            if e.var not in tracked:
                return st
            env = dict(st.env)
            env[e.var] = e.value
            return replace(st, env=tuple(sorted(env.items())))
        meanings = sec.meaning(e)
        if not meanings:
            if st.open:
                where, gen = self.outer(st)
                self.calls_inside.add(e.name)
                if e.name.isidentifier():
                    self.inside.add(InSection(self.path, self.fn.name, e.name, e.pos, where, gen))
            return st
        for m in meanings:
            st = self.apply(st, e, m)
        return st

    def apply(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """The state after one meaning of a call."""
        if m.op in (sec.Op.ENTER, sec.Op.LEAVE, sec.Op.PAUSE, sec.Op.RESUME, sec.Op.FLUSH,
                    sec.Op.APPLY, sec.Op.NOLAZY, sec.Op.QUERY):
            self.api_seen = True
            if m.gen:
                self.gens.add(m.gen)
        handler = {sec.Op.ENTER: self.enter, sec.Op.LEAVE: self.leave,
                   sec.Op.PAUSE: self.pause, sec.Op.RESUME: self.resume,
                   sec.Op.APPLY: self.apply_cb, sec.Op.LOCK: self.lock,
                   sec.Op.SLEEP: self.sleep}.get(m.op)
        if m.op is sec.Op.FLUSH:
            self.ops["flush"].add(c.pos)
        if m.op is sec.Op.UNLOCK:
            return replace(st, locks=tuple(x for x in st.locks if x != m.detail))
        return handler(st, c, m) if handler is not None else st

    def enter(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """An enter/enable: nesting check, depth + 1."""
        self.ops["enter"].add(c.pos)
        if st.paused and m.gen in ("G3", "G4"):
            return st  # v6: calls while paused have no effect
        if st.open:
            where, gen = self.outer(st)
            if m.gen in sec.NESTING_FORBIDDEN and gen in sec.NESTING_FORBIDDEN:
                self.report("nested-section", c.pos,
                            f"{c.name}() nests a lazy MMU section inside the one entered at "
                            f"{where}; {m.gen} sections must not nest",
                            related=(Related(self.path, where, "outer section entered here"),))
        if st.depth == 0 and st.paused == 0:
            self.opens.add((c.pos, m.gen))
        self.locks_at_enter.update(st.locks)
        depth = min(st.depth + 1, MAX_DEPTH)  # an enter in a loop: the depth saturates
        self.max_depth = max(self.max_depth, depth)
        enters = (*st.enters, (c.pos, m.gen))[-MAX_DEPTH:] if depth > 0 else st.enters
        return replace(st, depth=depth, enters=enters,
                       left_pos=None if depth == 0 else st.left_pos)

    def leave(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """A leave/disable: depth - 1, the by-hand pause, or unbalanced."""
        self.ops["leave"].add(c.pos)
        if st.paused and m.gen in ("G3", "G4"):
            return st
        if st.depth > 0:
            return replace(st, depth=st.depth - 1, enters=st.enters[:-1])
        if st.depth == 0 and m.gen not in ("G3", "G4"):
            # the G1/G2 pause by hand: leave the caller's section, re-enter it later
            return replace(st, depth=-1, left_pos=c.pos)
        self.report("unbalanced-leave", c.pos,
                    f"{c.name}() with no open lazy MMU section on this path")
        return st

    def pause(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """A pause: pause depth + 1."""
        self.ops["pause"].add(c.pos)
        return replace(st, paused=min(st.paused + 1, 4),
                       pause_pos=st.pause_pos if st.paused else c.pos)

    def resume(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """A resume: pause depth - 1, or unbalanced."""
        self.ops["resume"].add(c.pos)
        if st.paused == 0:
            self.report("unbalanced-leave", c.pos,
                        f"{c.name}() without a matching lazy_mmu_mode_pause() on this path")
            return st
        return replace(st, paused=st.paused - 1, pause_pos=st.pause_pos if st.paused > 1
                       else None)

    def apply_cb(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """apply_to_page_range(): its callback runs inside a section."""
        if m.detail:
            self.callbacks.add(m.detail)
            self.inside.add(InSection(self.path, self.fn.name, m.detail, c.pos, c.pos,
                                      "G0/G1", callback=True))
        if st.open:
            where, gen = self.outer(st)
            if gen in sec.NESTING_FORBIDDEN:
                self.report("nested-section", c.pos,
                            f"{c.name}() enters a lazy MMU section (apply_to_pte_range()) "
                            f"inside the one entered at {where}; G0/G1 sections must not nest",
                            related=(Related(self.path, where, "outer section entered here"),))
        return st

    def lock(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """A spinlock or the PTE lock taken."""
        if st.open:
            where, _ = self.outer(st)
            self.lock_inside(c, m.detail, where, ())
        elif st.depth == 0 and st.paused == 0:
            self.locks.add((c.pos, m.detail))
        return replace(st, locks=tuple(sorted({*st.locks, m.detail})))

    def lock_inside(self, c: sx.Call, lock: str, where: sx.Pos,
                    related: tuple[Related, ...]) -> None:
        """Report a lock taken inside an open section."""
        cls = sec.lock_class(lock)
        rel = (Related(self.path, where, "section entered here"), *related)
        if cls in ("init_mm", "ptl"):
            self.report("lock-order", c.pos,
                        f"{_callname(c)} takes {lock} inside the lazy MMU section entered at "
                        f"{where}; the G1' proposal takes page-table locks before entering",
                        kind=cls, related=rel)
        else:
            self.report("lock-order", c.pos,
                        f"{_callname(c)} inside the lazy MMU section entered at {where}: on "
                        f"PREEMPT_RT spinlock_t sleeps, and the enter disables preemption on "
                        f"{'/'.join(sec.PREEMPT_DISABLING)}", kind="rt", related=rel,
                        hazard="H25")

    def sleep(self, st: State, c: sx.Call, m: sec.Meaning) -> State:
        """A call that may sleep."""
        if st.open:
            where, _ = self.outer(st)
            self.report("sleep-in-section", c.pos,
                        f"{m.detail} may sleep inside the lazy MMU section entered at {where}",
                        related=(Related(self.path, where, "section entered here"),))
        elif st.depth == 0 and st.paused == 0:
            self.sleeps.add((c.pos, m.detail))
        return st

    def at_return(self, st: State, n: cfg.Node) -> None:
        """Checks at a return: open section, left section, paused."""
        what = f"'{n.text.strip()}'" if n.text != "}" else "the closing brace"
        if st.depth > 0:
            where, _ = st.enters[-1]
            self.report("section-leak", n.pos,
                        f"{what} leaves {self.fn.name}() with the lazy MMU section entered at "
                        f"{where} still open",
                        related=(Related(self.path, where, "section entered here"),))
        elif st.depth < 0 and st.left_pos is not None:
            self.report("unbalanced-leave", n.pos,
                        f"{what} returns from {self.fn.name}() after leaving a section it did "
                        f"not enter (at {st.left_pos}) without re-entering it",
                        related=(Related(self.path, st.left_pos, "left here"),))
        if st.paused > 0 and st.pause_pos is not None:
            self.report("unbalanced-leave", n.pos,
                        f"{what} returns from {self.fn.name}() while paused (paused at "
                        f"{st.pause_pos})",
                        related=(Related(self.path, st.pause_pos, "paused here"),))

    def run(self, g: nx.DiGraph) -> bool:
        """Explore every (node, state) pair; ``False`` if the state cap was hit."""
        tracked = frozenset().union(*(cond_vars(cfg.node(g, n).cond) for n in g.nodes))
        top = tuple(sorted((v, sx.ANY) for v in tracked))
        start = State(env=top)
        seen = {(cfg.ENTRY, start)}
        per_node: dict[int, int] = {}
        work = deque(seen)
        while work:
            n, st = work.popleft()
            node = cfg.node(g, n)
            for e in node.effects:
                st = self.effect(st, e, tracked)
            if node.kind == "return":
                self.at_return(st, node)
            for succ in g.successors(n):
                data = g.edges[n, succ]
                nxt = st
                if data["cond"] is not None:
                    env = refine(dict(st.env), data["cond"], data["sense"])
                    if env is None:
                        continue
                    nxt = replace(st, env=tuple(sorted(env.items())))
                if per_node.get(succ, 0) >= WIDEN_AT:
                    nxt = replace(nxt, env=top)  # widen: forget the locals, keep the rest
                if (succ, nxt) not in seen:
                    if len(seen) >= MAX_STATES:
                        return False
                    per_node[succ] = per_node.get(succ, 0) + 1
                    seen.add((succ, nxt))
                    work.append((succ, nxt))
        return True

    def result(self, complete: bool) -> FunctionResult:
        """Freeze what the analysis found."""
        fn = self.fn
        summary = Summary(fn.name, self.path, fn.pos, tuple(sorted(self.opens)),
                          tuple(sorted(self.sleeps)), tuple(sorted(self.locks)))
        site = None
        if self.api_seen and not sec.is_api_implementation(fn.name):
            o = {k: tuple(sorted(v)) for k, v in self.ops.items()}
            site = CallSite(self.path, fn.name, fn.pos.line, fn.end.line,
                            tuple(sorted(self.gens)), o["enter"], o["leave"], o["pause"],
                            o["resume"], o["flush"], tuple(sorted(self.locks_at_enter)),
                            self.max_depth, tuple(sorted(self.calls_inside)),
                            tuple(sorted(self.callbacks)))
        findings = () if sec.is_api_implementation(fn.name) else tuple(
            sorted(self.findings.values(), key=lambda f: (f.pos, f.check, f.message)))
        return FunctionResult(findings, site, summary,
                              tuple(sorted(self.inside, key=lambda i: (i.pos, i.callee))),
                              incomplete=not complete)


def analyse(path: str, fn: sx.Function) -> FunctionResult:
    """Run every check on every path of ``fn``."""
    a = _Analysis(path, fn)
    complete = a.run(cfg.build(fn))
    return a.result(complete)




def _split_args(text: str) -> tuple[str, ...]:
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return tuple(a for a in out if a)


def cheap_summaries(path: str, data: bytes,
                    spans: list[tuple[str, int, int]]) -> tuple[Summary, ...]:
    """Summaries of the functions without lazy MMU calls, (name, first byte, last byte),
    from one pass of :data:`sections.CHEAP_CALLS` over the file's text."""
    out: list[Summary] = []
    matches = list(sec.CHEAP_CALLS.finditer(data))
    k, line, at = 0, 1, 0
    for name, first, last in spans:
        sleeps: list[tuple[sx.Pos, str]] = []
        locks: list[tuple[sx.Pos, str]] = []
        if first > at:
            line += data.count(b"\n", at, first)
            at = first
        fline = line
        while k < len(matches) and matches[k].start() < first:
            k += 1
        while k < len(matches) and matches[k].start() < last:
            m = matches[k]
            k += 1
            line += data.count(b"\n", at, m.start())
            at = m.start()
            pos = sx.Pos(line, at - data.rfind(b"\n", 0, at))
            callee = m.group(1).decode("ascii", "replace")
            args = _split_args(data[m.end():m.end() + 400].decode("utf-8", "replace")) \
                if callee in _NEEDS_ARGS or "lock" in callee else ()
            for meaning in sec.meaning(sx.Call(callee, args, pos)):
                if meaning.op is sec.Op.SLEEP:
                    sleeps.append((pos, meaning.detail))
                elif meaning.op is sec.Op.LOCK:
                    locks.append((pos, meaning.detail))
        out.append(Summary(name, path, sx.Pos(fline, 1), (), tuple(sleeps), tuple(locks)))
    return tuple(out)


_NEEDS_ARGS = frozenset(k for k, (_, gfp) in sec.SLEEPING.items() if gfp is not None) | {
    "guard", "scoped_guard"}


def _pick(summaries: dict[str, list[Summary]], name: str, path: str) -> Summary | None:
    got = summaries.get(name, [])
    same = [s for s in got if s.path == path]
    if same:
        return same[0]
    return got[0] if len(got) == 1 else None


def resolve(calls: list[InSection], summaries: dict[str, list[Summary]]) -> tuple[Finding, ...]:
    """Findings through one level of callees: a call inside a section to a function that
    opens a section, may sleep or takes a lock."""
    out: dict[tuple[str, str, sx.Pos, str], Finding] = {}
    for ins in calls:
        s = _pick(summaries, ins.callee, ins.path)
        if s is None:
            continue
        for f in _through(ins, s):
            out.setdefault((f.path, f.check, f.pos, f.message), f)
    return tuple(sorted(out.values(), key=lambda f: (f.path, f.pos, f.check, f.message)))


def _through(ins: InSection, s: Summary) -> list[Finding]:
    where = "the lazy MMU section apply_to_pte_range() enters" if ins.callback else \
        f"the lazy MMU section entered at {ins.enter}"
    who = f"callback {ins.callee}()" if ins.callback else f"{ins.callee}()"
    rel_sec = () if ins.callback else (Related(ins.path, ins.enter, "section entered here"),)
    out = []
    for pos, gen in s.opens[:1]:
        if gen in sec.NESTING_FORBIDDEN and ins.gen in sec.NESTING_FORBIDDEN:
            out.append(Finding("nested-section", ins.path, ins.pos, ins.caller,
                               f"{who} enters a lazy MMU section (at {s.path}:{pos}) inside "
                               f"{where}; G0/G1 sections must not nest", "H4", "callee",
                               (*rel_sec, Related(s.path, pos, "nested enter"))))
    for pos, why in s.sleeps[:1]:
        out.append(Finding("sleep-in-section", ins.path, ins.pos, ins.caller,
                           f"{who} may sleep ({why} at {s.path}:{pos}) inside {where}",
                           "H11", "callee", (*rel_sec, Related(s.path, pos, why))))
    for pos, lock in s.locks[:1]:
        cls = sec.lock_class(lock)
        hazard, kind = ("H9", cls) if cls in ("init_mm", "ptl") else ("H25", "rt")
        out.append(Finding("lock-order", ins.path, ins.pos, ins.caller,
                           f"{who} takes {lock} (at {s.path}:{pos}) inside {where}"
                           + ("; the G1' proposal takes page-table locks before entering"
                              if hazard == "H9" else ": a sleeping lock on PREEMPT_RT"),
                           hazard, kind, (*rel_sec, Related(s.path, pos, f"takes {lock}"))))
    return out


def severity(f: Finding, arch: str) -> str:
    """error, warning or note for ``f`` on ``arch`` ("all": the worst arch)."""
    disabling = arch == "all" or arch in sec.PREEMPT_DISABLING
    if f.check == "sleep-in-section":
        return "error" if disabling else "note"
    if f.check == "lock-order":
        if f.kind == "rt":
            return "warning" if disabling else "note"
        return "warning"
    return "error"
