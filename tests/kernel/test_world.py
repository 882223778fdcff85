"""The kernel world: tiny inline models instantiated and explored.

Each model is written here as text, saved to a tmp file and loaded with the
kernel prelude, exactly as a target's models are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.properties import DEFAULT_PROPERTIES
from lazycheck.semantics import Semantics
from lazycheck.system import ActionKind, System

PROPS = (*DEFAULT_PROPERTIES, "no-warn")


def build(tmp_path: Path, arch: str, scenario: str, tasks: tuple[str, ...], cpus: int = 1,
          preempt: Preempt = Preempt.FULL, irq_handlers: tuple[str, ...] = (),
          irqs: int = 0) -> System:
    a = tmp_path / "arch.lazy"
    a.write_text('model arch "test arch" source "tests";\n' + arch, encoding="utf-8")
    s = tmp_path / "scenario.lazy"
    s.write_text('model scenario "test scenario" source "tests";\n' + scenario,
                 encoding="utf-8")
    loaded = load([a, s], tmp_path)
    cfg = KernelConfig(cpus=cpus, tasks=tasks, preempt=preempt, irq_handlers=irq_handlers,
                       irqs=irqs, properties=PROPS)
    return instantiate(loaded.program, cfg)


def check(system: System, bound: int = 60) -> Result:
    return ExplicitEngine().check(system, Limits(bound=bound, max_states=200_000))


def prop(system: System, r: Result) -> str:
    return system.violation(r.violation_code).property_id


def reachable(system: System) -> list[tuple[tuple[int, ...], int, tuple[int, ...]]]:
    """Every transition (pre, action, post) of the reachable state space."""
    sem = Semantics(system)
    seen = {system.init}
    todo = [system.init]
    edges = []
    while todo:
        s = todo.pop()
        for i, t in sem.successors(s):
            edges.append((s, i, t))
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return edges


WRITE_OUTSIDE = """
pte user p0 = 0;

task void writer(void)
{
    set_pte(p0, 1);
}
"""


def test_deferred_write_outside_section_fails(tmp_path: Path) -> None:
    """Pins no-deferred-write-outside-section: a set_pte() built on __pte_store
    (hardware does not see the value yet) outside any section is a FAIL."""
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n}\n", WRITE_OUTSIDE, ("writer",))
    r = check(sys_)
    assert r.verdict is Verdict.FAIL
    assert prop(sys_, r) == "no-deferred-write-outside-section"
    assert sys_.violation(r.violation_code).span.short == "scenario.lazy:7"  # type: ignore[union-attr]


def test_immediate_write_outside_section_passes_exhausted(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_write(ptep, pte);\n}\n", WRITE_OUTSIDE, ("writer",))
    r = check(sys_)
    assert r.verdict is Verdict.PASS
    assert r.stats.exhausted


def test_store_then_sync_is_not_deferred(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n    dsb();\n}\n", WRITE_OUTSIDE, ("writer",))
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


PREEMPT_ONLY = """
global bool busy;

task void a(void)
{
    busy = true;
    busy = false;
}

task void b(void)
{
    BUG_ON(busy);
}
"""


def test_bug_reachable_only_by_preemption_under_full(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", PREEMPT_ONLY, ("a", "b"), preempt=Preempt.FULL)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "no-bug"
    kinds = [sys_.actions[i].kind for i in r.trace]
    assert ActionKind.SWITCH in kinds  # the trace preempts a


def test_same_bug_unreachable_under_preempt_none(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", PREEMPT_ONLY, ("a", "b"), preempt=Preempt.NONE)
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


def test_cond_resched_is_a_scheduling_point_under_preempt_none(tmp_path: Path) -> None:
    scen = PREEMPT_ONLY.replace("busy = true;\n", "busy = true;\n    cond_resched();\n")
    sys_ = build(tmp_path, "", scen, ("a", "b"), preempt=Preempt.NONE)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "no-bug"


def test_preempt_disable_prevents_preemption(tmp_path: Path) -> None:
    scen = PREEMPT_ONLY.replace("busy = true;\n    busy = false;",
                                "preempt_disable();\n    busy = true;\n    busy = false;\n"
                                "    preempt_enable();")
    sys_ = build(tmp_path, "", scen, ("a", "b"), preempt=Preempt.FULL)
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


LOCKED = """
spinlock_t l;
global int<0..2> inside;

task void t(void)
{
    spin_lock(&l);
    inside = inside + 1;
    BUG_ON(inside > 1);
    inside = inside - 1;
    spin_unlock(&l);
}
"""


def test_spinlock_blocks_the_second_cpu(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", LOCKED, ("t", "t"), cpus=2)
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


def test_without_the_spinlock_both_cpus_get_in(tmp_path: Path) -> None:
    scen = LOCKED.replace("    spin_lock(&l);\n", "").replace("    spin_unlock(&l);\n", "")
    sys_ = build(tmp_path, "", scen, ("t", "t"), cpus=2)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "no-bug"


ATOMIC = """
global bool x;

task void a(void)
{
    atomic {
        x = true;
        x = false;
    }
}

task void b(void)
{
    BUG_ON(x);
}
"""


def test_atomic_block_is_one_step(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", ATOMIC, ("a", "b"), cpus=2)
    assert len([a for a in sys_.actions if a.kind is ActionKind.TASK and a.task == 0]) == 1
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


def test_without_atomic_the_intermediate_state_is_visible(tmp_path: Path) -> None:
    scen = ATOMIC.replace("atomic {", "{")
    sys_ = build(tmp_path, "", scen, ("a", "b"), cpus=2)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "no-bug"


MIGRATE = """
percpu bool mark;

task void t(void)
{
    this_cpu_write(mark, true);
    BUG_ON(!this_cpu_read(mark));
}
"""


def test_percpu_variable_follows_migration(tmp_path: Path) -> None:
    """Pins this_cpu_*: after a migration the task reads the new CPU's copy."""
    sys_ = build(tmp_path, "", MIGRATE, ("t",), cpus=2)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "no-bug"
    switches = [sys_.actions[i] for i in r.trace if sys_.actions[i].kind is ActionKind.SWITCH]
    assert any(a.cpu == 1 and a.other == 0 for a in switches)  # T0 resumed on cpu1
    final = Semantics(sys_).replay(r.trace)[-1]
    assert final[sys_.var_index["mark[cpu0]"]] == 1
    assert final[sys_.var_index["mark[cpu1]"]] == 0


def test_percpu_variable_without_a_second_cpu_is_stable(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", MIGRATE, ("t",), cpus=1)
    r = check(sys_)
    assert r.verdict is Verdict.PASS and r.stats.exhausted


IRQ = """
pertask bool hit;
global bool irq_saw_irq;

irq void handler(void)
{
    BUG_ON(!in_interrupt());
    irq_saw_irq = in_interrupt();
    current->hit = true;
}

task void t(void)
{
    BUG_ON(in_interrupt());
    schedule();
}
"""


def test_interrupt_sees_in_interrupt_and_the_interrupted_task(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", IRQ, ("t", "t"), cpus=2, irq_handlers=("handler",), irqs=2)
    r = check(sys_, bound=100)
    assert r.verdict is Verdict.PASS and r.stats.exhausted
    vi = sys_.var_index
    names = [sys_.vars[vi["curr[cpu0]"]].labels[k] for k in range(len(
        sys_.vars[vi["curr[cpu0]"]].labels))]
    entries = 0
    for pre, i, post in reachable(sys_):
        a = sys_.actions[i]
        if a.kind is ActionKind.IRQ_ENTRY:
            entries += 1
        if a.kind is not ActionKind.IRQ:
            continue
        cur = names[pre[vi[f"curr[cpu{a.cpu}]"]]]
        changed = [n for n in names if pre[vi[f"hit[{n}]"]] != post[vi[f"hit[{n}]"]]]
        assert changed in ([], [cur]), (a.name, cur, changed)
        if changed:
            assert post[vi["irq_saw_irq"]] == 1
    assert entries > 0


def test_interrupt_can_hit_either_task(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", IRQ, ("t", "t"), cpus=2, irq_handlers=("handler",), irqs=1)
    vi = sys_.var_index
    hit_tasks = set()
    for _, _, post in reachable(sys_):
        for n in ("T0", "T1"):
            if post[vi[f"hit[{n}]"]]:
                hit_tasks.add(n)
    assert hit_tasks == {"T0", "T1"}


def test_irqs_disabled_blocks_interrupts(tmp_path: Path) -> None:
    scen = """
global bool in_cs;

irq void handler(void)
{
    BUG_ON(in_cs);
}

task void t(void)
{
    local_irq_disable();
    in_cs = true;
    in_cs = false;
    local_irq_enable();
}
"""
    sys_ = build(tmp_path, "", scen, ("t",), irq_handlers=("handler",), irqs=1)
    assert check(sys_).verdict is Verdict.PASS
    sys2 = build(tmp_path, "", scen.replace("local_irq_disable();", "").replace(
        "local_irq_enable();", ""), ("t",), irq_handlers=("handler",), irqs=1)
    assert check(sys2).verdict is Verdict.FAIL


def test_unknown_program_and_property_are_model_errors(tmp_path: Path) -> None:
    from lazycheck.errors import ModelError

    with pytest.raises(ModelError) as ei:
        build(tmp_path, "", "void helper(void) { }\n", ("helper", "nope"))
    assert [d.code for d in ei.value.diagnostics] == ["LZC307", "LZC307"]


def test_zero_cpus_is_lzc403(tmp_path: Path) -> None:
    from lazycheck.errors import ModelError

    with pytest.raises(ModelError) as ei:
        build(tmp_path, "", "task void t(void) { }\n", ("t",), cpus=0)
    assert [d.code for d in ei.value.diagnostics] == ["LZC403"]


_FLAGS_IRQ = """
thread_flag TIF_A, TIF_B;
global bool a = false;
global bool b = false;
irq void handler(void)
{
	set_thread_flag(TIF_A);
	set_thread_flag(TIF_B);
}
"""


def _flags(tmp_path: Path, body: str) -> Verdict:
    tmp_path.mkdir()
    sys_ = build(tmp_path, "", _FLAGS_IRQ + body, ("t",), irq_handlers=("handler",), irqs=1)
    return check(sys_).verdict


def test_read_thread_flags_is_one_load(tmp_path: Path) -> None:
    """READ_ONCE(ti->flags): both bits of a snapshot come from the same instant, so an
    interrupt setting both is seen entirely or not at all; two test_thread_flag() reads
    can straddle it (include/linux/thread_info.h, read_ti_thread_flags())."""
    one = """
task void t(void)
{
	thread_flags_t flags = read_thread_flags();
	if (flags & _TIF_A)
		a = true;
	if (flags & _TIF_B)
		b = true;
	BUG_ON(a != b);
}
"""
    assert _flags(tmp_path / "one", one) is Verdict.PASS
    two = one.replace("thread_flags_t flags = read_thread_flags();",
                      "bool fa = test_thread_flag(TIF_A);\n\tbool fb = test_thread_flag(TIF_B);")
    two = two.replace("flags & _TIF_A", "fa").replace("flags & _TIF_B", "fb")
    assert _flags(tmp_path / "two", two) is Verdict.FAIL


def test_read_thread_flags_snapshot_goes_stale(tmp_path: Path) -> None:
    """A snapshot is not re-read: an interrupt after it is invisible to its tests, while
    read_thread_flags() & _TIF_A reads the word afresh."""
    stale = """
task void t(void)
{
	thread_flags_t flags = read_thread_flags();
	if (!(flags & _TIF_A))
		a = true;
	BUG_ON(a && test_thread_flag(TIF_A));
}
"""
    assert _flags(tmp_path / "stale", stale) is Verdict.FAIL
    irqs_off = stale.replace("\tthread_flags_t", "\tlocal_irq_disable();\n\tthread_flags_t")
    assert _flags(tmp_path / "off", irqs_off) is Verdict.PASS


_FORK = """
thread_flag TIF_A;
pertask int<0..3> t.x = 0;
global bool forked = false;
task void child(void)
{
	BUG_ON(!forked);
	BUG_ON(current->t.x != 1 || !test_thread_flag(TIF_A));
}
"""


def _fork(tmp_path: Path, parent: str, tasks: tuple[str, ...] = ("parent", "child"),
          ) -> tuple[Verdict, int]:
    tmp_path.mkdir()
    sys_ = build(tmp_path, "", _FORK + "task void parent(void)\n{\n" + parent + "\n}\n",
                 tasks, cpus=2)
    r = check(sys_)
    return r.verdict, len(r.fired)


def test_fork_child_is_a_copy_and_runs_only_after_the_fork(tmp_path: Path) -> None:
    """copy_process() (kernel/fork.c): the child starts as a copy of the parent's
    task_struct at the fork, per-task fields and thread flags, later writes not seen;
    it is switched in only after its parent forked it."""
    ok = ("current->t.x = 1;\n set_thread_flag(TIF_A);\n forked = true;\n fork(child);\n"
          " current->t.x = 2;\n clear_thread_flag(TIF_A);")
    assert _fork(tmp_path / "ok", ok)[0] is Verdict.PASS
    early = ok.replace(" forked = true;\n fork(child);", " fork(child);\n forked = true;")
    assert _fork(tmp_path / "early", early)[0] is Verdict.FAIL
    before = ("set_thread_flag(TIF_A);\n forked = true;\n fork(child);\n current->t.x = 1;")
    assert _fork(tmp_path / "before", before)[0] is Verdict.FAIL  # the copy is at the fork


def test_fork_without_an_unborn_child_changes_nothing(tmp_path: Path) -> None:
    """A second fork finds no instance left: copy_process() fails, the child is not reset."""
    twice = ("current->t.x = 1;\n set_thread_flag(TIF_A);\n forked = true;\n fork(child);\n"
             " current->t.x = 3;\n fork(child);")
    assert _fork(tmp_path / "twice", twice)[0] is Verdict.PASS


@pytest.mark.parametrize(("body", "code"), [
    ("global bool b = false;\nvoid f(void) { }\ntask void t(void) { fork(f); }", "LZC201"),
    ("task void c(void) { }\nirq void h(void) { fork(c); }", "LZC302"),
])
def test_fork_misuse(tmp_path: Path, body: str, code: str) -> None:
    s = tmp_path / "s.lazy"
    s.write_text('model scenario "t" source "tests";\n' + body, encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        load([s], tmp_path)
    assert [d.code for d in exc.value.diagnostics] == [code]
