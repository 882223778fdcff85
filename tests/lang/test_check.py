"""Name resolution and type checking: syntax trees -> IR, and their diagnostics."""

from __future__ import annotations

import pytest

from lazycheck import ir
from lazycheck.lang.check import check_program
from lazycheck.lang.parser import parse

HDR = 'model scenario "t" source "s";\n'


def check(text: str, *more: str) -> tuple[ir.Program | None, list[str]]:
    files = []
    for i, t in enumerate((text, *more)):
        mf, diags = parse(HDR + t, f"f{i}.lazy")
        assert diags == [], diags
        files.append(mf)
    prog, cdiags = check_program(files)
    return prog, [d.code for d in cdiags]


def good(text: str, *more: str) -> ir.Program:
    prog, codes = check(text, *more)
    assert codes == [] and prog is not None
    return prog


def test_clean_program_produces_ir() -> None:
    prog = good("""
enum mode { OFF, ON };
percpu enum mode m = ON;
global int<0..3> n = 2;
pte user p0 = 1;
spinlock_t l;
thread_flag TIF_X;
void f(int<0..3> k) { n = k; }
task void t(void) { f(1); this_cpu_write(m, OFF); }
lazy_mmu_api { enter = f; }
""")
    assert [v.name for v in prog.vars] == ["m", "n"]
    assert prog.var("m").init == 1 and prog.var("m").storage == "percpu"
    assert prog.var("n").type == ir.Type(ir.Kind.INT, 0, 3)
    assert prog.ptes[0].init == 1 and not prog.ptes[0].kernel
    assert prog.locks == ("l",) and prog.flags == ("TIF_X",)
    assert prog.tasks == ("t",)
    assert prog.role("enter") == "f" and prog.role("leave") is None
    assert dict(prog.enums)["mode"] == ("OFF", "ON")


def test_this_cpu_ops_are_single_atomic_steps() -> None:
    """Pins the desugaring: this_cpu_inc(x) is one SAtomic assignment."""
    prog = good("percpu int<0..3> c;\ntask void t(void) { this_cpu_inc(c); }")
    body = prog.function("t").body
    assert len(body) == 1 and isinstance(body[0], ir.SAtomic)
    (assign,) = body[0].body
    assert isinstance(assign, ir.SAssign) and isinstance(assign.target, ir.LVar)
    assert isinstance(assign.value, ir.EBinary) and assign.value.op == "+"


def test_call_with_value_is_hoisted_into_a_temporary() -> None:
    prog = good("bool g(void) { return true; }\n"
                "global bool x;\ntask void t(void) { x = !g(); }")
    body = prog.function("t").body
    assert isinstance(body[0], ir.SCall) and body[0].dest is not None
    assert isinstance(body[1], ir.SAssign)


def test_weak_function_is_overridden_by_strong_one() -> None:
    prog = good("__weak void f(void) { }\ntask void t(void) { f(); }",
                "void f(void) { barrier(); }")
    f = prog.function("f")
    assert "__weak" not in f.qualifiers
    assert f.span.file == "f1.lazy"


def test_strong_then_weak_keeps_strong() -> None:
    prog = good("void f(void) { barrier(); }", "__weak void f(void) { }")
    assert prog.function("f").span.file == "f0.lazy"


@pytest.mark.parametrize(("text", "code"), [
    ("task void t(void) { x = 1; }", "LZC101"),
    ("global bool x;\nglobal bool x;", "LZC102"),
    ("enum e { A };\nenum f { A };", "LZC102"),
    ("void f(void) { }\nvoid f(void) { }", "LZC102"),
    ("typedef enum nope t;", "LZC103"),
    ("global enum nope x;", "LZC103"),
    ("task void t(void) { nope(); }", "LZC104"),
    ("global bool b;\nenum e { A };\ntask void t(void) { b = A; }", "LZC201"),
    ("task void t(void) { bool b = current; }", "LZC201"),
    ("enum e { A, B };\nglobal enum e x = 1;", "LZC201"),
    ("task void t(void) { BUG_ON(true, false); }", "LZC202"),
    ("void f(bool a) { }\ntask void t(void) { f(); }", "LZC202"),
    ("task void t(void) { smp_processor_id() = 0; }", "LZC203"),
    ("global int<3..1> x;", "LZC204"),
    ("global int<0..9999> x;", "LZC204"),
    ("global int<0..3> x = 4;", "LZC205"),
    ("void w(pteval_t v) { }\ntask void t(void) { w(9); }", "LZC205"),
    ("percpu bool p;\ntask void t(void) { bool b = p; }", "LZC206"),
    ("global bool g;\ntask void t(void) { this_cpu_write(g, true); }", "LZC206"),
    ("bool f(void) { }", "LZC207"),
    ("bool f(void) { return; }", "LZC207"),
    ("void f(void) { f(); }", "LZC301"),
    ("bool g(void) { return true; }\n"
     "task void t(void) { bool b = in_interrupt() && g(); }", "LZC302"),
    ("global int<0..3> n;\ntask void t(void) { for (i = 0; i < n; i++) barrier(); }",
     "LZC304"),
    ("lazy_mmu_api { enter = nope; }", "LZC305"),
    ("void f(void) { }\nlazy_mmu_api { enter = f; enter = f; }", "LZC305"),
    ("global bool x;\npure bool f(void) { x = true; return x; }", "LZC306"),
    ("bool g(void) { return true; }\npure bool f(void) { return g(); }", "LZC306"),
    ("task bool t(void) { return true; }", "LZC201"),
    ("task void t(void) { in_interrupt(); }", "LZC003"),
    ("task void t(void) { 1 + 2; }", "LZC003"),
])
def test_diagnostic_codes(text: str, code: str) -> None:
    prog, codes = check(text)
    assert prog is None
    assert code in codes, codes


def test_checker_keeps_going_and_reports_every_error() -> None:
    _, codes = check("task void t(void) { a = 1; b(); }\nglobal int<2..1> y;")
    assert sorted(codes) == ["LZC101", "LZC104", "LZC204"]


def test_duplicate_definition_notes_the_first() -> None:
    mf, _ = parse(HDR + "global bool x;\nglobal bool x;", "f.lazy")
    _, diags = check_program([mf])
    (d,) = diags
    assert d.span is not None and d.span.line == 3
    ((note, span),) = d.notes
    assert note == "first defined here" and span is not None and span.line == 2


def test_recursion_through_two_functions_names_the_cycle() -> None:
    mf, _ = parse(HDR + "void a(void) { b(); }\nvoid b(void) { a(); }", "f.lazy")
    _, diags = check_program([mf])
    assert [d.code for d in diags] == ["LZC301"]
    assert "a -> b -> a" in diags[0].message


def test_always_returns_through_both_branches() -> None:
    good("bool f(bool a) { if (a) return true; else return false; }")
    good("bool f(void) { BUG(); }")


def test_u8_wraps_and_int_range_is_checked() -> None:
    prog = good("global u8 a;\nglobal int<1..2> b = 1;")
    assert prog.var("a").type.wrap and (prog.var("a").type.lo, prog.var("a").type.hi) == (0, 255)
    assert not prog.var("b").type.wrap


def test_out_of_range_constant_assignment_is_lzc205() -> None:
    """Pins LZC205 for constant assignments to bounded ints."""
    prog, codes = check("global int<0..3> x;\ntask void t(void) { x = 9; }")
    assert prog is None and codes == ["LZC205"]
