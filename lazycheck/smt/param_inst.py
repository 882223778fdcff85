"""Consecution queries of parametric Houdini, with hypotheses instantiated on demand.

A consecution query asks, for one generalised action, whether a pre-state
satisfying every live universally quantified candidate has a post-state
breaking one.  The hypotheses are *instantiated* at ground terms (the
action's constants, the shared skolems, and ``cpu_of``/``curr`` of those):
any set of instances only weakens them, so an UNSAT answer is a proof for
the quantified clauses, whatever instances were used.

Instantiating every candidate at every tuple of those terms up front made
hundreds of thousands of ground clauses on arm64-g3 (3,000 candidates):
5 s per z3 check and 90 s to build.  Here the instances are added
**on demand** (model-based, a CEGAR loop): z3 answers with a model; each
live candidate is evaluated in Python at every tuple of the model's
elements that the action's ground terms denote (:class:`ModelView`); the
instances that are false there are added and z3 asked again.  When none is
false the model satisfies every instance over those terms, which is exactly
the answer the full instantiation gives: the same verdicts, with the few
instances that matter.

The post-state of a candidate is built once per candidate over ``!post``
copies of the state functions, and each query defines those copies, at the
few ground applications the candidates make, from the action's post-state
(:meth:`Consecution.definitions`): no term is rebuilt per (candidate,
action).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.smt.parametric import ParamAction, Sig, Template, Token
from lazycheck.system import Clause

Elem = int | str  # an integer value, or a model element of a sort by its name


@dataclass
class ModelView:
    """A z3 model read in Python: elements by name, family values memoised."""

    tpl: Template
    sig: Sig
    model: Any
    exprs: dict[str, Any] = field(default_factory=dict)  # element name -> a term for it
    memo: dict[tuple[str, tuple[str, ...]], Elem] = field(default_factory=dict)
    props: dict[str, tuple[int, str]] = field(default_factory=dict)  # prog, home

    def elem(self, term: Any) -> Elem:
        """The value of a ground term (an int, or the name of a sort element)."""
        v = self.model.eval(term, model_completion=True)
        if z3.is_int_value(v):
            return int(v.as_long())
        name = str(v)
        self.exprs.setdefault(name, term)
        return name

    def value(self, fam: str, args: tuple[str, ...]) -> Elem:
        """Family ``fam`` at elements ``args`` (each denoted by a term seen before)."""
        key = (fam, args)
        hit = self.memo.get(key)
        if hit is None:
            fn = self.sig.funcs[fam]
            hit = self.memo[key] = self.elem(fn(*(self.exprs[a] for a in args))
                                             if args else fn)
        return hit

    def prog_home(self, e: str) -> tuple[int, str]:
        """``prog`` and ``home`` of a thread element."""
        hit = self.props.get(e)
        if hit is None:
            t = self.exprs[e]
            prog = self.elem(self.sig.prog(t))
            assert isinstance(prog, int)
            hit = self.props[e] = (prog, str(self.elem(self.sig.home(t))))
        return hit

    def holds(self, tokens: Sequence[Token], clause: Clause, assign: dict[Token, str]) -> bool:
        """The quantified clause's instance at ``assign`` (its constraints included)."""
        for tok in tokens:
            if tok[0] == "task" and self.prog_home(assign[tok])[0] != self.tpl.progs[tok[1]]:
                return True
            if tok[0] == "idle":
                prog, home = self.prog_home(assign[tok])
                if prog != -1 or home != assign[("cpu", tok[1])]:
                    return True
        for w, a in clause.when:
            if not self._is(w, a, assign):
                return True
        return any(self._is(clause.var, k, assign) for k in clause.values)

    def _is(self, j: int, k: int, assign: dict[Token, str]) -> bool:
        """Cell ``j`` (at ``assign``) is the template value ``k`` (as ``value_is``)."""
        cell = self.tpl.cells[j]
        sort = self.tpl.families[cell.family].value
        v = self.value(cell.family, tuple(assign[t] for t in cell.tokens))
        if sort == "int":
            return v == k
        tok: Token | None = ("cpu", k) if sort == "cpu" else self.tpl.thread_token(k)
        if tok is None:
            return v == self.elem(self.sig.nobody)
        if tok in assign:
            return v == assign[tok]
        assert tok[0] == "idle" and isinstance(v, str)
        prog, home = self.prog_home(v)
        return prog == -1 and home == assign[("cpu", tok[1])]


def false_instances(view: ModelView, tokens: Sequence[Token], clause: Clause,
                    thrs: Sequence[str], cpus: Sequence[str]) -> Iterator[dict[Token, str]]:
    """Every assignment of the clause's indices to distinct elements where it is false
    (an assignment that breaks the clause's constraints makes it true: not tried)."""
    pools = []
    for tok in tokens:
        if tok[0] == "cpu":
            pools.append(cpus)
        else:
            want = view.tpl.progs[tok[1]] if tok[0] == "task" else -1
            pools.append([e for e in thrs if view.prog_home(e)[0] == want])
    for es in itertools.product(*pools):
        if len(set(es)) < len(es):
            continue
        assign = dict(zip(tokens, es, strict=True))
        if not view.holds(tokens, clause, assign):
            yield assign


class Consecution:
    """One incremental solver for every consecution query of one Houdini run.

    Hypothesis instances (``lit_i -> instance``) are added for good: each is
    an instance of candidate ``i`` at ground terms, true whenever candidate
    ``i`` is (``lit_i`` is assumed exactly for the live candidates).  A query
    is guarded by its own literal, retired after the answer."""

    def __init__(self, prover: Any, cands: Sequence[Any], lits: Sequence[Any],
                 seed: bool = True) -> None:
        self.prover, self.cands, self.lits = prover, cands, lits
        sig, tpl = prover.sig, prover.tpl
        self.solver = z3.SolverFor("QF_UFLIA", ctx=sig.ctx)
        thrs, cpus = prover.universe(prover.actions, cands)
        self.solver.add(*prover.domain_at(thrs, cpus), *sig.background_at(thrs, cpus))
        self.post = {f.name: sig.declare(f, "!post") for f in tpl.families.values()}
        self.apps: dict[tuple[str, tuple[int, ...]], tuple[str, tuple[Any, ...]]] = {}
        self.negs = [self._neg(q) for q in cands]
        self.added: set[tuple[int, tuple[int, ...]]] = set()
        if seed:
            self.solver.add(*self._diagonal())
        self.universes: dict[str, tuple[list[Any], list[Any]]] = {}
        self.defs: dict[str, list[Any]] = {}
        self.queries = 0  # z3 checks, model-based re-checks included
        self.instances = 0  # hypothesis instances added
        self.z3_s = 0.0  # seconds inside z3's check
        self.eval_s = 0.0  # seconds reading models in Python

    def _neg(self, q: Any) -> Any:
        """``q`` false at the shared skolems, over the ``!post`` state functions."""
        def state(fam: str, args: tuple[Any, ...]) -> Any:
            self.apps[fam, tuple(a.get_id() for a in args)] = (fam, args)
            fn = self.post[fam]
            return fn(*args) if args else fn
        p = self.prover
        return z3.Not(q.formula(p.tpl, p.sig, state, p.skolems(q)))

    def _diagonal(self) -> list[Any]:
        """Each candidate at the skolems its own negation uses: the instance every query
        about that candidate needs (added up front, saving a model-based round)."""
        out = []
        for i, q in enumerate(self.cands):
            holes, body = self.prover.opened(q)
            sk = self.prover.skolems(q)
            self.added.add((i, tuple(t.get_id() for t in sk)))
            out.append(z3.Implies(self.lits[i], z3.substitute(body, *zip(holes, sk, strict=True))
                                  if holes else body))
        return out

    def definitions(self, act: ParamAction) -> list[Any]:
        """Each ``!post`` application the candidates make, equal to ``act``'s post-state."""
        hit = self.defs.get(act.name)
        if hit is None:
            post = act.post(self.prover.sig)
            hit = self.defs[act.name] = []
            for fam, args in self.apps.values():
                fn = self.post[fam]
                hit.append((fn(*args) if args else fn) == post(fam, args))
        return hit

    def query(self, act: ParamAction, touched: Sequence[int], live: set[int],
              deadline: float) -> tuple[set[int], Any] | str | None:
        """None: ``act`` keeps every live clause; else the touched clauses a genuine
        CTI's model breaks (and the model), or why z3 gave no answer.

        The query is guarded by a literal of its own, retired afterwards; the
        instances found meanwhile are added for good (they hold for every
        later query), and what z3 learnt from them is kept."""
        negs = [self.negs[i] for i in touched]
        on = z3.Bool(f"query!{self.queries}", self.prover.ctx)
        self.solver.add(z3.Implies(on, z3.And(*self.definitions(act), *act.where, act.guard,
                                              z3.Or(*negs) if len(negs) > 1 else negs[0])))
        lits = [on, *(self.lits[i] for i in sorted(live))]
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "timeout"
                self.solver.set("timeout", max(1, int(left * 1000)))
                self.queries += 1
                t0 = time.process_time()
                res = self.solver.check(*lits)
                self.z3_s += time.process_time() - t0
                if res == z3.unsat:
                    return None
                if res != z3.sat:
                    return f"z3: {self.solver.reason_unknown()} (action {act.name})"
                m = self.solver.model()
                t0 = time.process_time()
                more = self._instantiate(act, live, m)
                self.eval_s += time.process_time() - t0
                if isinstance(more, str):
                    return more
                if not more:
                    return {i for i in touched
                            if z3.is_true(m.eval(self.negs[i], model_completion=True))}, m
                self.solver.add(*more)
        finally:
            self.solver.add(z3.Not(on))

    def universe(self, act: ParamAction) -> tuple[list[Any], list[Any]]:
        """The ground terms the hypotheses are instantiated at for ``act``."""
        hit = self.universes.get(act.name)
        if hit is None:
            hit = self.universes[act.name] = self.prover.universe([act], self.cands)
        return hit

    def _instantiate(self, act: ParamAction, live: set[int], m: Any) -> list[Any] | str:
        """Every live candidate's instance (at ``act``'s ground terms) that ``m``
        falsifies, as ``lit_i -> instance``."""
        p = self.prover
        view = ModelView(p.tpl, p.sig, m)
        thrs, cpus = self.universe(act)
        rep: dict[str, Any] = {}
        for t in (*thrs, *cpus):
            rep.setdefault(str(view.elem(t)), t)
        et = [e for e, t in rep.items() if t.sort() == p.sig.thr]
        ec = [e for e, t in rep.items() if t.sort() == p.sig.cpu]
        out = []
        for i in sorted(live):
            q = self.cands[i]
            for assign in false_instances(view, q.tokens, q.clause, et, ec):
                terms = [rep[assign[t]] for t in q.tokens]
                key = (i, tuple(t.get_id() for t in terms))
                if key in self.added:  # z3's model satisfies it: the reading disagrees
                    return f"internal: instance {q.text} re-added (action {act.name})"
                self.added.add(key)
                holes, body = p.opened(q)
                inst = z3.substitute(body, *zip(holes, terms, strict=True)) if holes else body
                out.append(z3.Implies(self.lits[i], inst))
        self.instances += len(out)
        return out
