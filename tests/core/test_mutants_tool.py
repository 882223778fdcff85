"""tools/mutants.py: equivalent mutants only by proof (identical IR, commuting swap), never by
survival; expected locations move with deleted lines."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

from lazycheck.targets import load_target  # noqa: E402

M: Any = importlib.import_module("mutants")  # tools/mutants.py is a script, not a package

ATOMIC = """void f(cpu_t batch)
{
\tatomic {
\t\tfor_each_pte(p) {
\t\t\t__pte_sync(p);
\t\t\tper_cpu(q[p], batch) = false;
\t\t\tper_cpu(q[p], batch) = true;
\t\t\tx = per_cpu(q[p], batch);
\t\t}
\t}
\t__pte_sync(p);
\tper_cpu(q[p], batch) = false;
}
"""


def _swap(text: str, line: int) -> M.Mutant:
    return next(m for m in M.mutants_of("models/arch/x.lazy", text)
                if m.kind == "swap-statements" and m.line == line)


def test_a_swap_of_disjoint_updates_in_one_atomic_step_commutes() -> None:
    """__pte_sync(p) and a per-CPU flag store: different state, one step."""
    assert M.commuting_swap(_swap(ATOMIC, 5), ATOMIC).startswith("commute")


def test_a_swap_of_two_writes_of_one_variable_does_not_commute() -> None:
    """q[p] = false then true is not q[p] = true then false."""
    assert M.commuting_swap(_swap(ATOMIC, 6), ATOMIC) == ""
    assert M.commuting_swap(_swap(ATOMIC, 7), ATOMIC) == ""  # a write then a read of it


def test_a_swap_outside_an_atomic_block_is_never_equivalent() -> None:
    """Between two statements another CPU may look: the same swap is judged by the targets."""
    assert M.commuting_swap(_swap(ATOMIC, 11), ATOMIC) == ""


def test_statements_with_calls_have_no_footprint() -> None:
    """A model function or a check may do anything: not classifiable."""
    assert M.footprint("\tflush_tlb_pending();") is None
    assert M.footprint("\tBUG_ON(x);") is None
    assert M.footprint("\tx = xen_get_lazy_mode();") is None
    assert M.footprint("\tthis_cpu_write(mc_val[ptep], pte);") == ({"ptep", "pte"}, {"mc_val"})


def test_a_task_field_is_one_variable_whatever_names_the_task() -> None:
    """current->f and tsk->f may be the same cell: a write of one conflicts with a read of the
    other."""
    _, w = M.footprint("\tcurrent->lazy_mmu_state.active = true;")
    r2, _ = M.footprint("\tx = tsk->lazy_mmu_state.active;")
    assert w & r2


def test_deleting_a_barrier_changes_the_ir() -> None:
    """dsb() publishes the stored PTEs; isb() is the thread's event (issue 11 item 6)."""
    rel = "models/arch/arm64-g3-v4.lazy"
    text = (REPO / rel).read_text(encoding="utf-8")
    by_line = {(m.kind, m.what.split(";")[0]): m for m in M.mutants_of(rel, text)}
    deps = M.dependents(REPO)[rel]
    cache: dict[str, tuple[object, ...]] = {}
    isb = by_line[("delete-statement", "isb()")]
    dsb = by_line[("delete-statement", "dsb(ishst)")]
    assert M.same_ir(isb, REPO, deps, cache) == ""
    assert M.same_ir(dsb, REPO, deps, cache) == ""


def test_an_expected_location_moves_with_deleted_lines_above_it() -> None:
    """A deleted line above the check moves it up; a deleted check's location matches
    nothing (the next statement moved up into its line number: a check there is elsewhere)."""
    t = load_target("xen-nesting-counter", REPO)
    at = t.expect.at
    assert at is not None
    name, line = at.rsplit(":", 1)
    m = M.Mutant(f"models/arch/{name}", 1, "delete-statement", "", "", (1,))
    assert M.shifted(t, m).expect.at == f"{name}:{int(line) - 1}"
    gone = dataclasses.replace(m, deleted=(int(line),))
    assert M.shifted(t, gone).expect.at == f"{at} (deleted)"
    swap = M.Mutant(f"models/arch/{name}", int(line) - 1, "swap-statements", "", "")
    assert M.shifted(t, swap).expect.at == f"{name}:{int(line) - 1}"  # the check moved up
    assert M.shifted(t, dataclasses.replace(swap, line=int(line))).expect.at == \
        f"{name}:{int(line) + 1}"


def test_a_preemptible_check_in_a_switch_hook_is_dead() -> None:
    """Rule DEADHOOK: BUG_ON(preemptible()) in xen_start_context_switch() can never fire
    (the world runs switch hooks with preemption off); a BUG_ON elsewhere is not classified."""
    rel = "models/arch/x86-xen-pv-c36549ff8d84.lazy"
    text = (REPO / rel).read_text(encoding="utf-8")
    deps = M.dependents(REPO)[rel]
    ms = M.mutants_of(rel, text)
    hook = [m for m in ms if m.what == "BUG_ON(preemptible());"]
    assert hook and all("switch hook" in M.dead_hook_check(m, text, REPO, deps) for m in hook)
    other = [m for m in ms if m.kind == "delete-check" and "preemptible" not in m.what]
    assert other and all(M.dead_hook_check(m, text, REPO, deps) == "" for m in other)


def test_hand_made_models_are_not_mutated() -> None:
    """The H21 fixture and the counterfactuals ("NOT a kernel commit") are skipped; a
    kernel model is not."""
    arch = REPO / "models" / "arch"
    made = ["x86-xen-pv-g3-mc-irqs-on.lazy", "x86-xen-pv-g3-mc-flush-irq-enable.lazy",
            "arm64-smp-mb-barriers.lazy", "arm64-switch-drops-pending.lazy"]
    assert all(M.is_fixture(arch / f) for f in made)
    assert not M.is_fixture(arch / "x86-xen-pv-g3-mc-batch.lazy")


P: Any = importlib.import_module("mutant_proofs")
HOOKS = frozenset(("arch_start_context_switch", "__switch_to", "arch_end_context_switch"))
V6 = "models/api/g3-v6.lazy"


def _prog(target: str, overrides: dict[str, str] | None = None) -> Any:
    from lazycheck.lang.loader import load
    models = list(load_target(target, REPO).models)
    over = {(REPO / k).resolve(): v for k, v in (overrides or {}).items()}
    return load(models, REPO, overrides=over).program


def _forbidden(prog: Any) -> frozenset[str]:
    return frozenset({f for _, f in prog.roles} | {"set_pte", "pte_clear"})


def test_localread_a_warning_swapped_with_its_local_read_is_equivalent() -> None:
    """Rule LOCALREAD: v6's VM_WARN_ON_ONCE(enable_count == 255) and `enabled = enable_count`
    read the same per-task field, which only the task writes (arm64-g3's softirq reaches the
    helpers but they bail out in interrupt context first)."""
    prog = _prog("arm64-g3")
    assert any(f.is_irq for f in prog.functions)
    assert P.local_read_swap(prog, V6, 44, HOOKS).startswith("local read")
    assert P.local_read_swap(prog, V6, 74, HOOKS).startswith("local read")


def test_localread_rejects_a_field_an_interrupt_can_write() -> None:
    """Near miss: without the enable's in_interrupt() bail-out, the softirq's nested enable
    writes the interrupted task's enable_count between the two steps: not classified."""
    text = (REPO / V6).read_text(encoding="utf-8")
    old = "\tif (in_interrupt() || current->lazy_mmu_state.pause_count > 0)\n\t\treturn;\n\n" \
          "\tVM_WARN_ON_ONCE(current->lazy_mmu_state.enable_count == 255);"
    assert old in text
    new = old.replace("in_interrupt() || ", "")
    prog = _prog("arm64-g3", {V6: text.replace(old, new)})
    assert P.local_read_swap(prog, V6, 44, HOOKS) == ""
    assert "interrupt" in P.private_writes(prog, {"lazy_mmu_state.enable_count"}, HOOKS)


def test_localread_rejects_a_swap_that_is_not_check_and_local() -> None:
    """Near miss: `enabled = enable_count` swapped with the store of enable_count (two
    updates of task state in two steps) is neither LOCALREAD nor STEP."""
    prog = _prog("arm64-g3")
    assert P.local_read_swap(prog, V6, 45, HOOKS) == ""
    assert P.step_swap(prog, V6, 45, HOOKS, _forbidden(prog)) == ""


def test_step_disjoint_updates_in_one_switch_hook_commute() -> None:
    """Rule STEP: in __switch_to() (one scheduler step, called by no function), the batch
    flush and `active = false`, and the TIF flag and the batch flush, touch disjoint state."""
    rel = "models/arch/powerpc-hash-preemptible.lazy"
    prog = _prog("powerpc-hash-preemptible")
    for line in (42, 43, 48):
        assert P.step_swap(prog, rel, line, HOOKS, _forbidden(prog)).startswith("one step")


def test_step_rejects_the_same_swap_outside_one_step() -> None:
    """Near miss: the same flush/`active = false` pair in arch_leave_lazy_mmu_mode() is two
    steps a preemption or interrupt may separate: not classified."""
    rel = "models/arch/powerpc-hash-preemptible.lazy"
    prog = _prog("powerpc-hash-preemptible")
    text = (REPO / rel).read_text(encoding="utf-8").split("\n")
    assert text[32].strip() == "__flush_tlb_pending(batch);"
    assert P.step_swap(prog, rel, 33, HOOKS, _forbidden(prog)) == ""


def test_step_rejects_a_monitored_call_whose_monitor_reads_the_other() -> None:
    """Near miss: Xen's start hook swaps arch_leave_lazy_mmu_mode() (G1's leave role: its
    monitor reads lazy_mmu_task(), i.e. TIF_LAZY_MMU_UPDATES) with setting that flag."""
    rel = "models/arch/x86-xen-pv-c36549ff8d84.lazy"
    prog = _prog("kasan-depopulate-no-pause-xen")
    assert (REPO / rel).read_text(encoding="utf-8").split("\n")[59].strip() \
        == "arch_leave_lazy_mmu_mode();"
    assert P.step_swap(prog, rel, 60, HOOKS, _forbidden(prog)) == ""


def test_survivors_listed_in_the_docs_are_found_again(tmp_path: Path) -> None:
    """--survivors-of: a listed survivor is matched by file, kind and text (a cut text is
    a prefix); one whose model line moved is found at its new line."""
    md = ("- `api/g3-v6.lazy:44 swap-statements` `VM_WARN_ON_ONCE(current->lazy_mmu_state."
          "enable_count == 255); <-> e...`: why\n"
          "- `api/g3-v6.lazy:40 delete-check` `VM_WARN_ON_ONCE(current->lazy_mmu_state."
          "pause_count == 255);`: moved\n")
    text = (REPO / V6).read_text(encoding="utf-8")
    todo = M.mutants_of(V6, text)
    got = M.selected(todo, [], None) + M.selected(todo, ["api/g3-v6.lazy:46:delete-statement"],
                                                  None)
    assert [(m.line, m.kind) for m in got] == [(46, "delete-statement")]
    path = tmp_path / "mutants.md"
    path.write_text(md, encoding="utf-8")
    got = M.selected(todo, [], path)
    assert [(m.line, m.kind) for m in got] == [(44, "swap-statements"), (74, "delete-check")]


def test_private_a_store_only_the_task_sees_commutes_with_the_arch_hook() -> None:
    """Rule PRIVATE: v3's `enabled = true` swapped with arch_enter_lazy_mmu_mode(): on the
    misuse targets' programs no interrupt, switch hook or pure predicate touches `enabled`."""
    prog = _prog("g3v3-disable-unbalanced")
    assert P.private_store_swap(prog, "models/api/g3-v3.lazy", 54, HOOKS).startswith("private")


def test_private_rejects_a_field_an_interrupt_touches() -> None:
    """Near miss: x86-native-g3-v3-nested's softirq runs v3's enable, which has no
    in_interrupt() bail-out and writes the interrupted task's `enabled`: not classified."""
    prog = _prog("x86-native-g3-v3-nested")
    assert "interrupt" in P.private_field(prog, "lazy_mmu_state.enabled", HOOKS)
    assert P.private_store_swap(prog, "models/api/g3-v3.lazy", 54, HOOKS) == ""
