"""Issue 14: ``kernel "FILE:FUNCTION"``, ``#define`` bounds and ``__nondet()`` choices.

The choice is explored both ways by both engines: a section left open on
one branch only is a FAIL for the explicit engine and for BMC, and the same
program with the leak removed is a PASS for both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import Limits, Verdict
from lazycheck.properties import DEFAULT_PROPERTIES
from tests.property.model_gen import API_TEXT, load_texts

ARCH = """model arch "a: counts its sections" source "test";
percpu int<0..2> depth = 0;
void arch_enter_lazy_mmu_mode(void) { if (this_cpu_read(depth) != 2) this_cpu_inc(depth); }
void arch_leave_lazy_mmu_mode(void) { if (this_cpu_read(depth) != 0) this_cpu_dec(depth); }
pure bool lazy_mmu_cpu(cpu_t cpu) { return per_cpu(depth, cpu) != 0; }
"""


def _scenario(body: str, head: str = "") -> str:
    return ('model scenario "s" source "test";\nkernel "mm/memory.c:zap_pte_range";\n'
            f"#define LOOP_BOUND 2\n{head}pte kernel p0 = 0;\n"
            f"task void t0(void)\n{{\n\tint<0..2> i;\n{body}\n}}\n")


REPO = Path(__file__).resolve().parents[2]
XEN = (REPO / "models" / "arch" / "x86-xen-pv-c36549ff8d84.lazy",
       REPO / "models" / "api" / "g1-2025-docs.lazy")


def _load(scenario: str, xen: bool = False):  # type: ignore[no-untyped-def]
    if xen:  # a real arch model whose mode properties the leak breaks
        scen = REPO / "models" / "scenarios" / "nondet-test.lazy"
        return load([*XEN, scen], REPO, overrides={scen: scenario})
    return load_texts({"arch.lazy": ARCH, "api.lazy": API_TEXT, "scenario.lazy": scenario})


def _diag_codes(scenario: str) -> list[str]:
    with pytest.raises(ModelError) as exc:
        _load(scenario)
    return [d.code for d in exc.value.diagnostics]


LEAK = """\tarch_enter_lazy_mmu_mode();
\tfor (i = 0; i < LOOP_BOUND; i++) {
\t\tif (__nondet())
\t\t\tbreak;
\t\tset_pte_at(p0, 1);
\t}
\tif (__nondet())
\t\treturn;
\tarch_leave_lazy_mmu_mode();"""


def test_kernel_declaration_reaches_the_ir() -> None:
    prog = _load(_scenario(LEAK)).program
    scen = [f for f in prog.files if f.kind == "scenario"]
    assert scen[0].kernel == ("mm/memory.c:zap_pte_range",)


@pytest.mark.parametrize("site", ["zap_pte_range", "mm/memory.c", "mm/memory.c:",
                                  "../x.c:f", "mm/memory.c:zap pte"])
def test_malformed_kernel_site_is_lzc017(site: str) -> None:
    text = _scenario(LEAK).replace("mm/memory.c:zap_pte_range", site)
    assert "LZC017" in _diag_codes(text)


@pytest.mark.parametrize(("leak", "verdict"), [(True, Verdict.FAIL), (False, Verdict.PASS)])
def test_both_engines_explore_both_branches(leak: bool, verdict: Verdict) -> None:
    body = LEAK if leak else LEAK.replace("\t\treturn;", "\t\tpte_clear(p0);")
    prog = _load(_scenario(body), xen=True).program
    system = instantiate(prog, KernelConfig(1, ("t0",), Preempt.NONE,
                                          properties=tuple(DEFAULT_PROPERTIES)))
    limits = Limits(30, 100_000, 60.0)
    explicit = ExplicitEngine().check(system, limits)
    bmc = BmcEngine().check(system, limits)
    assert explicit.verdict is verdict
    assert bmc.verdict is verdict
    if leak:
        assert explicit.violation_code == bmc.violation_code


def test_named_bound_in_while() -> None:
    body = "\twhile (i != 2) __bound(LOOP_BOUND) {\n\t\ti++;\n\t}"
    _load(_scenario(body))
    assert "LZC304" in _diag_codes(_scenario(body.replace("LOOP_BOUND", "NO_SUCH")))


def test_nondet_is_not_allowed_in_one_step() -> None:
    body = "\tatomic {\n\t\tif (__nondet())\n\t\t\tset_pte_at(p0, 1);\n\t}"
    assert "LZC302" in _diag_codes(_scenario(body))
    head = "pure bool pick(void) { return __nondet(); }\n"
    assert "LZC302" in _diag_codes(_scenario("\tif (pick())\n\t\tset_pte_at(p0, 1);", head))


def test_nondet_may_stand_right_of_and_or() -> None:
    body = "\tif (__nondet() && (__nondet() || i == 0))\n\t\tset_pte_at(p0, 1);"
    _load(_scenario(body))


def test_define_must_be_a_number_on_its_line() -> None:
    assert "LZC003" in _diag_codes(_scenario(LEAK).replace("#define LOOP_BOUND 2",
                                                          "#define LOOP_BOUND\n2"))
