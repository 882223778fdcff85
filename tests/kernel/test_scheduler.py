"""The scheduler: a real start from idle CPUs, and first switch-ins through the hooks."""

from __future__ import annotations

from pathlib import Path

from test_world import PREEMPT_ONLY, build, check, prop

from lazycheck.kernel.config import Preempt
from lazycheck.semantics import Semantics
from lazycheck.system import ActionKind


def test_every_cpu_starts_in_its_idle_task(tmp_path: Path) -> None:
    """Issue 11 item 1: no task runs before the scheduler switched it in."""
    sys_ = build(tmp_path, "", PREEMPT_ONLY, ("a", "b"), cpus=2)
    vi = sys_.var_index
    for c in range(2):
        var = sys_.vars[vi[f"curr[cpu{c}]"]]
        assert var.show(sys_.init[vi[f"curr[cpu{c}]"]]) == f"idle{c}"
    enabled = [sys_.actions[i] for i, _ in Semantics(sys_).successors(sys_.init)]
    assert enabled and all(a.kind is ActionKind.SWITCH and a.task is not None and a.task >= 2
                           for a in enabled)


def test_a_trace_begins_with_the_first_switch_in(tmp_path: Path) -> None:
    sys_ = build(tmp_path, "", PREEMPT_ONLY, ("a", "b"), preempt=Preempt.FULL)
    r = check(sys_)
    assert prop(sys_, r) == "no-bug"
    first = sys_.actions[r.trace[0]]
    assert first.kind is ActionKind.SWITCH and first.summary.startswith("context switch idle0")


FIRST_RUN_ARCH = """
pertask bool switched_in;

void arch_end_context_switch(task_t next)
{
    next->switched_in = true;
}
"""

FIRST_RUN = """
task void t(void)
{
    BUG_ON(!current->switched_in);
}
"""


def test_a_new_task_runs_only_after_the_switch_hooks(tmp_path: Path) -> None:
    """The ret_from_fork path: arch_end_context_switch(next) ran before next's first step."""
    sys_ = build(tmp_path, FIRST_RUN_ARCH, FIRST_RUN, ("t", "t"), cpus=2)
    r = check(sys_)
    assert r.verdict.value == "PASS" and r.stats.exhausted


def test_without_the_hook_the_same_check_fails(tmp_path: Path) -> None:
    """The check above can fail: a hook that does nothing leaves the flag clear."""
    arch = FIRST_RUN_ARCH.replace("next->switched_in = true;", "")
    sys_ = build(tmp_path, arch, FIRST_RUN, ("t",))
    assert prop(sys_, check(sys_)) == "no-bug"


BH = """
global bool seen;

task void t(void)
{
    BUG_ON(in_interrupt());
    local_bh_disable();
    seen = in_interrupt();
    local_bh_enable();
    BUG_ON(!seen);
    BUG_ON(in_interrupt());
}
"""


def test_in_interrupt_is_true_while_bottom_halves_are_disabled(tmp_path: Path) -> None:
    """H17: local_bh_disable() makes in_interrupt() true in the task, and only there."""
    sys_ = build(tmp_path, "", BH, ("t",))
    r = check(sys_)
    assert r.verdict.value == "PASS" and r.stats.exhausted


def test_bottom_halves_off_is_not_preemptible_on_a_non_rt_kernel(tmp_path: Path) -> None:
    scen = ("global bool busy;\ntask void a(void)\n{\n    local_bh_disable();\n"
            "    busy = true;\n    busy = false;\n    local_bh_enable();\n}\n"
            "task void b(void)\n{\n    BUG_ON(busy);\n}\n")
    assert check(build(tmp_path, "", scen, ("a", "b"))).verdict.value == "PASS"
    rt = build(tmp_path, "", scen, ("a", "b"), preempt=Preempt.RT)
    assert prop(rt, check(rt)) == "no-bug"
