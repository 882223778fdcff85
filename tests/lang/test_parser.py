"""Parser: syntax trees, headers and syntax diagnostics."""

from __future__ import annotations

import pytest

from lazycheck.lang import ast
from lazycheck.lang.parser import parse

HDR = 'model scenario "t" source "s";\n'


def ok(text: str) -> ast.ModelFile:
    mf, diags = parse(HDR + text, "t.lazy")
    assert diags == [], diags
    return mf


def codes(text: str, header: bool = True) -> list[str]:
    _, diags = parse((HDR if header else "") + text, "t.lazy")
    return [d.code for d in diags]


def only_fn(mf: ast.ModelFile) -> ast.FuncDecl:
    fns = [d for d in mf.decls if isinstance(d, ast.FuncDecl)]
    assert len(fns) == 1
    return fns[0]


def test_header() -> None:
    mf = ok("")
    assert mf.header == ast.Header("scenario", "t", "s", mf.header.span)  # type: ignore[union-attr]
    assert mf.decls == ()


def test_header_is_required() -> None:
    assert codes("global bool x;", header=False) == ["LZC011"]


def test_header_kind_and_source_are_checked() -> None:
    assert codes('model foo "t" source "s";', header=False) == ["LZC011"]
    assert codes('model arch "t";', header=False) == ["LZC011"]


def test_declarations() -> None:
    mf = ok("""
#include "other.lazy"
enum mode { A, B, C };
typedef int<0..3> small;
percpu small n[pte_t] = 1;
pertask bool lazy.active;
global u8 g;
thread_flag TIF_A, TIF_B;
spinlock_t mm.ptl;
pte kernel k0 = 3;
lazy_mmu_api { enter = f; leave = g; }
""")
    kinds = [type(d).__name__ for d in mf.decls]
    assert kinds == ["Include", "EnumDecl", "TypedefDecl", "VarDecl", "VarDecl", "VarDecl",
                     "FlagDecl", "LockDecl", "PteDecl", "ApiDecl"]
    inc, en, td, n, lz, _, fl, lk, pte, api = mf.decls
    assert isinstance(inc, ast.Include) and inc.path == "other.lazy"
    assert isinstance(en, ast.EnumDecl) and [m for m, _ in en.members] == ["A", "B", "C"]
    assert isinstance(td, ast.TypedefDecl) and (td.type.lo, td.type.hi) == (0, 3)
    assert isinstance(n, ast.VarDecl) and n.storage == "percpu" and n.type.name == "small"
    assert isinstance(n.dims[0], ast.TypeRef) and n.dims[0].name == "pte_t"
    assert isinstance(lz, ast.VarDecl) and lz.name == "lazy.active"
    assert isinstance(fl, ast.FlagDecl) and [f for f, _ in fl.names] == ["TIF_A", "TIF_B"]
    assert isinstance(lk, ast.LockDecl) and lk.name == "mm.ptl"
    assert isinstance(pte, ast.PteDecl) and (pte.mm, pte.name) == ("kernel", "k0")
    assert isinstance(api, ast.ApiDecl) and [(r, f) for r, f, _ in api.roles] == [
        ("enter", "f"), ("leave", "g")]


def test_precedence_and_associativity() -> None:
    """Pins C precedence: || < && < ==/!= < relational < +/-; left associative."""
    fn = only_fn(ok("task void t(void) { x = a || b && c == d < e + f - g; }"))
    st = fn.body[0]
    assert isinstance(st, ast.AssignStmt)
    e = st.value
    assert isinstance(e, ast.BinaryOp) and e.op == "||"
    r = e.right
    assert isinstance(r, ast.BinaryOp) and r.op == "&&"
    eqn = r.right
    assert isinstance(eqn, ast.BinaryOp) and eqn.op == "=="
    lt = eqn.right
    assert isinstance(lt, ast.BinaryOp) and lt.op == "<"
    sub = lt.right
    assert isinstance(sub, ast.BinaryOp) and sub.op == "-"
    assert isinstance(sub.left, ast.BinaryOp) and sub.left.op == "+"


def test_conditional_expression_and_unary() -> None:
    fn = only_fn(ok("bool f(void) { return !a ? -1 : *p; }"))
    ret = fn.body[0]
    assert isinstance(ret, ast.ReturnStmt) and isinstance(ret.value, ast.Cond)
    assert isinstance(ret.value.cond, ast.Unary) and ret.value.cond.op == "!"
    assert isinstance(ret.value.then, ast.Unary) and ret.value.then.op == "-"
    assert ret.value.other == ast.Name("p", ret.value.other.span)  # '*' is dropped


def test_true_false_null_are_numbers() -> None:
    fn = only_fn(ok("void f(void) { g(true, false, NULL); }"))
    st = fn.body[0]
    assert isinstance(st, ast.ExprStmt) and isinstance(st.expr, ast.CallExpr)
    assert [a.value for a in st.expr.args] == [1, 0, 0]  # type: ignore[union-attr]


def test_postfix_member_index_call() -> None:
    fn = only_fn(ok("void f(void) { x = current->lazy.active; y = a[1][2]; }"))
    a, b = fn.body
    assert isinstance(a, ast.AssignStmt) and isinstance(a.value, ast.Member)
    assert a.value.member == "active" and not a.value.arrow
    inner = a.value.base
    assert isinstance(inner, ast.Member) and inner.arrow and inner.member == "lazy"
    assert isinstance(b, ast.AssignStmt) and isinstance(b.value, ast.Index)
    assert isinstance(b.value.base, ast.Index)


def test_statements() -> None:
    fn = only_fn(ok("""
void f(bool a)
{
    bool b = a;
    b = !b;
    n += 2;
    n--;
    if (a) g(); else { h(); }
    atomic { g(); h(); }
    for (i = 0; i < 3; i++) { if (a) break; continue; }
    for_each_pte(p) g();
    { g(); }
    ;
    return;
}
"""))
    kinds = [type(s).__name__ for s in fn.body]
    assert kinds == ["LocalDecl", "AssignStmt", "AssignStmt", "AssignStmt", "IfStmt",
                     "AtomicStmt", "ForStmt", "ForStmt", "IfStmt", "ReturnStmt"]
    fo = fn.body[6]
    assert isinstance(fo, ast.ForStmt) and fo.var == "i"
    fe = fn.body[7]
    assert isinstance(fe, ast.ForStmt) and fe.hi == ast.Name("__NR_PTES", fe.span)
    assert fn.params[0].name == "a"
    assert fn.body[3].op == "--"  # type: ignore[union-attr]


def test_statement_text_is_the_source_line_slice() -> None:
    fn = only_fn(ok("void f(void)\n{\n    x = 1;   // c\n    if (a && b)\n        g();\n}\n"))
    assert fn.body[0].text == "x = 1;"
    assert fn.body[1].text == "if (a && b)"


def test_qualifiers() -> None:
    fn = only_fn(ok("__weak static pure bool f(void) { return true; }"))
    assert fn.qualifiers == ("__weak", "static", "pure")


@pytest.mark.parametrize("kw", ["while (a) g();", "do g();"])
def test_unbounded_loops_are_rejected(kw: str) -> None:
    c = codes(f"void f(void) {{ {kw} }}")
    assert c and c[0] == "LZC003"


def test_for_loop_must_use_one_variable() -> None:
    _, diags = parse(HDR + "void f(void) { for (i = 0; j < 3; i++) g(); }", "t.lazy")
    assert diags and diags[0].code == "LZC003"
    assert "one variable" in diags[0].message


def test_pte_needs_kernel_or_user() -> None:
    _, diags = parse(HDR + "pte foo p;", "t.lazy")
    assert [d.code for d in diags] == ["LZC003"]
    assert diags[0].span is not None and diags[0].span.col == 5


def test_error_recovery_between_declarations() -> None:
    """Pins recovery: after a bad top-level declaration parsing resumes at the next."""
    mf, diags = parse(HDR + "global bool ;\nglobal bool y;\nglobal bool z;\n", "t.lazy")
    assert [d.code for d in diags] == ["LZC003"]
    names = [d.name for d in mf.decls if isinstance(d, ast.VarDecl)]
    assert names == ["y", "z"]


def test_error_inside_function_body_gives_one_message() -> None:
    """Pins the fixed cascade: one typo in a function body gives one message."""
    _, diags = parse(HDR + "void f(void) { x = ; }\nglobal bool z;\n", "t.lazy")
    assert [d.message for d in diags] == ["expected an expression, found ';'"]


def test_missing_semicolon_points_at_next_token() -> None:
    _, diags = parse(HDR + "void f(void)\n{\n    x = 1\n}\n", "t.lazy")
    assert [d.code for d in diags] == ["LZC003"]
    span = diags[0].span
    assert span is not None and (span.line, span.col) == (5, 1)
    assert "expected ';'" in diags[0].message


def test_unexpected_eof_in_block() -> None:
    _, diags = parse(HDR + "void f(void) {\n x = 1;\n", "t.lazy")
    assert diags and diags[-1].code == "LZC003"


def test_local_declaration_of_enum_and_typedef() -> None:
    fn = only_fn(ok("enum m { A };\ntypedef bool flag;\n"
                    "void f(void) { enum m x = A; flag y; }"))
    assert [type(s).__name__ for s in fn.body] == ["LocalDecl", "LocalDecl"]


def test_local_declaration_of_bounded_int() -> None:
    """Pins the fix: local declarations of int<lo..hi> type inside function bodies."""
    fn = only_fn(ok("void f(void) { int<0..3> i = 1; }"))
    assert isinstance(fn.body[0], ast.LocalDecl)
