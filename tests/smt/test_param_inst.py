"""Model-based instantiation of parametric Houdini (``lazycheck.smt.param_inst``).

The Python reading of a quantified candidate in a z3 model decides which
instances are added; it must agree with z3's own evaluation of the instance,
or a query either loops or (worse) stops adding instances a model breaks.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from lazycheck.engines.houdini import Reach, mine
from lazycheck.engines.parametric import own_cpu, reachable
from lazycheck.run.parametric import instance
from lazycheck.targets import load_target

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sparc64-g3", "powerpc-hash-g3"])
def test_the_python_reading_of_a_candidate_agrees_with_z3(name: str) -> None:
    import z3

    from lazycheck.smt.param_houdini import Prover, candidates
    from lazycheck.smt.param_inst import ModelView
    from lazycheck.smt.parametric import Template

    t = load_target(name, ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    prover = Prover(tpl)
    states = reachable(inst.system, 100_000, 30.0)
    reach = Reach(states)
    mined = mine(inst.system, states, reach=reach) + own_cpu(inst.system, reach, 2, 2)
    qs = candidates(tpl, mined)[0]
    checked = 0
    for act in prover.actions[::7]:
        thrs, cpus = prover.universe([act], qs)
        s = z3.Solver(ctx=prover.ctx)
        s.add(*prover.domain_at(thrs, cpus), *prover.sig.background_at(thrs, cpus),
              *act.where, act.guard)
        assert s.check() == z3.sat
        m = s.model()
        view = ModelView(tpl, prover.sig, m)
        rep: dict[str, Any] = {}
        for term in (*thrs, *cpus):
            rep.setdefault(str(view.elem(term)), term)
        for q in qs[::5]:
            holes, body = prover.opened(q)
            pools = [[e for e, x in rep.items() if (x.sort() == prover.sig.cpu) ==
                      (tok[0] == "cpu")] for tok in q.tokens]
            for es in itertools.product(*pools):
                if len(set(es)) < len(es):
                    continue
                assign = dict(zip(q.tokens, es, strict=True))
                ground = z3.substitute(body, *zip(holes, [rep[e] for e in es], strict=True))
                want = z3.is_true(m.eval(ground, model_completion=True))
                assert view.holds(q.tokens, q.clause, assign) == want, (q.text, act.name)
                checked += 1
    assert checked > 100


def test_a_cti_satisfies_every_instance_at_the_actions_terms() -> None:
    """Instances on demand give the full instantiation's answer: a model z3 returns as a
    CTI satisfies every live candidate at every tuple of the action's ground terms."""
    import z3

    from lazycheck.smt.param_houdini import Prover, candidates
    from lazycheck.smt.param_inst import Consecution

    t = load_target("sparc64-g3", ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    from lazycheck.smt.parametric import Template
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    prover = Prover(tpl)
    states = reachable(inst.system, 100_000, 30.0)
    qs = candidates(tpl, mine(inst.system, states, reach=Reach(states)))[0]
    lits = [z3.Bool(f"cand!{i}", prover.ctx) for i in range(len(qs))]
    cons = Consecution(prover, qs, lits)
    live = set(range(len(qs)))
    ctis = 0
    for act in prover.actions:
        got = cons.query(act, sorted(live), live, time.monotonic() + 300)
        if got is None:
            continue
        assert not isinstance(got, str), got
        broken, m = got
        thrs, cpus = cons.universe(act)
        for i in sorted(live):
            holes, body = prover.opened(qs[i])
            pools = [cpus if tok[0] == "cpu" else thrs for tok in qs[i].tokens]
            for xs in itertools.product(*pools):
                ground = z3.substitute(body, *zip(holes, xs, strict=True)) if xs else body
                assert z3.is_true(m.eval(ground, model_completion=True)), (qs[i].text, act.name)
        assert broken
        live -= broken
        ctis += 1
    assert ctis > 0
