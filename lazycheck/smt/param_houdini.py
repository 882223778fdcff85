"""Universally quantified invariants over the parametric encoding, and Houdini over them.

A candidate is a mined clause of the template instance
(:class:`~lazycheck.system.Clause`) with its task and CPU indices turned
into universally quantified variables: ``T0.pc == 3 -> enable_count[T0] == 1``
becomes ``forall t: prog(t) == P0 -> (pc(t) == 3 -> enable_count(t) == 1)``;
indices that differ in the clause become distinct variables.  Values of
``current``-like variables that name a task become that task's variable
(an idle task ``idle<c>``: ``is_idle(v) && home(v) == c``).

Houdini: every candidate false initially (in some instance) is dropped; then
for each generalised action, z3 looks for a pre-state satisfying every live
candidate (all instances at once: the sorts are uninterpreted) whose
post-state breaks one; the broken candidates (evaluated in z3's model) are
dropped, until no action breaks any.  PROVED when ``violation == 0``
survives.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.smt.parametric import (
    _TOKEN,
    NONE,
    ParamAction,
    Sig,
    StateFn,
    Template,
    Token,
    Unsupported,
    generalise,
    pre_state,
)
from lazycheck.system import Clause

MAX_INDICES = 3  # quantified tasks and CPUs in one candidate clause


@dataclass(frozen=True, slots=True)
class Quantified:
    """A universally quantified clause: its variables, their constraints, its body."""

    text: str  # the clause in kernel terms, with t0/t1/c0 for the quantified indices
    tokens: tuple[Token, ...]  # the template indices it quantifies over, in order
    clause: Clause  # the template clause it generalises

    def formula(self, tpl: Template, sig: Sig, state: StateFn, xs: Sequence[Any]) -> Any:
        """``constraints -> body`` with ``xs`` for the quantified indices."""
        bind = dict(zip(self.tokens, xs, strict=True))
        cons = _constraints(tpl, sig, self.tokens, bind)
        return z3.Implies(z3.And(*cons) if cons else z3.BoolVal(True, sig.ctx),
                          _body(tpl, sig, state, self.clause, bind))

    def fresh(self, sig: Sig, tag: str) -> list[Any]:
        """Fresh constants, one per quantified index."""
        return [z3.Const(f"{tag}{k}", sig.cpu if t[0] == "cpu" else sig.thr)
                for k, t in enumerate(self.tokens)]

    def at(self, tpl: Template, sig: Sig, state: StateFn) -> Any:
        """The closed formula ``forall xs. constraints -> body`` in ``state``."""
        xs = self.fresh(sig, "q")
        body = self.formula(tpl, sig, state, xs)
        return z3.ForAll(xs, body) if xs else body


def _constraints(tpl: Template, sig: Sig, toks: Sequence[Token],
                 bind: dict[Token, Any]) -> list[Any]:
    out = []
    for tok in toks:
        x = bind[tok]
        if tok[0] == "task":
            out.append(sig.prog(x) == tpl.progs[tok[1]])
        elif tok[0] == "idle":
            out += [sig.is_idle(x), sig.home(x) == bind[("cpu", tok[1])]]
    thr = [bind[t] for t in toks if t[0] != "cpu"]
    cpus = [bind[t] for t in toks if t[0] == "cpu"]
    for group in (thr, cpus):
        if len(group) > 1:
            out.append(z3.Distinct(*group))
    return out


def value_is(tpl: Template, sig: Sig, sort: str, v: Any, k: int,
             bind: dict[Token, Any], initial: bool = False) -> Any:
    """``v`` (a value of ``sort``) is the template value ``k``."""
    if sort == "int":
        return v == k
    if sort == "cpu":
        tok: Token | None = ("cpu", k)
    else:
        tok = tpl.thread_token(k)
    if tok is None:
        return v == sig.nobody
    if tok in bind:
        return v == bind[tok]
    if tok[0] == "idle" and ("cpu", tok[1]) in bind:
        return z3.And(sig.is_idle(v), sig.home(v) == bind[("cpu", tok[1])])
    if initial and tok == ("cpu", 0):
        return v == sig.cpu0
    raise Unsupported(f"value {k} names an index the clause does not quantify")


def _body(tpl: Template, sig: Sig, state: StateFn, c: Clause, bind: dict[Token, Any]) -> Any:
    def is_(j: int, k: int) -> Any:
        cell = tpl.cells[j]
        f = tpl.families[cell.family]
        v = state(cell.family, tuple(bind[t] for t in cell.tokens))
        return value_is(tpl, sig, f.value, v, k, bind)
    parts = [z3.Not(is_(w, a)) for w, a in c.when] + [is_(c.var, k) for k in c.values]
    return z3.Or(*parts) if len(parts) > 1 else parts[0]


def _value_tokens(tpl: Template, j: int, k: int) -> list[Token]:
    f = tpl.families[tpl.cells[j].family]
    if f.value == "cpu":
        return [("cpu", k)]
    if f.value == "thr" and k != NONE:
        tok = tpl.thread_token(k)
        assert tok is not None
        return [tok, ("cpu", tok[1])] if tok[0] == "idle" else [tok]
    return []


def quantify(tpl: Template, c: Clause) -> Quantified:
    """The clause over quantified indices (Unsupported if it cannot be)."""
    toks: list[Token] = []
    for j, vals in [(w, (a,)) for w, a in c.when] + [(c.var, c.values)]:
        for t in tpl.cells[j].tokens:
            toks.append(t)
            if t[0] == "idle":
                toks.append(("cpu", t[1]))
        for k in vals:
            toks += _value_tokens(tpl, j, k)
    order = tuple(dict.fromkeys(toks))
    return Quantified(_text(tpl, c, order), order, c)


def _text(tpl: Template, c: Clause, order: tuple[Token, ...]) -> str:
    """The clause in kernel terms, indices renamed t0, t1, ... and c0, c1, ..."""
    names: dict[Token, str] = {}
    for t in order:
        kind = "c" if t[0] == "cpu" else "t"
        names[t] = f"{kind}{sum(1 for n in names.values() if n[0] == kind)}"

    def rename(m: re.Match[str]) -> str:
        s = m.group(1)
        if s.startswith("irq@cpu"):
            return "irq@" + names[("cpu", int(s[7:]))]
        if s.startswith("idle"):
            return f"idle({names[('cpu', int(s[4:]))]})"
        if s.startswith("cpu"):
            return names[("cpu", int(s[3:]))]
        return names[("task", int(s[1:]))]

    def show(j: int, vals: Sequence[int]) -> str:
        name = _TOKEN.sub(rename, tpl.system.vars[j].name)
        f = tpl.families[tpl.cells[j].family]
        shown = [_show_value(f.value, k, names, tpl) for k in vals]
        return f"{name} == {shown[0]}" if len(shown) == 1 else f"{name} in {{{', '.join(shown)}}}"

    parts = [show(w, (a,)) for w, a in c.when]
    body = show(c.var, c.values)
    text = (" && ".join(parts) + " -> " + body) if parts else body
    if len(set(tpl.progs)) > 1:  # the text is a key (dedup, cache): name each task's program
        progs = [f"prog({names[t]}) == {tpl.progs[t[1]]}" for t in order if t[0] == "task"]
        text += f"  [{', '.join(progs)}]" if progs else ""
    return text


def _show_value(sort: str, k: int, names: dict[Token, str], tpl: Template) -> str:
    if sort == "cpu":
        return names.get(("cpu", k), f"cpu{k}")
    if sort == "thr":
        tok = tpl.thread_token(k)
        if tok is None:
            return "none"
        if tok[0] == "idle":
            return f"idle({names.get(('cpu', tok[1]), 'c?')})"
        return names.get(tok, f"T{k}")
    return str(k)


@dataclass(frozen=True, slots=True)
class Cti:
    """A counterexample to induction: the action, the clauses it breaks, its pre-state."""

    action: str
    broken: tuple[str, ...]
    state: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParamAnswer:
    """Houdini's answer: the surviving clauses, whether they prove safety, the last CTI."""

    invariant: tuple[Quantified, ...]
    proved: bool
    status: str  # "proved", "not-inductive", "unknown"
    reason: str = ""
    cti: Cti | None = None
    rounds: int = 0
    actions: int = 0
    candidates: int = 0
    stats: str = ""  # where the time went (z3 checks, instances, model reading)


class Prover:
    """The parametric encoding of one template and Houdini over quantified candidates."""

    def __init__(self, tpl: Template) -> None:
        self.tpl = tpl
        self.ctx = z3.Context()
        self.sig = Sig(tpl, self.ctx)
        shared: dict[Any, Any] = {}  # translators by binding, shared by the actions
        self.actions = [generalise(tpl, self.sig, n, shared)
                        for n in range(len(tpl.system.actions))]
        self._opened: dict[str, tuple[list[Any], Any]] = {}
        self.consecution: Any = None  # the last prove()'s queries (for its statistics)

    def domain(self) -> list[Any]:
        """Every integer family stays in its template range (true in every instance)."""
        out = list(self.sig.background())
        for f in self.tpl.families.values():
            if f.value != "int":
                continue
            xs = [z3.Const(f"d{k}", self.sig.sort(a)) for k, a in enumerate(f.args)]
            v = pre_state(self.sig)(f.name, tuple(xs))
            body = z3.And(v >= f.lo, v <= f.hi)
            oks = [self.tpl.class_ok(self.sig, f.name, k)(x) for k, x in enumerate(xs)]
            if oks:
                body = z3.Implies(z3.And(*oks), body)
            out.append(z3.ForAll(xs, body) if xs else body)
        return out

    def initial(self) -> StateFn:
        """The initial state of every instance, as a state (Unsupported if not uniform).

        Per family and per class of index (a program's tasks, idle tasks,
        CPUs), the template's initial value, which must be the same for every
        template index of that class; cells no instance has (``nobody``'s, an
        idle task's in a family of task programs) start at one of them."""
        rules = {f.name: self._initial_either(f.name) for f in self.tpl.families.values()}
        sig = self.sig

        def at(fam: str, args: tuple[Any, ...]) -> Any:
            xs, table = rules[fam]
            acc = None
            for cls, term in reversed(table):
                v = z3.substitute(term, *zip(xs, args, strict=True)) if xs else term
                conds = [sig.prog(a) == c[1] if c[0] == "p" else sig.is_idle(a)
                         for a, c in zip(args, cls, strict=True) if c[0] != "cpu"]
                acc = v if acc is None or not conds else z3.If(z3.And(*conds), v, acc)
            assert acc is not None
            return acc
        return at

    def _initial_either(self, fam: str) -> tuple[list[Any], list[tuple[Any, Any]]]:
        """The family's initial rule, CPU 0 read as the cell's own CPU where it is one;
        failing that, as ``cpu_zero`` (a per-CPU local that starts at 0 at every CPU)."""
        try:
            return self._initial_family(fam, False)
        except Unsupported:
            return self._initial_family(fam, True)

    def _initial_family(self, fam: str, zero: bool) -> tuple[list[Any], list[tuple[Any, Any]]]:
        tpl, sig = self.tpl, self.sig
        f = tpl.families[fam]
        xs = [z3.Const(f"i{k}", sig.sort(a)) for k, a in enumerate(f.args)]
        by_class: dict[tuple[Any, ...], Any] = {}
        for j, cell in enumerate(tpl.cells):
            if cell.family != fam:
                continue
            bind = dict(zip(cell.tokens, xs, strict=True))
            for t, x in zip(cell.tokens, xs, strict=True):
                if t[0] == "idle":  # an idle task's own CPU
                    bind[("cpu", t[1])] = sig.home(x)
            cls = tuple(("p", tpl.progs[t[1]]) if t[0] == "task" else (t[0],)
                        for t in cell.tokens)
            term = self._init_term(f.value, tpl.system.init[j], bind, zero)
            old = by_class.get(cls)
            if old is not None and not old.eq(term):
                raise Unsupported(f"{fam} starts differently for indices of one kind")
            by_class[cls] = term
        return xs, sorted(by_class.items(), key=lambda kv: str(kv[0]))

    def _init_term(self, sort: str, k: int, bind: dict[Token, Any], zero: bool = False) -> Any:
        """The initial value ``k`` of a cell as a term over the cell's own indices
        (``zero``: CPU 0 is ``cpu_zero`` even in CPU 0's own cells)."""
        sig = self.sig
        if sort == "int":
            return z3.IntVal(k, sig.ctx)
        tok = ("cpu", k) if sort == "cpu" else self.tpl.thread_token(k)
        if tok is None:
            return sig.nobody
        if zero and tok == ("cpu", 0):
            return sig.cpu0
        if tok in bind:
            return bind[tok]
        if tok[0] == "idle" and ("cpu", tok[1]) in bind:
            return sig.idle_of(bind[("cpu", tok[1])])
        if tok == ("cpu", 0):
            return sig.cpu0  # a task that never ran "last ran" on the first CPU
        raise Unsupported(f"an initial value names {tok[0]}{tok[1]}")

    def _families(self, q: Quantified) -> set[str]:
        return {self.tpl.cells[j].family for j in (q.clause.var, *(w for w, _ in q.clause.when))}

    def prove(self, cands: Sequence[Quantified], safety: int, timeout_s: float) -> ParamAnswer:
        """Houdini over ``cands`` (index ``safety`` is ``violation == 0``)."""
        from lazycheck.smt.param_inst import Consecution

        deadline = time.monotonic() + timeout_s
        live = self._initiation(cands, timeout_s)
        if live is None:
            return ParamAnswer((), False, "unknown", "z3 gave up on initiation")
        if safety not in live:
            return ParamAnswer((), False, "not-inductive",
                               "the initial state of some instance violates a property")
        lits = [z3.Bool(f"cand!{i}", self.ctx) for i in range(len(cands))]
        cons = self.consecution = Consecution(self, cands, lits)
        fams = [self._families(q) for q in cands]
        rounds, changed = 0, True
        while changed:
            changed = False
            for act in self.actions:
                while True:
                    rounds += 1
                    touched = [i for i in sorted(live) if fams[i] & act.writes.keys()]
                    if not touched:
                        break
                    got = cons.query(act, touched, live, deadline)
                    if got is None:
                        break
                    if isinstance(got, str):
                        return self._answer(cands, live, "unknown", got, None, rounds)
                    broken, model = got
                    if not broken:
                        return self._answer(cands, live, "unknown", "z3's model breaks no "
                                            f"clause (action {act.name})", None, rounds)
                    live -= broken
                    changed = True
                    if safety in broken:
                        cti = self._cti(act, broken, model)
                        return self._answer(cands, live, "not-inductive", "", cti, rounds)
        return self._answer(cands, live, "proved", "", None, rounds)

    def skolems(self, q: Quantified) -> list[Any]:
        """Shared skolem constants: the j-th thread (CPU) index of any clause is k<j> (e<j>)."""
        out, nt, nc = [], 0, 0
        for t in q.tokens:
            if t[0] == "cpu":
                out.append(z3.Const(f"sk_e{nc}", self.sig.cpu))
                nc += 1
            else:
                out.append(z3.Const(f"sk_k{nt}", self.sig.thr))
                nt += 1
        return out

    def universe(self, acts: Sequence[ParamAction], cands: Sequence[Quantified]
                  ) -> tuple[list[Any], list[Any]]:
        """The ground terms each quantified hypothesis is instantiated at, for ``acts``."""
        consts = list({c.get_id(): c for act in acts for c in act.consts}.values())
        thr = [c for c in consts if c.sort() == self.sig.thr]
        cpu = [c for c in consts if c.sort() == self.sig.cpu]
        nt = max((sum(1 for t in q.tokens if t[0] != "cpu") for q in cands), default=0)
        nc = max((sum(1 for t in q.tokens if t[0] == "cpu") for q in cands), default=0)
        base_t = [*thr, *(z3.Const(f"sk_k{j}", self.sig.thr) for j in range(nt))]
        base_c = [*cpu, *(z3.Const(f"sk_e{j}", self.sig.cpu) for j in range(nc))]
        cpu_of, curr = self.sig.funcs.get("cpu_of[{t}]"), self.sig.funcs.get("curr[{c}]")
        cpus = base_c + ([cpu_of(t) for t in base_t] if cpu_of is not None else [])
        thrs = base_t + ([curr(c) for c in cpus] if curr is not None else [])
        return thrs, cpus

    def opened(self, q: Quantified) -> tuple[list[Any], Any]:
        """``q`` in the pre-state over placeholder constants (built once, then substituted)."""
        hit = self._opened.get(q.text)
        if hit is None:
            holes = q.fresh(self.sig, "h!")
            hit = self._opened[q.text] = (holes, q.formula(self.tpl, self.sig,
                                                           pre_state(self.sig), holes))
        return hit

    def domain_at(self, thrs: list[Any], cpus: list[Any]) -> list[Any]:
        """The integer families' ranges at the given terms."""
        out = []
        pre = pre_state(self.sig)
        for f in self.tpl.families.values():
            if f.value != "int":
                continue
            pools = [cpus if a == "cpu" else thrs for a in f.args]
            for xs in itertools.product(*pools):
                v = pre(f.name, tuple(xs))
                body = z3.And(v >= f.lo, v <= f.hi)
                oks = [self.tpl.class_ok(self.sig, f.name, k)(x) for k, x in enumerate(xs)]
                out.append(z3.Implies(z3.And(*oks), body) if oks else body)
        return out

    def _initiation(self, cands: Sequence[Quantified], timeout_s: float) -> set[int] | None:
        """The candidates that hold in the initial state of every instance."""
        solver = z3.Solver(ctx=self.ctx)
        solver.set("timeout", max(1, int(timeout_s * 1000)))
        solver.add(*self.sig.background())
        init = self.initial()
        live = set(range(len(cands)))
        negs = {i: z3.Not(q.formula(self.tpl, self.sig, init,
                                    q.fresh(self.sig, f"n{i}_")))
                for i, q in enumerate(cands)}
        start = time.monotonic()
        while live:
            left = timeout_s - (time.monotonic() - start)
            if left <= 0:
                return None
            solver.set("timeout", max(1, int(left * 1000)))
            solver.push()
            solver.add(z3.Or(*(negs[i] for i in sorted(live))))
            res = solver.check()
            m = solver.model() if res == z3.sat else None
            solver.pop()
            if res == z3.unsat:
                return live
            if m is None:
                return None
            bad = {i for i in live if z3.is_true(m.eval(negs[i], model_completion=True))}
            if not bad:
                return None
            live -= bad
        return live

    def _cti(self, act: ParamAction, broken: set[int], m: Any) -> Cti:
        """The pre-state of a CTI at the action's task/CPU (and the acting task's CPU)."""
        names = {str(c.decl().name()).split("!")[0]: c for c in act.consts}
        cpu_of = self.sig.funcs.get("cpu_of[{t}]")
        if cpu_of is not None and "c" not in names:
            names.update({f"cpu_of({r})": cpu_of(c) for r, c in list(names.items())
                          if c.sort() == self.sig.thr})
        lines = []
        for f in self.tpl.families.values():
            if len(f.args) > 1:
                continue
            at = [("", ())] if not f.args else [
                (r, (c,)) for r, c in names.items()
                if (f.args[0] == "cpu") == (c.sort() == self.sig.cpu)]
            for role, args in at:
                v = m.eval(pre_state(self.sig)(f.name, args), model_completion=True)
                shown = f.name.replace("{t}", role).replace("{c}", role).replace(
                    "{irq}", "irq@" + role)
                lines.append(f"{shown} = {_shown(self.sig, m, v, names)}")
        return Cti(act.name, tuple(sorted(str(i) for i in broken)), tuple(lines))

    def _answer(self, cands: Sequence[Quantified], live: set[int], status: str, reason: str,
                cti: Cti | None, rounds: int) -> ParamAnswer:
        inv = tuple(cands[i] for i in sorted(live))
        if cti is not None:
            cti = Cti(cti.action, tuple(cands[int(i)].text for i in cti.broken), cti.state)
        c = self.consecution
        stats = "" if c is None else (
            f"{c.queries} z3 checks ({c.z3_s:.1f} s), {c.instances} instances, "
            f"models read in {c.eval_s:.1f} s")
        return ParamAnswer(inv, status == "proved", status, reason, cti, rounds,
                           len(self.actions), len(cands), stats)


def _shown(sig: Sig, m: Any, v: Any, names: dict[str, Any]) -> str:
    """A value of a CTI: a number, or the role (a, p, n, c) of the element it is."""
    for role, c in names.items():
        if c.sort() == v.sort() and z3.is_true(m.eval(c == v, model_completion=True)):
            return role
    if v.sort() == sig.thr:
        prog = m.eval(sig.prog(v), model_completion=True)
        return f"a thread with prog {prog}"
    if v.sort() == sig.cpu:
        return "another CPU"
    return str(v)


def candidates(tpl: Template, clauses: Sequence[Clause]) -> tuple[list[Quantified], int]:
    """The mined clauses quantified and deduplicated, ``violation == 0`` first (index 0)."""
    safe = Clause(tpl.system.violation_var, (0,))
    out: dict[str, Quantified] = {}
    for c in (safe, *clauses):
        try:
            q = quantify(tpl, c)
        except Unsupported:
            continue
        if len(q.tokens) > MAX_INDICES:  # its instances would swamp the ground universe
            continue
        out.setdefault(q.text, q)
    return list(out.values()), 0


def disagreement(tpl: Template, prover: Prover, state: Sequence[int], n: int,
                 post: Sequence[int] | None) -> str:
    """Where the generalised action ``n`` and the template's own action differ on ``state``.

    The template is itself an instance: its tasks, idle tasks and CPUs are
    bound to distinct elements and the pre-state to ``state``; the action's
    constants to the template indices it owns.  ``post`` is the concrete
    successor (None: the action is disabled).  Returns "" when the encoding
    agrees with the semantics (a test runs this on reachable states)."""
    sig = prover.sig
    act = prover.actions[n]
    elems: dict[Token, Any] = {}
    for k in range(tpl.ntasks):
        elems[("task", k)] = z3.Const(f"T{k}", sig.thr)
    for c in range(tpl.ncpus):
        elems[("cpu", c)] = z3.Const(f"cpu{c}", sig.cpu)
        elems[("idle", c)] = z3.Const(f"idle{c}", sig.thr)
    s = z3.Solver(ctx=sig.ctx)
    thr = [v for t, v in elems.items() if t[0] != "cpu"] + [sig.nobody]
    s.add(z3.Distinct(*thr), z3.Distinct(*[v for t, v in elems.items() if t[0] == "cpu"]))
    s.add(*[sig.prog(elems[("task", k)]) == tpl.progs[k] for k in range(tpl.ntasks)])
    for c in range(tpl.ncpus):
        s.add(sig.is_idle(elems[("idle", c)]), sig.home(elems[("idle", c)]) == elems[("cpu", c)],
              sig.idle_of(elems[("cpu", c)]) == elems[("idle", c)], sig.cpu0 == elems[("cpu", 0)])
    pre, after = pre_state(sig), act.post(sig)
    cells = [(tpl.families[cell.family], tuple(elems[t] for t in cell.tokens), cell.family)
             for cell in tpl.cells]
    for (f, args, fam), v in zip(cells, state, strict=True):
        s.add(value_is(tpl, sig, f.value, pre(fam, args), v, elems))
    a = tpl.system.actions[n]
    roles = {"a": a.task, "p": a.task, "n": a.other}
    for c in act.consts:
        role = str(c.decl().name()).rstrip("!")
        if role == "c":
            assert a.cpu is not None
            s.add(c == elems[("cpu", a.cpu)])
        else:
            who = roles[role]
            assert who is not None
            tok = tpl.thread_token(who)
            assert tok is not None
            s.add(c == elems[tok])
    s.add(*act.where)
    if post is None:
        return "" if s.check(act.guard) == z3.unsat else "enabled in the encoding only"
    if s.check(z3.Not(act.guard)) != z3.unsat:
        return "disabled in the encoding only"
    s.add(act.guard)
    for (f, args, fam), v, j in zip(cells, post, range(len(post)), strict=True):
        if s.check(z3.Not(value_is(tpl, sig, f.value, after(fam, args), v, elems))) != z3.unsat:
            return f"{tpl.system.vars[j].name} differs after {a.name}"
    return ""
