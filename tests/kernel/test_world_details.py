"""Issue 11 item 6: each kernel detail has a target pair, and the pair depends on it.

Every test copies the zoo, changes one detail in a model (the detail
"removed"), and shows the target's verdict then changes: a FAIL that
disappears, or a PASS that becomes a FAIL.  Without the change the targets
are checked by ``lazycheck ci`` with their own expectations.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lazycheck.outcome import Verdict
from lazycheck.run.verify import run
from lazycheck.targets import load_target

REPO = Path(__file__).resolve().parents[2]


def zoo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's models/ and specs/ under ``tmp_path``, to edit one detail in."""
    root = tmp_path / "zoo"
    shutil.copytree(REPO / "models", root / "models")
    shutil.copytree(REPO / "specs", root / "specs")
    return root


def _edit(root: Path, model: str, old: str, new: str) -> None:
    path = root / "models" / model
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {model}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _verdict(root: Path, name: str) -> tuple[Verdict, str]:
    out = run(load_target(name, root), root)
    prop = ""
    if out.result.verdict is Verdict.FAIL:
        prop = out.system.violation(out.result.violation_code).property_id
    return out.result.verdict, prop


@pytest.mark.parametrize(("name", "want"), [
    ("arm64-isb-kept", (Verdict.PASS, "")),
    ("arm64-isb-dropped", (Verdict.FAIL, "mapped-before-use")),
    ("powerpc-hash-softirq-in-section", (Verdict.FAIL, "no-deferred-write-outside-section")),
    ("powerpc-hash-softirq-deferred", (Verdict.PASS, "")),
    ("xen-g3-mc-full", (Verdict.PASS, "")),
    ("xen-g3-mc-flush-irq-enable", (Verdict.FAIL, "visible-after-disable")),
    ("powerpc-hash-get-cpu", (Verdict.PASS, "")),
    ("arm64-smp-mb-barriers", (Verdict.FAIL, "visible-after-disable")),
])
def test_pairs_as_shipped(name: str, want: tuple[Verdict, str]) -> None:
    assert _verdict(REPO, name) == want


def test_isb_fail_needs_isb_as_an_event(tmp_path: Path) -> None:
    """With isb() owing nothing (the old no-op), arm64-isb-dropped's FAIL disappears."""
    root = zoo_copy(tmp_path)
    _edit(root, "scenarios/g1-map-then-use.lazy", "&& !__isb_pending()", "")
    assert _verdict(root, "arm64-isb-dropped") == (Verdict.PASS, "")


def test_softirq_pass_needs_the_deferral(tmp_path: Path) -> None:
    """A softirq that ignored local_bh_disable() (an `irq`) makes the deferred pair FAIL."""
    root = zoo_copy(tmp_path)
    _edit(root, "scenarios/softirq-deferred-g1.lazy", "softirq void softirq_set_pte",
          "irq void softirq_set_pte")
    assert _verdict(root, "powerpc-hash-softirq-deferred") == (
        Verdict.FAIL, "no-deferred-write-outside-section")


def test_irq_restore_pass_needs_nesting(tmp_path: Path) -> None:
    """local_irq_restore() written as local_irq_enable(): xen-g3-mc-full FAILs like its pair."""
    root = zoo_copy(tmp_path)
    _edit(root, "arch/x86-xen-pv-g3-mc-batch.lazy", "\tlocal_irq_restore(flags);\n}",
          "\tlocal_irq_enable();\n}")
    assert _verdict(root, "xen-g3-mc-full") == (Verdict.FAIL, "visible-after-disable")


def test_irq_fail_needs_the_self_flush(tmp_path: Path) -> None:
    """Without __xen_mc_entry()'s flush of a full buffer the counterfactual cannot FAIL."""
    root = zoo_copy(tmp_path)
    _edit(root, "arch/x86-xen-pv-g3-mc-batch.lazy",
          "if (this_cpu_read(mc_idx) == 1)\t\t/* __xen_mc_entry(): b->mcidx == MC_BATCH */\n"
          "\t\txen_mc_flush();", "")
    _edit(root, "arch/x86-xen-pv-g3-mc-batch.lazy", "percpu int<0..1> mc_idx",
          "percpu int<0..2> mc_idx")
    verdict, prop = _verdict(root, "xen-g3-mc-flush-irq-enable")
    assert (verdict, prop) != (Verdict.FAIL, "visible-after-disable")


def test_get_cpu_pass_needs_preemption_off(tmp_path: Path) -> None:
    """get_cpu() as a bare smp_processor_id(): the pair FAILs like powerpc-hash-preemptible."""
    root = zoo_copy(tmp_path)
    _edit(root, "arch/powerpc-hash-get-cpu.lazy", "cpu_t batch = get_cpu();",
          "cpu_t batch = smp_processor_id();")
    _edit(root, "arch/powerpc-hash-get-cpu.lazy", "\tput_cpu();\n", "")
    assert _verdict(root, "powerpc-hash-get-cpu")[0] is Verdict.FAIL


def test_smp_mb_fail_needs_mb_not_to_publish(tmp_path: Path) -> None:
    """If smp_mb() published PTE stores like dsb, the smp_mb counterfactual would PASS."""
    root = zoo_copy(tmp_path)
    _edit(root, "arch/arm64-smp-mb-barriers.lazy", "\tsmp_mb();\n\tisb();", "\tdsb(ish);\n\tisb();")
    assert _verdict(root, "arm64-smp-mb-barriers") == (Verdict.PASS, "")


def test_h5_fail_needs_the_softirq_to_read_the_tasks_flags(tmp_path: Path) -> None:
    """arm64-5fdd05efa1cd-softirq FAILs because the softirq's read_thread_flags() is the
    interrupted task's word (TIF_LAZY_MMU set): without that read its store is never
    deferred and the FAIL disappears; the fixed pair PASSes either way."""
    assert _verdict(REPO, "arm64-5fdd05efa1cd-softirq") == (
        Verdict.FAIL, "no-deferred-write-outside-section")
    root = zoo_copy(tmp_path)
    _edit(root, "arch/arm64-5fdd05efa1cd.lazy", "\tflags = read_thread_flags();\n", "")
    assert _verdict(root, "arm64-5fdd05efa1cd-softirq") == (Verdict.PASS, "")


@pytest.mark.parametrize(("guard", "branch"), [
    ("\t\tenter_lazy(XEN_LAZY_MMU);\n", "\t\tenter_lazy(XEN_LAZY_MMU);\n\telse\n\t\tBUG();\n"),
    ("\t\tleave_lazy(XEN_LAZY_MMU);\n", "\t\tleave_lazy(XEN_LAZY_MMU);\n\telse\n\t\tBUG();\n"),
])
def test_gross_fix_pass_covers_both_windows(tmp_path: Path, guard: str, branch: str) -> None:
    """xen-g3-enable-preempt-tolerated PASSes on full because the fix's guards absorb
    the second enter and the late leave: a BUG() on either tolerated path is reached."""
    assert _verdict(REPO, "xen-g3-enable-preempt") == (Verdict.FAIL, "no-bug")
    assert _verdict(REPO, "xen-g3-enable-preempt-tolerated") == (Verdict.PASS, "")
    root = zoo_copy(tmp_path)
    _edit(root, "arch/x86-xen-pv-g3-tolerate-nesting.lazy", guard, branch)
    assert _verdict(root, "xen-g3-enable-preempt-tolerated") == (Verdict.FAIL, "no-bug")
