"""read_thread_flags(): one READ_ONCE of the flags word, tested as ``flags & _TIF_X``.

The kernel's read_ti_thread_flags() is ``READ_ONCE(ti->flags)`` and
read_thread_flags() reads current's (include/linux/thread_info.h, added by
7ad639840acf); arm64's queue_pte_barriers() tests two bits of one snapshot.
"""

from __future__ import annotations

import pytest

from lazycheck import ir
from lazycheck.lang.check import check_program
from lazycheck.lang.parser import parse

HDR = 'model scenario "t" source "s";\nthread_flag TIF_A, TIF_B;\n'


def check(body: str) -> tuple[ir.Program | None, list[str]]:
    mf, diags = parse(HDR + body, "f.lazy")
    assert diags == [], diags
    prog, cdiags = check_program([mf])
    return prog, [d.code for d in cdiags]


def _stmts(prog: ir.Program, name: str) -> tuple[ir.IStmt, ...]:
    return next(f for f in prog.functions if f.name == name).body


def test_snapshot_is_one_step_reading_every_flag() -> None:
    prog, codes = check("""
global bool seen = false;
task void t(void)
{
	thread_flags_t flags = read_thread_flags();
	if (flags & BIT(TIF_A))
		seen = true;
	if (!(flags & _TIF_B))
		seen = false;
}
""")
    assert codes == [] and prog is not None
    first = _stmts(prog, "t")[0]
    assert isinstance(first, ir.SAtomic)
    reads = [s.value for s in first.body if isinstance(s, ir.SAssign)]
    assert [r.flag for r in reads if isinstance(r, ir.EFlag)] == [0, 1]
    # one trace line for the one load
    assert [s.text for s in first.body if isinstance(s, ir.SAssign)][1] == ""


def test_fresh_read_and_mask_is_a_flag_test() -> None:
    prog, codes = check("""
global bool seen = false;
task void t(void) { if (read_thread_flags() & _TIF_A) seen = true; }
""")
    assert codes == [] and prog is not None
    cond = _stmts(prog, "t")[0]
    assert isinstance(cond, ir.SIf) and isinstance(cond.cond, ir.EFlag)


@pytest.mark.parametrize("body", [
    "task void t(void) { thread_flags_t f = read_thread_flags(); if (f & TIF_A) return; }",
    "task void t(void) { thread_flags_t f = read_thread_flags(); if (f) return; }",
    "task void t(void) { thread_flags_t f = 3; }",
    "task void t(void) { bool b = read_thread_flags(); }",
    "task void t(void) { bool b = true; if (b & _TIF_A) return; }",
    "task void t(void) { thread_flags_t f = read_thread_flags(); f++; }",
    "global thread_flags_t g;",
])
def test_misuse_is_lzc201(body: str) -> None:
    _, codes = check(body)
    assert codes and set(codes) <= {"LZC201"}, codes


def test_mask_alone_names_the_fix() -> None:
    _, codes = check("task void t(void) { bool b = _TIF_A; }")
    assert codes == ["LZC206"]
