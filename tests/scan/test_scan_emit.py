"""The draft emitter on small kernel-shaped functions written for these tests.

Each draft must load with the checker (parse + check, with its generation's
api model), and keep the construct the test names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.lang.loader import load
from lazycheck.scan import extract
from lazycheck.targets import find_root

ROOT = find_root(Path(__file__).resolve().parent)
MODELS = {"G0/G1": ("x86-xen-pv-c36549ff8d84", "g1-2025-docs"),
          "G3": ("x86-xen-pv-g3-291b3abed657", "g3-v6")}


def _draft(c: str, function: str = "f") -> extract.Draft:
    d = extract.extract("mm/test.c", c.encode(), function)
    arch, api = MODELS[d.generation]
    scen = ROOT / "models" / "scenarios" / "emit-test.lazy"  # an override, never written
    load([ROOT / "models" / "arch" / f"{arch}.lazy", ROOT / "models" / "api" / f"{api}.lazy",
          scen], ROOT, overrides={scen: d.text})
    return d


RETRY = """
static int f(pmd_t *pmd, unsigned long addr, unsigned long end)
{
	pte_t *pte;
	spinlock_t *ptl;
	int err = 0;
again:
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return -EAGAIN;
	arch_enter_lazy_mmu_mode();
	do {
		if (need_resched())
			break;
		set_pte_at(mm, addr, pte, v);
	} while (pte++, addr += PAGE_SIZE, addr != end);
	arch_leave_lazy_mmu_mode();
	pte_unmap_unlock(pte - 1, ptl);
	if (addr != end) {
		cond_resched();
		goto again;
	}
	return err;
}
"""


def test_backward_goto_is_a_bounded_retry_loop() -> None:
    d = _draft(RETRY)
    assert "/* again: */" in d.text
    assert "continue;\t/* goto again; */" in d.text
    assert "again:" not in d.text.replace("/* again: */", "")


def test_backward_goto_inside_a_loop_is_reported() -> None:
    c = RETRY.replace("\t\tif (need_resched())\n\t\t\tbreak;", "\t\tif (need_resched())\n"
                      "\t\t\tgoto again;")
    with pytest.raises(extract.ExtractError, match="backward goto"):
        _draft(c)


def test_switch_with_continue_and_fall_through() -> None:
    c = """
int f(unsigned long start, unsigned long end, int mode)
{
	unsigned long addr;
	int ret = 0;

	lazy_mmu_mode_enable();
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		switch (mode) {
		case 0:
			continue;
		case 1:
			ret = split(addr);
		case 2:
			set_pte(virt_to_kpte(addr), v);
			break;
		}
	}
	lazy_mmu_mode_disable();
	return ret;
}
"""
    d = _draft(c)
    assert "= true;" in d.text and "continue;" in d.text  # continue leaves the switch
    assert d.text.count("<= ") == 3  # three cases, fall-through kept


def test_unknown_conditions_on_both_sides_of_and() -> None:
    c = """
void f(unsigned long a, unsigned long b)
{
	arch_enter_lazy_mmu_mode();
	if (a != b && b < a)
		set_pte_at(mm, a, pte, v);
	arch_leave_lazy_mmu_mode();
}
"""
    assert "(__nondet()) && (__nondet())" in _draft(c).text


def test_function_named_like_a_model_name_is_renamed() -> None:
    c = """
void lazy_mmu_mode_pause(pte_t *ptep)
{
	lazy_mmu_mode_pause();
	pte_clear(&init_mm, 0, ptep);
	lazy_mmu_mode_resume();
}
"""
    d = _draft(c, "lazy_mmu_mode_pause")
    assert "void lazy_mmu_mode_pause_fn(void)" in d.text
    assert d.tasks == ("lazy_mmu_mode_pause_fn_task",)


def test_mixed_generations_are_an_error() -> None:
    c = "void f(void)\n{\n\tarch_enter_lazy_mmu_mode();\n\tlazy_mmu_mode_disable();\n}\n"
    with pytest.raises(extract.ExtractError, match="mix API generations"):
        extract.extract("mm/test.c", c.encode(), "f")


def test_err_keeps_its_sign_through_break() -> None:
    c = """
int f(pte_t *pte)
{
	int err = 0;

	arch_enter_lazy_mmu_mode();
	do {
		if (!pte_none(ptep_get(pte))) {
			err = -EBUSY;
			break;
		}
		set_pte_at(&init_mm, 0, pte, v);
	} while (more());
	if (err)
		return err;
	arch_leave_lazy_mmu_mode();
	return 0;
}
"""
    d = _draft(c)
    assert "err = -1;" in d.text and "if (err != 0) {" in d.text


def test_a_nameless_function_is_an_error_not_a_draft() -> None:
    c = b"int (void)\n{\n\tarch_enter_lazy_mmu_mode();\n\tarch_leave_lazy_mmu_mode();\n}\n"
    with pytest.raises(extract.ExtractError):
        extract.extract("mm/test.c", c, "")
