"""Each check on the fixture corpus: a positive and a negative case, by function."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.scan import checks, scanner

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _found(case: str) -> set[tuple[str, str]]:
    files = scanner.collect([FIXTURES / case])
    result = scanner.combine(scanner.scan_files(files))
    return {(f.check, f.function) for f in result.findings}


POSITIVE = [
    ("vmap-44562c71e2cf", "section-leak", "vmap_pages_pte_range"),
    ("guard-goto", "section-leak", "update_range_prot"),
    ("generations", "section-leak", "pagemap_scan_pmd_entry_g4"),  # G4 enable_with_ptes
    ("unbalanced", "unbalanced-leave", "change_pte_range"),
    ("unbalanced", "unbalanced-leave", "move_ptes_resume"),
    ("kasan-pause", "unbalanced-leave", "kasan_depopulate_early_exit"),
    ("kasan-no-pause", "sleep-in-section", "kasan_populate_vmalloc"),
    ("guard-goto", "sleep-in-section", "update_range_prot"),
    ("zap-debug-pagealloc", "nested-section", "zap_pte_range"),
    ("copy-set-ptes", "nested-section", "copy_pte_range"),
    ("kasan-no-pause", "lock-order", "kasan_populate_vmalloc"),
    ("kasan-no-pause", "lock-order", "kasan_release_vmalloc"),
    ("guard-goto", "lock-order", "update_range_prot"),
]

NEGATIVE = [
    ("vmap-fea18c686320", "section-leak", "vmap_pages_pte_range"),
    ("vmap-fea18c686320", "section-leak", "vunmap_range_checked"),  # path-sensitive on err
    ("vmap-44562c71e2cf", "section-leak", "vmap_pte_range"),
    ("guard-goto", "section-leak", "split_range"),
    ("unbalanced", "unbalanced-leave", "change_pte_range_ok"),
    ("kasan-pause", "unbalanced-leave", "kasan_populate_vmalloc_pte"),  # G1 pause by hand
    ("kasan-pause", "unbalanced-leave", "kasan_depopulate_vmalloc_pte"),
    ("generations", "unbalanced-leave", "tlb_next_batch"),  # G1'': if (lazy) leave/enter
    ("generations", "unbalanced-leave", "kasan_depopulate_pte_g2"),  # G2 LAZY_MMU_DEFAULT
    ("generations", "section-leak", "vunmap_pte_range_g2"),  # G2 state passed to leave
    ("kasan-pause", "sleep-in-section", "kasan_populate_vmalloc"),
    ("zap-debug-pagealloc", "sleep-in-section", "zap_pte_range"),  # GFP_NOWAIT
    ("guard-goto", "sleep-in-section", "split_range"),  # the mutex guard is outside
    ("zap-debug-pagealloc", "nested-section", "zap_pte_range_g3"),  # G3 nests
    ("copy-set-ptes-691ee97e1a9d", "nested-section", "copy_pte_range"),
    ("kasan-pause", "lock-order", "kasan_populate_vmalloc"),
    ("zap-debug-pagealloc", "lock-order", "zap_pte_range"),  # PTL before enter
    ("guard-goto", "lock-order", "walk_ranges"),
]


@pytest.mark.parametrize(("case", "check", "function"), POSITIVE)
def test_positive(case: str, check: str, function: str) -> None:
    assert (check, function) in _found(case)


@pytest.mark.parametrize(("case", "check", "function"), NEGATIVE)
def test_negative(case: str, check: str, function: str) -> None:
    assert (check, function) not in _found(case)


def test_every_check_has_both_cases() -> None:
    assert {c for _, c, _ in POSITIVE} == set(checks.CHECKS)
    assert {c for _, c, _ in NEGATIVE} == set(checks.CHECKS)


def test_section_leak_names_each_exit_and_the_enter() -> None:
    files = scanner.collect([FIXTURES / "vmap-44562c71e2cf"])
    result = scanner.combine(scanner.scan_files(files))
    leaks = [f for f in result.findings if f.check == "section-leak"]
    assert [f.pos.line for f in leaks] == [23, 25, 27]
    assert all("entered at 17:2" in f.message and f.hazard == "H8" for f in leaks)


def test_severity_follows_the_arch() -> None:
    files = scanner.collect([FIXTURES / "kasan-no-pause"])
    result = scanner.combine(scanner.scan_files(files))
    sleep = next(f for f in result.findings if f.check == "sleep-in-section")
    assert checks.severity(sleep, "s390") == "error"
    assert checks.severity(sleep, "arm64") == "note"


def test_every_generation_is_recognised() -> None:
    files = scanner.collect([FIXTURES])
    result = scanner.combine(scanner.scan_files(files))
    gens = {g for c in result.callsites for g in c.generations}
    assert {"G0/G1", "G1''", "G2", "G3", "G4", "apply"} <= gens


def test_parallel_scan_equals_serial() -> None:
    files = scanner.collect([FIXTURES]) * 2
    assert scanner.combine(scanner.scan_files(files, 2)) == \
        scanner.combine(scanner.scan_files(files, 1))
