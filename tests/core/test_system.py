"""Transition-system expressions: smart constructors, substitute, free_vars."""

from __future__ import annotations

from lazycheck.system import (
    FALSE,
    TRUE,
    Binary,
    BinOp,
    Const,
    Ite,
    Not,
    Select,
    Var,
    Wrap,
    conj,
    disj,
    eq,
    eval_binop,
    free_vars,
    ite,
    neg,
    simplify_binary,
    substitute,
)

X, Y, Z = Var(0), Var(1), Var(2)


def test_conj() -> None:
    assert conj() == TRUE
    assert conj(TRUE, TRUE) == TRUE
    assert conj(X, TRUE) == X
    assert conj(X, FALSE, Y) == FALSE
    assert conj(X, Y, Z) == Binary(BinOp.AND, Binary(BinOp.AND, X, Y), Z)


def test_disj() -> None:
    assert disj() == FALSE
    assert disj(FALSE, X) == X
    assert disj(X, TRUE) == TRUE
    assert disj(X, Y) == Binary(BinOp.OR, X, Y)


def test_neg_eq_ite() -> None:
    assert neg(TRUE) == FALSE and neg(FALSE) == TRUE
    assert neg(neg(X)) == X
    assert neg(X) == Not(X)
    assert eq(Const(2), Const(2)) == TRUE and eq(Const(2), Const(3)) == FALSE
    assert eq(X, Const(1)) == Binary(BinOp.EQ, X, Const(1))
    assert ite(TRUE, X, Y) == X and ite(FALSE, X, Y) == Y
    assert ite(Z, X, X) == X
    assert ite(Z, X, Y) == Ite(Z, X, Y)


def test_simplify_binary_folds_constants() -> None:
    assert simplify_binary(BinOp.ADD, Const(2), Const(3)) == Const(5)
    assert simplify_binary(BinOp.LT, Const(2), Const(3)) == Const(1)
    assert simplify_binary(BinOp.AND, X, TRUE) == X
    assert simplify_binary(BinOp.OR, X, TRUE) == TRUE
    assert simplify_binary(BinOp.SUB, X, Const(1)) == Binary(BinOp.SUB, X, Const(1))


def test_eval_binop_matches_c() -> None:
    table = {BinOp.ADD: 5, BinOp.SUB: -1, BinOp.EQ: 0, BinOp.NE: 1, BinOp.LT: 1,
             BinOp.LE: 1, BinOp.GT: 0, BinOp.GE: 0, BinOp.AND: 1, BinOp.OR: 1}
    for op, want in table.items():
        assert eval_binop(op, 2, 3) == want, op
    assert eval_binop(BinOp.AND, 0, 5) == 0 and eval_binop(BinOp.OR, 0, 0) == 0


def test_free_vars() -> None:
    e = Ite(Not(X), Wrap(Binary(BinOp.ADD, Y, Const(1)), 0, 3), Select(5, 3, Z))
    assert free_vars(e) == {0, 1, 2, 5, 6, 7}
    acc = {9}
    assert free_vars(Const(1), acc) == {9} and free_vars(X, acc) is acc and acc == {0, 9}


def test_substitute_replaces_and_simplifies() -> None:
    e = Binary(BinOp.ADD, X, Y)
    assert substitute(e, {0: Const(1), 1: Const(2)}) == Const(3)
    assert substitute(e, {}) == e
    assert substitute(Not(X), {0: TRUE}) == FALSE
    assert substitute(Ite(X, Y, Z), {0: FALSE}) == Z
    assert substitute(Wrap(X, 0, 3), {0: Y}) == Wrap(Y, 0, 3)
    assert substitute(Binary(BinOp.AND, X, Y), {0: TRUE}) == Y


def test_substitute_select_with_known_index_picks_the_cell() -> None:
    sel = Select(10, 3, X)
    assert substitute(sel, {0: Const(2)}) == Var(12)
    assert substitute(sel, {0: Const(1), 11: Const(7)}) == Const(7)


def test_substitute_select_untouched_cells_stays_a_select() -> None:
    sel = Select(10, 3, X)
    assert substitute(sel, {0: Y}) == Select(10, 3, Y)


def test_substitute_select_with_updated_cell_becomes_ite_chain() -> None:
    """Pins composition of sequential steps: a written array cell is seen by a
    later symbolic read (otherwise fused steps would read stale values)."""
    sel = Select(10, 3, X)
    got = substitute(sel, {11: Const(7)})
    from lazycheck.semantics import compile_expr
    f = compile_expr(got)
    base = [0] * 13
    for idx, want in ((0, 100), (1, 7), (2, 102)):
        s = list(base)
        s[0] = idx
        s[10], s[11], s[12] = 100, 101, 102
        assert f(tuple(s)) == want
