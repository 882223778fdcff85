"""Property debug-preempt: CONFIG_DEBUG_PREEMPT's check_preemption_disabled() on checked accesses.

smp_processor_id(), __this_cpu_read() and __this_cpu_write() are checked;
raw_smp_processor_id() and this_cpu_*() are preempt-safe.  A check is quiet
with preemption or interrupts off, with migration disabled (PREEMPT_RT spin
lock), inside an atomic block, in an interrupt handler and in the switch hooks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import Limits, Verdict
from lazycheck.properties import PropertyId

ARCH = """
percpu bool seen = false;
spinlock_t lk;

void set_pte(pte_t ptep, pteval_t pte)
{
    __pte_write(ptep, pte);
}
"""


def verdict(tmp_path: Path, body: str, preempt: Preempt = Preempt.FULL,
            irq: str = "") -> tuple[Verdict, int]:
    """Run one task whose program is ``body``; the verdict and the line that fired."""
    a = tmp_path / "arch.lazy"
    a.write_text('model arch "test arch" source "tests";\n' + ARCH, encoding="utf-8")
    s = tmp_path / "scenario.lazy"
    s.write_text('model scenario "test scenario" source "tests";\n'
                 f"task void t(void)\n{{\n{body}\n}}\n{irq}", encoding="utf-8")
    cfg = KernelConfig(cpus=2, tasks=("t",), preempt=preempt,
                       irq_handlers=("h",) if irq else (), irqs=1 if irq else 0,
                       properties=("debug-preempt",))
    system = instantiate(load([a, s], tmp_path).program, cfg)
    r = ExplicitEngine().check(system, Limits(bound=40, max_states=100_000))
    if r.verdict is not Verdict.FAIL:
        return r.verdict, 0
    v = system.violation(r.violation_code)
    assert v.property_id is PropertyId.DEBUG_PREEMPT and v.span is not None
    return r.verdict, v.span.line


@pytest.mark.parametrize("body", [
    "    cpu_t c = smp_processor_id();\n    per_cpu(seen, c) = true;",
    "    bool x = __this_cpu_read(seen);",
    "    __this_cpu_write(seen, true);",
    "    if (smp_processor_id() == 0)\n        this_cpu_write(seen, true);",
])
def test_a_checked_access_while_preemptible_fails(tmp_path: Path, body: str) -> None:
    """The task starts preemptible: every checked form reports, at its own line."""
    v, line = verdict(tmp_path, body)
    assert v is Verdict.FAIL and line == 4  # the first body line of the scenario


@pytest.mark.parametrize("preempt", list(Preempt))
def test_it_is_a_check_of_the_code_under_every_preemption_model(tmp_path: Path,
                                                                preempt: Preempt) -> None:
    """DEBUG_PREEMPT reports the access, preempted or not (PREEMPT_DYNAMIC boots none too)."""
    assert verdict(tmp_path, "    cpu_t c = smp_processor_id();", preempt)[0] is Verdict.FAIL


@pytest.mark.parametrize("body", [
    "    cpu_t c = raw_smp_processor_id();",
    "    bool x = this_cpu_read(seen);\n    this_cpu_write(seen, true);",
    "    preempt_disable();\n    cpu_t c = smp_processor_id();\n    preempt_enable();",
    "    local_irq_disable();\n    __this_cpu_write(seen, true);\n    local_irq_enable();",
    "    spin_lock(&lk);\n    cpu_t c = smp_processor_id();\n    spin_unlock(&lk);",
    "    atomic {\n        cpu_t c = smp_processor_id();\n        per_cpu(seen, c) = true;\n    }",
])
def test_safe_forms_and_protected_accesses_pass(tmp_path: Path, body: str) -> None:
    """Preempt-safe ops, and checked ones with preemption/IRQs off or inside atomic."""
    assert verdict(tmp_path, body)[0] is Verdict.PASS


def test_an_rt_spinlock_disables_migration_so_the_check_is_quiet(tmp_path: Path) -> None:
    """PREEMPT_RT: spin_lock() only pins the task (migrate_disable()), which the check accepts."""
    body = "    spin_lock(&lk);\n    cpu_t c = smp_processor_id();\n    spin_unlock(&lk);"
    assert verdict(tmp_path, body, Preempt.RT)[0] is Verdict.PASS


def test_an_interrupt_handler_is_never_reported(tmp_path: Path) -> None:
    """Handlers run with preemption off: their smp_processor_id() is fine."""
    irq = ("irq void h(void)\n{\n    cpu_t c = smp_processor_id();\n"
           "    per_cpu(seen, c) = true;\n}\n")
    assert verdict(tmp_path, "    this_cpu_write(seen, false);", irq=irq)[0] is Verdict.PASS
