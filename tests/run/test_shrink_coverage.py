"""Minimisation, cone of influence, vacuity, scenario checks and TLB-flush ordering."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lazycheck.cli.exitcode import ExitCode, for_outcome
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import Limits, Verdict
from lazycheck.properties import DEFAULT_PROPERTIES
from lazycheck.run.shrink import minimize
from lazycheck.run.verify import run
from lazycheck.semantics import Semantics
from lazycheck.smt.spacer import ProofStatus, prove
from lazycheck.targets import find_root, load_target
from lazycheck.views.trace import cone_of_influence

ROOT = find_root(Path(__file__).resolve().parent)

ARCH_DEFERRING = """
model arch "test: an arch whose lazy writes wait for leave" source "test";
percpu bool lazy = false;
void arch_enter_lazy_mmu_mode(void) { preempt_disable(); this_cpu_write(lazy, true); }
void arch_leave_lazy_mmu_mode(void) {
	atomic { for_each_pte(p) { __pte_sync(p); } }
	this_cpu_write(lazy, false);
	preempt_enable();
}
void set_pte(pte_t ptep, pteval_t pte) {
	__pte_store(ptep, pte);
	if (!this_cpu_read(lazy))
		__pte_sync(ptep);
}
pure bool lazy_mmu_cpu(cpu_t cpu) { return per_cpu(lazy, cpu); }
"""

API = """
model api "G0" source "test";
lazy_mmu_api { enter = arch_enter_lazy_mmu_mode; leave = arch_leave_lazy_mmu_mode; }
"""


def _system(tmp_path: Path, scenario: str, config: KernelConfig) -> object:
    files = []
    for name, text in (("arch.lazy", ARCH_DEFERRING), ("api.lazy", API),
                       ("scen.lazy", scenario)):
        p = tmp_path / name
        p.write_text(text)
        files.append(p)
    return instantiate(load(files, tmp_path).program, config)


def test_flush_inside_section_fails_flush_after_visible(tmp_path: Path) -> None:
    """H12: flush_tlb_range() before the section is left sees a deferred write."""
    scen = """
model scenario "pagemap_scan_pmd_entry shape" source "test";
pte user p0 = 1;
task void scan(void) {
	arch_enter_lazy_mmu_mode();
	set_pte(p0, 2);
	flush_tlb_range(p0);
	arch_leave_lazy_mmu_mode();
}
"""
    cfg = KernelConfig(1, ("scan",), Preempt.FULL,
                       properties=(*DEFAULT_PROPERTIES, "flush-after-visible"))
    system = _system(tmp_path, scen, cfg)
    r = ExplicitEngine().check(system, Limits(20))  # type: ignore[arg-type]
    assert r.verdict is Verdict.FAIL
    assert system.violation(r.violation_code).property_id == "flush-after-visible"  # type: ignore[attr-defined]


def test_flush_after_leave_passes(tmp_path: Path) -> None:
    """The fixed ordering (Ryan's RFC 1/6): leave, then flush."""
    scen = """
model scenario "pagemap_scan_pmd_entry fixed" source "test";
pte user p0 = 1;
task void scan(void) {
	arch_enter_lazy_mmu_mode();
	set_pte(p0, 2);
	arch_leave_lazy_mmu_mode();
	flush_tlb_range(p0);
}
"""
    cfg = KernelConfig(1, ("scan",), Preempt.FULL,
                       properties=(*DEFAULT_PROPERTIES, "flush-after-visible"))
    r = ExplicitEngine().check(_system(tmp_path, scen, cfg), Limits(20))  # type: ignore[arg-type]
    assert r.verdict is Verdict.PASS and r.stats.exhausted


def test_scenario_check_reports_its_property(tmp_path: Path) -> None:
    """__check("single-shadow-install", cond) fails under that property id."""
    scen = """
model scenario "two installs" source "test";
pte kernel shadow = 0;
global int<0..2> installed = 0;
task void populate(void) {
	if (pte_none(ptep_get(shadow))) {
		set_pte(shadow, 1);
		installed = installed + 1;
	}
	__check("single-shadow-install", installed <= 1);
}
"""
    cfg = KernelConfig(2, ("populate", "populate"), Preempt.FULL,
                       properties=("single-shadow-install",))
    system = _system(tmp_path, scen, cfg)
    r = ExplicitEngine().check(system, Limits(30))  # type: ignore[arg-type]
    assert r.verdict is Verdict.FAIL
    assert system.violation(r.violation_code).property_id == "single-shadow-install"  # type: ignore[attr-defined]


def test_minimize_shrinks_config_and_keeps_property() -> None:
    t = load_target("xen-nesting-counter", ROOT)
    o = run(t, ROOT)
    shrunk = minimize(o, lambda c, p: run(t, ROOT, c, program=p))
    assert shrunk.outcome.verdict is Verdict.FAIL
    assert shrunk.outcome.property_id == o.property_id
    assert shrunk.outcome.config.ntasks == 1 and shrunk.outcome.config.cpus == 1
    assert len(shrunk.outcome.result.trace) == len(o.result.trace)
    Semantics(shrunk.outcome.system).replay(shrunk.outcome.result.trace)


def test_minimize_leaves_a_pass_alone() -> None:
    t = load_target("sparc64-a1d416bf9faf", ROOT)
    o = run(t, ROOT)
    assert minimize(o, lambda c, p: run(t, ROOT, c, program=p)).tried == 0


def test_cone_of_influence_contains_the_bug_inputs_only() -> None:
    t = load_target("xen-nesting-counter", ROOT)
    o = run(t, ROOT)
    states = tuple(Semantics(o.system).replay(o.result.trace))
    cone = cone_of_influence(o.system, states, o.result.trace)
    names = {o.system.vars[i].name for i in cone}
    assert "xen_lazy_mode[cpu0]" in names
    assert not any(n.startswith("owner(") for n in names)  # the PTLs play no part


def test_vacuous_pass_is_not_the_expected_verdict() -> None:
    """A PASS that never preempts inside a section, when the target requires it."""
    t = load_target("powerpc-hash-b9ef323ea168", ROOT)
    claimed = dataclasses.replace(t, requires=("preempted-in-section",))
    o = run(claimed, ROOT)
    assert o.verdict is Verdict.PASS
    assert o.vacuous and not o.as_expected and for_outcome(o) is ExitCode.FAIL
    assert o.coverage is not None and o.coverage.missing == ("preempted-in-section",)


def test_unreached_statement_makes_pass_vacuous(tmp_path: Path) -> None:
    """A statement no interleaving reaches (here: a dead branch) is listed."""
    for name, text in (("arch.lazy", ARCH_DEFERRING), ("api.lazy", API)):
        (tmp_path / name).write_text(text)
    (tmp_path / "scen.lazy").write_text("""
model scenario "dead branch" source "test";
pte user p0 = 1;
task void t(void) {
	arch_enter_lazy_mmu_mode();
	if (pte_none(ptep_get(p0)))
		set_pte(p0, 2);
	arch_leave_lazy_mmu_mode();
}
""")
    base = load_target("sparc64-a1d416bf9faf", ROOT)
    t = dataclasses.replace(base, models=(tmp_path / "arch.lazy", tmp_path / "api.lazy",
                                          tmp_path / "scen.lazy"),
                            config=KernelConfig(1, ("t",), Preempt.FULL,
                                                properties=DEFAULT_PROPERTIES),
                            may_skip=())
    o = run(t, tmp_path)
    assert o.verdict is Verdict.PASS
    assert o.coverage is not None
    assert [text for _, text in o.coverage.unreached] == ["set_pte(p0, 2);"]
    assert o.vacuous
    excused = dataclasses.replace(t, may_skip=(o.coverage.unreached[0][0],))
    assert not run(excused, tmp_path).vacuous


@pytest.mark.parametrize("scenario,expected", [
    ("task void t(void) { set_pte(p0, 2); }", ProofStatus.PROVED),
    ("task void t(void) { arch_enter_lazy_mmu_mode(); set_pte(p0, 2); }",
     ProofStatus.REACHABLE),
])
def test_spacer_proves_and_refutes(tmp_path: Path, scenario: str,
                                   expected: ProofStatus) -> None:
    scen = 'model scenario "s" source "test";\npte user p0 = 1;\n' + scenario
    cfg = KernelConfig(1, ("t",), Preempt.NONE, properties=DEFAULT_PROPERTIES)
    assert prove(_system(tmp_path, scen, cfg), 60).status is expected  # type: ignore[arg-type]


def test_minimize_drops_nesting_levels_that_do_not_matter(tmp_path: Path) -> None:
    """Sections around a failure that does not need them are removed, innermost first."""
    for name, text in (("arch.lazy", ARCH_DEFERRING), ("api.lazy", API)):
        (tmp_path / name).write_text(text)
    (tmp_path / "scen.lazy").write_text("""
model scenario "a BUG that needs no section" source "test";
pte user p0 = 1;
global bool broken = true;
task void t(void) {
	arch_enter_lazy_mmu_mode();
	arch_enter_lazy_mmu_mode();
	set_pte(p0, 2);
	arch_leave_lazy_mmu_mode();
	arch_leave_lazy_mmu_mode();
	BUG_ON(broken);
}
""")
    base = load_target("sparc64-a1d416bf9faf", ROOT)
    t = dataclasses.replace(base, models=(tmp_path / "arch.lazy", tmp_path / "api.lazy",
                                          tmp_path / "scen.lazy"),
                            config=KernelConfig(1, ("t",), Preempt.FULL,
                                                properties=DEFAULT_PROPERTIES))
    o = run(t, tmp_path)
    assert o.verdict is Verdict.FAIL and o.property_id == "no-bug"
    shrunk = minimize(o, lambda c, p: run(t, tmp_path, c, program=p))
    assert len(shrunk.dropped) == 2 and "scen.lazy:7" in shrunk.dropped[0]
    assert shrunk.outcome.property_id == "no-bug"
    assert len(shrunk.outcome.result.trace) < len(o.result.trace)
    Semantics(shrunk.outcome.system).replay(shrunk.outcome.result.trace)
