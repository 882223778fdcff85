"""Parametric proofs (``verify --parametric``): soundness first.

Every FAIL target is run through the parametric prover with its quick FAIL
answers switched off, so that only Houdini over the quantified encoding
could claim PROVED; none may.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.run.parametric import run_parametric
from lazycheck.smt.parametric import Template, _classify
from lazycheck.targets import load_target, target_names

ROOT = Path(__file__).resolve().parents[2]


def _fail_targets() -> list[str]:
    return [n for n in target_names(ROOT) if load_target(n, ROOT).expect.verdict == "fail"]


def test_families_take_the_indices_out() -> None:
    assert _classify("stored[cpu1][vmap_pte0]") == ("stored[{c}][vmap_pte0]", (("cpu", 1),))
    assert _classify("pending(irq@cpu0,p)") == ("pending({irq},p)", (("cpu", 0),))
    assert _classify("preempt_count[idle1]") == ("preempt_count[{t}]", (("idle", 1),))
    assert _classify("T3.set_pte.pte") == ("{t}.set_pte.pte", (("task", 3),))


@pytest.mark.parametrize("name", _fail_targets())
def test_a_fail_target_never_proves_parametrically(name: str) -> None:
    t = load_target(name, ROOT)
    res = run_parametric(t, ROOT, timeout_s=8.0, shortcut=False)
    assert res.status != "proved", res


def test_the_quick_fail_answer_names_the_template() -> None:
    t = load_target("xen-g3-enable-preempt", ROOT)
    res = run_parametric(t, ROOT, timeout_s=30.0)
    assert res.status == "fail" and "template" in res.reason


def test_outside_the_fragment_is_unknown_never_pass() -> None:
    res = run_parametric(load_target("sparc64-g2-nested", ROOT), ROOT, timeout_s=30.0)
    assert res.status == "unknown" and "fragment" in res.reason


def test_x86_native_g3_proves_and_its_certificate_rechecks(tmp_path: Path) -> None:
    cert = tmp_path / "x86.json"
    out = CliRunner().invoke(main, ["--root", str(ROOT), "prove", "x86-native-g3",
                                    "--parametric", "--no-timings", "--certificate", str(cert)])
    assert out.exit_code == 0, out.output
    assert "PROVED  x86-native-g3: for every number of CPUs and tasks" in out.output
    assert "forall: violation == 0" in out.output
    ok = CliRunner().invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert ok.exit_code == 0 and "universally quantified clauses re-checked" in ok.output
    data = json.loads(cert.read_text())
    # tampering: a clause that is false (the first PTE is never 7 in any state)
    data["clauses"].append({"var": "pte[vmap_pte0]", "in": [7], "when": [], "text": "x"})
    cert.write_text(json.dumps(data))
    bad = CliRunner().invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert bad.exit_code == 1, bad.output
    data["clauses"][-1]["var"] = "no_such_variable"
    cert.write_text(json.dumps(data))
    gone = CliRunner().invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert gone.exit_code == 2, gone.output


def test_template_families_are_uniform_in_the_task_index() -> None:
    t = load_target("x86-native-g3", ROOT)
    from lazycheck.run.parametric import instance
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    assert tpl.families["{t}.pc"].args == ("thr",)
    assert tpl.families["curr[{c}]"].value == "thr"
    assert tpl.families["cpu_of[{t}]"].value == "cpu"


@pytest.mark.parametrize("name", ["x86-native-g3", "sparc64-g3", "powerpc-hash-g3",
                                  "arm64-g3", "xen-nested"])
def test_generalised_actions_agree_with_the_semantics_on_the_template(name: str) -> None:
    """The template is an instance: on its reachable states, every generalised action
    is enabled exactly when the compiled one is and yields the same successor."""
    import random

    from lazycheck.engines.parametric import reachable
    from lazycheck.run.parametric import instance
    from lazycheck.semantics import Semantics
    from lazycheck.smt.param_houdini import Prover, disagreement

    t = load_target(name, ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    prover = Prover(tpl)
    sem = Semantics(inst.system)
    states = reachable(inst.system, 100_000, 30.0)
    for st in random.Random(7).sample(states, 4):
        for n in range(len(inst.system.actions)):
            post = sem.step(st, n) if sem.enabled(st, n) else None
            assert disagreement(tpl, prover, st, n, post) == ""


def test_the_post_state_of_a_candidate_is_substituted_simultaneously() -> None:
    """Negated candidates at the post-state agree with the action's own post-state.

    (A sequential substitution read the post-state preempt_count inside the
    post-state of violation: a spurious "preempt_count underflow" at sparc64's
    outermost leave, and in general a wrong post-state.)"""
    import z3

    from lazycheck.run.parametric import instance
    from lazycheck.smt.param_houdini import Prover, quantify
    from lazycheck.smt.param_inst import Consecution
    from lazycheck.system import Clause

    t = load_target("sparc64-g3", ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    prover = Prover(tpl)
    viol = inst.system.violation_var
    q = quantify(tpl, Clause(viol, (0,)))
    fam = tpl.cells[viol].family
    cons = Consecution(prover, [q], [z3.Bool("lit", prover.ctx)])
    for act in prover.actions:
        direct = z3.Not(act.post(prover.sig)(fam, ()) == 0)
        s = z3.Solver(ctx=prover.ctx)
        s.add(*cons.definitions(act), cons.negs[0] != direct)
        assert s.check() == z3.unsat, act.name


def test_sparc64_g3_proves_and_its_certificate_rechecks(tmp_path: Path) -> None:
    """Two programs: a clause about one program's task is not the same clause about
    the other's (the program is part of the clause; it was merged by its text)."""
    cert = tmp_path / "sparc64.json"
    out = CliRunner().invoke(main, ["--root", str(ROOT), "prove", "sparc64-g3",
                                    "--parametric", "--no-timings", "--certificate", str(cert)])
    assert out.exit_code == 0, out.output
    assert "PROVED  sparc64-g3: for every number of CPUs and tasks" in out.output
    assert "lazy_mmu_state.pause_count[t0] == 0  [prog(t0) == 1]" in out.output
    ok = CliRunner().invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert ok.exit_code == 0 and "universally quantified clauses re-checked" in ok.output


def test_task_cpu_candidates_relate_a_running_task_to_its_own_cpu() -> None:
    """``prove(relational=True)`` keeps two-antecedent clauses only of the form
    ``curr[cpuX] == Tk && Tk.pc == n -> (a variable of cpuX only)``."""
    from lazycheck.engines.houdini import mine
    from lazycheck.engines.parametric import reachable, task_cpu_only
    from lazycheck.run.parametric import instance

    t = load_target("xen-nested", ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    system = inst.system
    mined = mine(system, reachable(system, 100_000, 30.0), relational=True)
    kept = task_cpu_only(system, mined)
    pairs = [c for c in kept if len(c.when) == 2]
    assert pairs and len(kept) < len(mined)
    for c in pairs:
        names = sorted(system.vars[w].name for w, _ in c.when)
        assert names[0].startswith("T") and names[0].endswith(".pc"), names
        cpu = names[1][len("curr["):-1]
        assert cpu in system.vars[c.var].name and "T" not in system.vars[c.var].name.split("[")[0]


def _translator(name: str, action: int) -> tuple[object, object]:
    import z3

    from lazycheck.run.parametric import instance
    from lazycheck.smt.parametric import Sig, Translator, _tokens_of, pre_state

    t = load_target(name, ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    tpl = Template.of(inst.system, inst.ntasks, inst.ncpus, inst.progs)
    sig = Sig(tpl, z3.Context())
    a = inst.system.actions[action]
    bind = {tok: z3.Const(f"{r}!", sig.cpu if tok[0] == "cpu" else sig.thr)
            for tok, r in _tokens_of(tpl, a).items()}
    return inst.system, Translator(tpl, sig, pre_state(sig), bind)


def test_a_chain_over_every_cpu_pinned_by_the_task_cpu_is_one_read() -> None:
    """``cpu_of[T0] == 1 && stored[cpu1][p] ? v : cpu_of[T0] == 0 && stored[cpu0][p] ? v : w``
    (arm64's read of its own CPU's batch) is ``stored(cpu_of(a))[p] ? v : w``; a chain
    whose arms differ by more than the CPU (``stored[cpu0]`` in both arms) is not
    folded and, naming a CPU the action does not own, is rejected."""
    from lazycheck.smt.parametric import Unsupported
    from lazycheck.system import Binary, BinOp, Const, Ite, Var

    system, tr = _translator("arm64-g3", 0)
    idx = system.var_index
    on = Var(idx["cpu_of[T0]"])

    def arm(k: int, cpu: int, other: object) -> Ite:
        cond = Binary(BinOp.AND, Binary(BinOp.EQ, on, Const(k)),
                      Var(idx[f"stored[cpu{cpu}][upte0]"]))
        return Ite(cond, Var(idx["pte[upte0]"]), other)  # type: ignore[arg-type]

    base = Var(idx["hw[upte0]"])
    sort, term = tr.expr(arm(1, 1, arm(0, 0, base)))  # type: ignore[attr-defined]
    assert sort == "int" and "stored[{c}][upte0](cpu_of[{t}](a!))" in str(term)
    assert "cpu_zero" not in str(term)
    with pytest.raises(Unsupported):
        tr.expr(arm(1, 0, arm(0, 1, base)))  # type: ignore[attr-defined]


def test_cpu_zero_by_number_is_the_first_cpu_of_every_instance() -> None:
    from lazycheck.system import Const

    _, tr = _translator("powerpc-hash-g3", 0)
    assert str(tr.typed(Const(0), "cpu")) == "cpu_zero"  # type: ignore[attr-defined]


def test_own_cpu_candidates_read_values_in_cpu0s_frame() -> None:
    """``cpu_of[T0] == cpu0 && T0.pc == n -> T0.<fn>.batch == cpu0``: the batch pointer a
    task took with this_cpu_ptr() is its own CPU's, at every CPU (values seen at CPU 1
    are read with CPUs 0 and 1 exchanged, so the set is {cpu0}, not {cpu0, cpu1})."""
    from lazycheck.engines.houdini import Reach
    from lazycheck.engines.parametric import own_cpu, reachable
    from lazycheck.run.parametric import instance

    t = load_target("powerpc-hash-g3", ROOT)
    inst = instance(t, ROOT, t.config.overridden(cpus=2, tasks=2))
    system = inst.system
    got = own_cpu(system, Reach(reachable(system, 100_000, 30.0)), 2, 2)
    names = {(system.vars[c.var].name, c.values,
              tuple((system.vars[w].name, a) for w, a in c.when)) for c in got}
    batch = [n for n in names if n[0] == "T0.arch_flush_lazy_mmu_mode.batch"
             and ("T0.pc", 12) in n[2] and ("cpu_of[T0]", 0) in n[2]]
    assert [n[1] for n in batch] == [(0,)], batch


def test_powerpc_hash_g3_proves_with_own_cpu_clauses(tmp_path: Path) -> None:
    """A per-CPU batch: provable only with clauses that tie a task to its CPU's batch."""
    cert = tmp_path / "ppc.json"
    out = CliRunner().invoke(main, ["--root", str(ROOT), "prove", "powerpc-hash-g3",
                                    "--parametric", "--no-timings", "--certificate", str(cert)])
    assert out.exit_code == 0, out.output
    assert "PROVED  powerpc-hash-g3: for every number of CPUs and tasks" in out.output
    ok = CliRunner().invoke(main, ["--root", str(ROOT), "check-proof", str(cert)])
    assert ok.exit_code == 0 and "universally quantified clauses re-checked" in ok.output
    data = json.loads(cert.read_text())
    assert any(len(c["when"]) == 2 and any(w[0].startswith(("cpu_of[", "curr["))
                                           for w in c["when"]) for c in data["clauses"])
