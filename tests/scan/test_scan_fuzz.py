"""The scanner never raises on generated or mutated C (``make fuzz-scan``: >= 5,000 inputs),
and every draft ``extract`` makes of such C is a model the checker accepts.

LAZYCHECK_FUZZ_EXAMPLES sets the examples per test (default 150, two tests).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lazycheck.errors import ModelError
from lazycheck.lang.loader import load
from lazycheck.scan import extract, scanner

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = FIXTURES.parents[2]
API = {"G2": "g2-lazy-mmu-state", "G3": "g3-v6", "G4": "g4-s390-with-ptes"}
ARCH = {"G2": "x86-xen-pv-g2-kevin-v2", "G3": "x86-xen-pv-g3-291b3abed657",
        "G4": "s390-g4-ipte-range"}
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
          b"apply_to_page_range(&init_mm, a, s, cb, NULL);", b"int f(void)", b"\\",
          b"if (a && !b)", b"while (x || err < 0)", b"ret = f(a);", b"if (!pte)",
          b"pte = pte_offset_map_lock(mm, pmd, a, &ptl);", b"pte_unmap_unlock(pte, ptl);",
          b"set_pte_at(mm, a, pte, v);", b"again:", b"goto again;"]


def _check(data: bytes, draft: bool = False) -> None:
    fs = scanner.scan_bytes("fuzz.c", data)
    result = scanner.combine([fs])
    assert result.lines >= 0
    for r in fs.results[:1] if draft else ():
        with contextlib.suppress(extract.ExtractError):
            _lint(extract.extract("fuzz.c", data, r.summary.name, 1))


def _lint(d: extract.Draft) -> None:
    """The draft loads (parse + check) with its generation's arch and api models."""
    models = REPO / "models"
    scen = models / "scenarios" / "fuzz-draft.lazy"  # never written: an override
    files = [models / "arch" / f"{ARCH.get(d.generation, 'x86-xen-pv-c36549ff8d84')}.lazy",
             models / "api" / f"{API.get(d.generation, 'g1-2025-docs')}.lazy", scen]
    try:
        load(files, REPO, overrides={scen: d.text})
    except ModelError as err:
        raise AssertionError(f"draft rejected: {err}\n{d.text}") from err


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.integers(0, 10_000),
                                                     st.integers(0, 40),
                                                     st.sampled_from(TOKENS)), max_size=8))
def test_mutated_fixtures_never_raise(base: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(base)
    for at, cut, tok in edits:
        at %= max(len(data), 1)
        data[at:at + cut] = tok
    _check(bytes(data), draft=True)


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TOKENS) | st.binary(max_size=6), max_size=60))
def test_generated_token_soup_never_raises(parts: list[bytes]) -> None:
    _check(b"int f(int err)\n{\n" + b" ".join(parts) + b"\n}\n", draft=True)


def test_unparsable_regions_are_counted() -> None:
    fs = scanner.scan_bytes("bad.c", b"int f(void) { arch_enter_lazy_mmu_mode(); ) ) }\n")
    assert fs.regions
    assert scanner.combine([fs]).regions
