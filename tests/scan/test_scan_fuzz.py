"""The scanner never raises on generated or mutated C (``make fuzz-scan``: >= 5,000 inputs).

LAZYCHECK_FUZZ_EXAMPLES sets the examples per test (default 150, two tests).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lazycheck.scan import extract, scanner

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.c"))]
N = int(os.environ.get("LAZYCHECK_FUZZ_EXAMPLES", "150"))
TOKENS = [b"arch_enter_lazy_mmu_mode();", b"arch_leave_lazy_mmu_mode();",
          b"lazy_mmu_mode_enable();", b"lazy_mmu_mode_disable();", b"lazy_mmu_mode_pause();",
          b"lazy_mmu_mode_resume();", b"goto out;", b"out:", b"return err;", b"break;",
          b"continue;", b"{", b"}", b"(", b")", b";", b"if (err)", b"else", b"while (x)",
          b"do {", b"} while (0);", b"switch (x) {", b"case 1:", b"default:",
          b"guard(spinlock)(&l);", b"scoped_guard(mutex, &m)", b"for_each_pte(p)",
          b"spin_lock(&init_mm.page_table_lock);", b"kmalloc(8, GFP_KERNEL);",
          b"err = -ENOMEM;", b"#ifdef X", b"#endif", b"\n", b"/*", b"*/", b"\"", b"'",
          b"apply_to_page_range(&init_mm, a, s, cb, NULL);", b"int f(void)", b"\\"]


def _check(data: bytes, draft: bool = False) -> None:
    fs = scanner.scan_bytes("fuzz.c", data)
    result = scanner.combine([fs])
    assert result.lines >= 0
    for r in fs.results[:1] if draft else ():
        with contextlib.suppress(extract.ExtractError):
            extract.extract("fuzz.c", data, r.summary.name, 0, 2)


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.integers(0, 10_000),
                                                     st.integers(0, 40),
                                                     st.sampled_from(TOKENS)), max_size=8))
def test_mutated_fixtures_never_raise(base: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(base)
    for at, cut, tok in edits:
        at %= max(len(data), 1)
        data[at:at + cut] = tok
    _check(bytes(data))


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TOKENS) | st.binary(max_size=6), max_size=60))
def test_generated_token_soup_never_raises(parts: list[bytes]) -> None:
    _check(b"int f(int err)\n{\n" + b" ".join(parts) + b"\n}\n", draft=True)


def test_unparsable_regions_are_counted() -> None:
    fs = scanner.scan_bytes("bad.c", b"int f(void) { arch_enter_lazy_mmu_mode(); ) ) }\n")
    assert fs.regions
    assert scanner.combine([fs]).regions
