"""Fixes as patches: ``based_on`` models and ``--patch`` unified diffs.

b9ef323ea168 is written twice in the zoo: as models/arch/powerpc-hash-b9ef323ea168.lazy
(based_on the tree before it) and as models/patches/powerpc-hash-b9ef323ea168.diff
(the diff of the same two hooks).  Both must give the program the fixed
model gives, and bad patches must be coded errors, never tracebacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck import ir
from lazycheck.errors import ModelError
from lazycheck.lang.loader import load
from lazycheck.lang.patch import apply, parse_diff, read_patch

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
BASE = MODELS / "arch" / "powerpc-hash-preemptible.lazy"
FIXED = MODELS / "arch" / "powerpc-hash-b9ef323ea168.lazy"
DIFF = MODELS / "patches" / "powerpc-hash-b9ef323ea168.diff"
API = MODELS / "api" / "g0-stateless.lazy"


def _hooks(prog: ir.Program) -> dict[str, tuple[ir.IStmt, ...]]:
    names = ("arch_enter_lazy_mmu_mode", "arch_leave_lazy_mmu_mode", "__switch_to",
             "lazy_mmu_task")
    return {n: prog.function(n).body for n in names}


def test_based_on_model_is_its_base_with_the_replaced_hooks() -> None:
    base = load([BASE, API], REPO).program
    fixed = load([FIXED, API], REPO).program
    assert _hooks(fixed)["__switch_to"] == _hooks(base)["__switch_to"]
    assert _hooks(fixed)["arch_enter_lazy_mmu_mode"] != _hooks(base)[
        "arch_enter_lazy_mmu_mode"]
    assert {v.name for v in fixed.vars} == {v.name for v in base.vars}


def test_the_diff_and_the_based_on_model_are_the_same_fix() -> None:
    patched = load([BASE, API], REPO, read_patch(DIFF, MODELS)).program
    fixed = load([FIXED, API], REPO).program
    assert _hooks(patched) == _hooks(fixed)


def test_a_replaced_name_missing_from_the_base_is_lzc015(tmp_path: Path) -> None:
    (tmp_path / "base.lazy").write_text(
        'model arch "b" source "t";\nvoid arch_enter_lazy_mmu_mode(void) { }\n')
    (tmp_path / "fix.lazy").write_text(
        'model arch "f" based_on "base.lazy" source "t";\nvoid arch_leave_lazy(void) { }\n')
    with pytest.raises(ModelError) as exc:
        load([tmp_path / "fix.lazy"], tmp_path)
    assert [d.code for d in exc.value.diagnostics] == ["LZC015"]


def test_a_based_on_model_may_add_state_but_not_functions(tmp_path: Path) -> None:
    """New variables and flags are additions (a commit's new counter); a new function is not."""
    (tmp_path / "base.lazy").write_text(
        'model arch "b" source "t";\nvoid arch_enter_lazy_mmu_mode(void) { }\n')
    (tmp_path / "fix.lazy").write_text(
        'model arch "f" based_on "base.lazy" source "t";\npercpu int<0..3> nesting = 0;\n'
        'thread_flag TIF_NEW;\nvoid arch_enter_lazy_mmu_mode(void) { this_cpu_inc(nesting); }\n')
    prog = load([tmp_path / "fix.lazy"], tmp_path).program
    assert "nesting" in {v.name for v in prog.vars} and "TIF_NEW" in prog.flags


def test_a_based_on_cycle_is_lzc012(tmp_path: Path) -> None:
    (tmp_path / "a.lazy").write_text('model arch "a" based_on "b.lazy" source "t";\n')
    (tmp_path / "b.lazy").write_text('model arch "b" based_on "a.lazy" source "t";\n')
    with pytest.raises(ModelError) as exc:
        load([tmp_path / "a.lazy"], tmp_path)
    assert "LZC012" in [d.code for d in exc.value.diagnostics]


def _chain(tmp_path: Path) -> None:
    """common.lazy <- base.lazy (includes it) <- fix.lazy (replaces a name of common)."""
    (tmp_path / "common.lazy").write_text(
        'model common "c" source "t";\npercpu bool queued = false;\nthread_flag TIF_A, TIF_B;\n'
        'void flush(void) { this_cpu_write(queued, false); }\n')
    (tmp_path / "base.lazy").write_text(
        'model arch "b" source "t";\n#include "common.lazy"\n'
        'void arch_leave_lazy_mmu_mode(void) { flush(); }\n')


def test_a_based_on_model_replaces_a_name_of_an_included_file(tmp_path: Path) -> None:
    """xen_mc_flush() lives in x86-xen-pv-multicall.lazy, which the base includes."""
    _chain(tmp_path)
    (tmp_path / "fix.lazy").write_text(
        'model arch "f" based_on "base.lazy" source "t";\n'
        'void flush(void) { BUG_ON(preemptible()); this_cpu_write(queued, false); }\n'
        'thread_flag TIF_B;\n')
    prog = load([tmp_path / "fix.lazy"], tmp_path).program
    assert len(prog.function("flush").body) == 2  # the fix's, not common.lazy's
    assert prog.flags == ("TIF_A", "TIF_B")  # TIF_B moved, not declared twice
    base = load([tmp_path / "base.lazy"], tmp_path).program
    assert len(base.function("flush").body) == 1  # the base alone is untouched


def test_a_name_nowhere_in_the_includes_is_lzc015_with_a_suggestion(tmp_path: Path) -> None:
    _chain(tmp_path)
    (tmp_path / "fix.lazy").write_text(
        'model arch "f" based_on "base.lazy" source "t";\nvoid flsh(void) { }\n')
    with pytest.raises(ModelError) as exc:
        load([tmp_path / "fix.lazy"], tmp_path)
    [d] = exc.value.diagnostics
    assert d.code == "LZC015" and "did you mean 'flush'" in (d.help or "")


def test_one_declaration_may_not_mix_base_and_included_names(tmp_path: Path) -> None:
    (tmp_path / "common.lazy").write_text('model common "c" source "t";\nthread_flag TIF_A;\n')
    (tmp_path / "base.lazy").write_text(
        'model arch "b" source "t";\n#include "common.lazy"\nthread_flag TIF_B;\n')
    (tmp_path / "fix.lazy").write_text(
        'model arch "f" based_on "base.lazy" source "t";\nthread_flag TIF_A, TIF_B;\n')
    with pytest.raises(ModelError) as exc:
        load([tmp_path / "fix.lazy"], tmp_path)
    assert [d.code for d in exc.value.diagnostics] == ["LZC015"]


def test_the_xen_mc_batch_patch_is_the_old_copy() -> None:
    """x86-xen-pv-g3-mc-batch.lazy, once a whole copy, is now a patch of
    x86-xen-pv-g3-flush-tlb.lazy: the functions the copy had are the same."""
    api = MODELS / "api" / "g3-v6.lazy"
    prog = load([MODELS / "arch" / "x86-xen-pv-g3-mc-batch.lazy", api], REPO).program
    base = load([MODELS / "arch" / "x86-xen-pv-g3-flush-tlb.lazy", api], REPO).program
    for same in ("arch_start_context_switch", "arch_end_context_switch", "xen_mc_issue",
                 "enter_lazy", "leave_lazy", "arch_leave_lazy_mmu_mode", "flush_tlb_range"):
        assert prog.function(same).body == base.function(same).body, same
    for new in ("xen_mc_flush", "set_pte"):
        assert prog.function(new).body != base.function(new).body, new
    assert {"mc_idx", "xen_mc_irq_flags"} <= {v.name for v in prog.vars}


def test_hunks_apply_with_an_offset() -> None:
    diff = "--- a/x\n+++ b/x\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n"
    (fp,) = parse_diff(diff, "d")
    assert apply("z\nz\na\nb\nc\nd\n", fp, "d") == "z\nz\na\nb\nC\nd\n"


@pytest.mark.parametrize("diff", [
    "",
    "--- a/arch/x86-native.lazy\n",
    "--- a/arch/x86-native.lazy\n+++ b/arch/x86-native.lazy\n@@ bad @@\n",
    "--- a/arch/x86-native.lazy\n+++ b/arch/x86-native.lazy\n@@ -1,3 +1,3 @@\n x\n",
    "--- a/arch/nope.lazy\n+++ b/arch/nope.lazy\n@@ -1 +1 @@\n-a\n+b\n",
    "--- a/../../x\n+++ b/../../x\n@@ -1 +1 @@\n-a\n+b\n",
])
def test_bad_diffs_are_lzc016(tmp_path: Path, diff: str) -> None:
    p = tmp_path / "bad.diff"
    p.write_text(diff)
    with pytest.raises(ModelError) as exc:
        read_patch(p, MODELS)
    assert [d.code for d in exc.value.diagnostics] == ["LZC016"]
