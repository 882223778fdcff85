"""Monitors report structured violations; a property id outside the catalogue cannot exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_world import WRITE_OUTSIDE, build, check, prop

from lazycheck.diagnostics import Span
from lazycheck.kernel.config import Preempt
from lazycheck.outcome import Verdict
from lazycheck.properties import BY_ID, MODEL_BOUNDS, PROPERTIES, PropertyId, property_id
from lazycheck.system import Violation
from lazycheck.views.trace import build_trace, deferred_writes


def test_a_violation_with_a_string_property_cannot_be_built() -> None:
    """Issue 8 item 3: symexec.violate once ignored an unknown id silently."""
    with pytest.raises(TypeError):
        Violation(1, "no-such-property", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PropertyId("no-such-property")


def test_the_catalogue_and_the_enum_agree() -> None:
    """Every catalogued property has an id; model-bounds is an id but no target's claim."""
    assert {p.id for p in PROPERTIES} == set(PropertyId) - {MODEL_BOUNDS}
    assert property_id("no-bug") is PropertyId.NO_BUG
    assert property_id("model-bounds") is None
    assert BY_ID["no-bug"].id is PropertyId.NO_BUG


def test_a_deferred_write_names_its_writer_and_the_returning_function(tmp_path: Path
                                                                      ) -> None:
    """The report reads actor/function from fields, never from the message."""
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n}\n", WRITE_OUTSIDE, ("writer",))
    r = check(sys_)
    v = sys_.violation(r.violation_code)
    assert v.property_id is PropertyId.NO_DEFERRED_WRITE_OUTSIDE_SECTION
    assert (v.actor, v.function, v.returns, v.in_irq, v.cpu) == ("T0", "set_pte", True, False,
                                                                 None)


def test_a_bug_names_its_function_and_an_interrupt_its_cpu(tmp_path: Path) -> None:
    scen = ("global bool x;\nirq void h(void)\n{\n    BUG_ON(!x);\n}\n"
            "task void t(void)\n{\n    x = false;\n}\n")
    sys_ = build(tmp_path, "", scen, ("t",), cpus=1, irq_handlers=("h",), irqs=1)
    r = check(sys_)
    v = sys_.violation(r.violation_code)
    assert v.property_id is PropertyId.NO_BUG
    assert (v.function, v.actor, v.cpu, v.in_irq, v.returns) == ("h", "irq@cpu0.h", 0, True,
                                                                 False)
    assert isinstance(v.span, Span)


def test_the_same_site_in_two_tasks_gets_two_codes(tmp_path: Path) -> None:
    """A violation says which task ran it, so one BUG_ON in two tasks is two sites."""
    scen = "global bool x;\ntask void t(void)\n{\n    BUG_ON(x);\n    x = true;\n}\n"
    sys_ = build(tmp_path, "", scen, ("t", "t"), cpus=2)
    bugs = [v for v in sys_.violations if v.property_id is PropertyId.NO_BUG]
    assert sorted(v.actor for v in bugs) == ["T0", "T1"]
    assert len({v.code for v in bugs}) == 2


TWO_WRITES = """
pte user p0 = 0;

task void writer(void)
{
    set_pte(p0, 1);
    set_pte(p0, 2);
}
"""


def test_the_deferred_write_named_is_the_one_the_monitor_saw(tmp_path: Path) -> None:
    """Issue 13 item 5: set_pte(p0, 1) fails at its return, and the same merged step
    goes on into set_pte(p0, 2); the report must name p0 = 1, not the later write."""
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n}\n", TWO_WRITES, ("writer",))
    r = check(sys_)
    assert prop(sys_, r) == "no-deferred-write-outside-section"
    trace = build_trace(sys_, r.trace)
    last = trace.steps[-1]
    assert any(s.text.startswith("set_pte(p0, 2)") for s in sys_.actions[r.trace[-1]].steps)
    assert any(s.text.startswith("__pte_store") for s in last.statements)  # shown, not cut
    (d,) = deferred_writes(sys_, trace)
    assert (d.writer, d.pte, d.value, d.step) == ("T0", "p0", "1", last.number)



SECTION = """
pte user p0 = 0;

void enter(void)
{
}

void leave(void)
{
}

lazy_mmu_api {
    enter = enter;
    leave = leave;
}

task void writer(void)
{
    enter();
    set_pte(p0, 1);
    cond_resched();
    set_pte(p0, 2);
    cond_resched();
    leave();
}
"""


def test_a_rewrite_while_pending_is_dated_by_its_own_step(tmp_path: Path) -> None:
    """Issue 13 item 5: p0 = 1 is still pending when p0 = 2 replaces it; the step named
    is the one that wrote 2, not the one that first raised the pending flag."""
    sys_ = build(tmp_path, "void set_pte(pte_t ptep, pteval_t pte)\n{\n"
                 "    __pte_store(ptep, pte);\n}\n", SECTION, ("writer",),
                 preempt=Preempt.NONE)
    r = check(sys_)
    assert prop(sys_, r) == "visible-after-disable"
    trace = build_trace(sys_, r.trace)
    (d,) = deferred_writes(sys_, trace)
    wrote_2 = [st.number for st in trace.steps
               if any(s.text.startswith("set_pte(p0, 2)") for s in st.statements)]
    assert d.value == "2" and [d.step] == wrote_2


def _locks(tmp_path: Path, scenario: str, tasks: tuple[str, ...]) -> tuple[str, str]:
    """Verdict and property of ``scenario`` checked for lock-balanced alone."""
    from lazycheck.kernel.config import KernelConfig
    from lazycheck.kernel.world import instantiate
    from lazycheck.lang.loader import load

    s = tmp_path / "scenario.lazy"
    s.write_text('model scenario "locks" source "tests";\n' + scenario, encoding="utf-8")
    loaded = load([s], tmp_path)
    sys_ = instantiate(loaded.program, KernelConfig(cpus=1, tasks=tasks,
                                                    properties=("lock-balanced",)))
    r = check(sys_)
    return r.verdict.value, prop(sys_, r) if r.violation_code else ""


def test_a_lock_held_at_task_end_fails_lock_balanced(tmp_path: Path) -> None:
    scen = "spinlock_t l;\ntask void t(void)\n{\n    spin_lock(&l);\n}\n"
    assert _locks(tmp_path, scen, ("t",)) == ("FAIL", "lock-balanced")


def test_a_lock_taken_twice_is_a_self_deadlock(tmp_path: Path) -> None:
    """Without the property the second spin_lock() just blocks: no state shows it."""
    scen = ("spinlock_t l;\ntask void t(void)\n{\n    spin_lock(&l);\n    spin_lock(&l);\n"
            "    spin_unlock(&l);\n}\n")
    assert _locks(tmp_path, scen, ("t",)) == ("FAIL", "lock-balanced")


def test_balanced_locking_passes(tmp_path: Path) -> None:
    scen = ("spinlock_t l;\ntask void t(void)\n{\n    spin_lock(&l);\n    spin_unlock(&l);\n"
            "}\n")
    assert _locks(tmp_path, scen, ("t", "t")) == ("PASS", "")


TWO_WRITERS = """
pte kernel p0 = 0;
spinlock_t ptl;

void enter(void)
{
}

void leave(void)
{
    flush();
}

lazy_mmu_api {
    enter = enter;
    leave = leave;
}

task void first(void)
{
    enter();
    spin_lock(&ptl);
    set_pte(p0, 1);
    spin_unlock(&ptl);
    cond_resched();
    leave();
}

task void second(void)
{
    spin_lock(&ptl);
    __pte_write(p0, 2);	/* arm64 set_pte() of an invalid kernel PTE: no barrier owed */
    spin_unlock(&ptl);
}
"""

STORE_THEN_SYNC = """
void set_pte(pte_t ptep, pteval_t pte)
{
    __pte_store(ptep, pte);
}

void flush(void)
{
    __pte_sync(p0);
}
"""

QUEUE_FORGOTTEN = """
global bool queued;
global int<0..2> queued_val;

void set_pte(pte_t ptep, pteval_t pte)
{
    atomic {
        queued = true;
        queued_val = pte;
    }
}

void flush(void)
{
    /* forgets the queue: a write that never reaches memory */
}
"""


def test_a_write_replaced_in_memory_by_another_task_is_not_deferred(tmp_path: Path) -> None:
    """The kasan populate/release drafts on arm64 (docs/scan.md): T0's store is in the
    page table, T1 overwrites it under the lock before T0's barrier; T0's write can never
    become visible, so it is superseded, not deferred past T0's leave."""
    sys_ = build(tmp_path, STORE_THEN_SYNC, TWO_WRITERS, ("first", "second"), cpus=2,
                 preempt=Preempt.FULL)
    assert check(sys_).verdict is Verdict.PASS


def test_a_write_still_queued_is_not_superseded_by_a_store(tmp_path: Path) -> None:
    """Only a write already in memory is superseded: one an arch still holds in a queue
    stays pending when another task stores to the PTE, so a leave that forgets the
    queue still fails."""
    sys_ = build(tmp_path, QUEUE_FORGOTTEN,
                 TWO_WRITERS,
                 ("first", "second"), cpus=2, preempt=Preempt.FULL)
    r = check(sys_)
    assert r.verdict is Verdict.FAIL and prop(sys_, r) == "visible-after-disable"
