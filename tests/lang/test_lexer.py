"""Tokenizer of .lazy files: tokens, spans and lexical diagnostics."""

from __future__ import annotations

from lazycheck.lang.lexer import MAX_INT, Tok, tokenize


def kinds_texts(text: str) -> list[tuple[Tok, str]]:
    toks, diags = tokenize(text, "f.lazy")
    assert diags == []
    return [(t.kind, t.text) for t in toks]


def test_punctuation_longest_match_first() -> None:
    """Pins longest-first matching: '->' is one token, not '-' '>'; '...' and '..'."""
    got = [t for _, t in kinds_texts("a->b ... 0..3 x++ y-- a<=b !=")][:-1]
    assert got == ["a", "->", "b", "...", "0", "..", "3", "x", "++", "y", "--", "a", "<=",
                   "b", "!="]


def test_integers_decimal_hex_and_suffixes() -> None:
    toks, diags = tokenize("12 0x1f 3UL 0X10", "f.lazy")
    assert diags == []
    assert [(t.kind, t.text) for t in toks[:-1]] == [
        (Tok.INT, "12"), (Tok.INT, "31"), (Tok.INT, "3"), (Tok.INT, "16")]
    assert toks[2].span.length == 3  # the suffix belongs to the literal


def test_identifiers_strings_and_include() -> None:
    got = kinds_texts('#include "x.lazy"\n_foo bar9')
    assert got == [(Tok.INCLUDE, "#include"), (Tok.STRING, "x.lazy"), (Tok.IDENT, "_foo"),
                   (Tok.IDENT, "bar9"), (Tok.EOF, "")]


def test_comments_are_skipped_and_lines_counted() -> None:
    toks, diags = tokenize("a // one\n/* two\nthree */ b\nc", "f.lazy")
    assert diags == []
    pos = [(t.text, t.span.line, t.span.col) for t in toks]
    assert pos == [("a", 1, 1), ("b", 3, 10), ("c", 4, 1), ("", 4, 2)]


def test_columns_after_a_single_line_comment_block() -> None:
    toks, _ = tokenize("/* x */ y", "f.lazy")
    assert (toks[0].span.line, toks[0].span.col) == (1, 9)


def test_tab_counts_as_one_column() -> None:
    toks, _ = tokenize("\tx", "f.lazy")
    assert toks[0].span.col == 2


def test_span_carries_file_and_length() -> None:
    toks, _ = tokenize("  hello", "dir/m.lazy")
    s = toks[0].span
    assert (s.file, s.line, s.col, s.length) == ("dir/m.lazy", 1, 3, 5)
    assert str(s) == "dir/m.lazy:1:3"
    assert s.short == "m.lazy:1"


def test_unexpected_character_is_lzc001_and_lexing_continues() -> None:
    toks, diags = tokenize("a $ b", "f.lazy")
    assert [d.code for d in diags] == ["LZC001"]
    assert diags[0].span is not None and diags[0].span.col == 3
    assert [t.text for t in toks] == ["a", "b", ""]


def test_hash_other_than_include_is_lzc001() -> None:
    toks, diags = tokenize("#ifdef X 1\ny", "f.lazy")
    assert [d.code for d in diags] == ["LZC001"]
    assert [t.text for t in toks] == ["y", ""]  # the rest of the line is skipped
    assert toks[0].span.line == 2


def test_define_is_a_token_then_a_name_and_a_number() -> None:
    toks, diags = tokenize("#define LOOP_BOUND 2\n", "f.lazy")
    assert not diags
    assert [(t.kind.name, t.text) for t in toks] == [
        ("DEFINE", "#define"), ("IDENT", "LOOP_BOUND"), ("INT", "2"), ("EOF", "")]


def test_unterminated_comment_is_lzc002() -> None:
    toks, diags = tokenize("a /* no end", "f.lazy")
    assert [d.code for d in diags] == ["LZC002"]
    assert diags[0].span is not None and diags[0].span.col == 3
    assert toks[-1].kind is Tok.EOF


def test_unterminated_string_is_lzc002() -> None:
    _, diags = tokenize('"abc\nx', "f.lazy")
    assert [d.code for d in diags] == ["LZC002"]
    assert "string" in diags[0].message


def test_integer_limit_is_inclusive() -> None:
    """Pins LZC004's boundary: MAX_INT itself is allowed, MAX_INT + 1 is not."""
    _, ok = tokenize(str(MAX_INT), "f.lazy")
    assert ok == []
    _, bad = tokenize(str(MAX_INT + 1), "f.lazy")
    assert [d.code for d in bad] == ["LZC004"]
    _, badhex = tokenize("0x10001", "f.lazy")
    assert [d.code for d in badhex] == ["LZC004"]


def test_eof_token_always_present() -> None:
    toks, diags = tokenize("", "f.lazy")
    assert diags == []
    assert [t.kind for t in toks] == [Tok.EOF]


def test_is_matches_punct_and_ident_only() -> None:
    toks, _ = tokenize('x ; "x"', "f.lazy")
    assert toks[0].is_("x")
    assert toks[1].is_(";")
    assert not toks[2].is_("x")  # a string whose text is x is not the identifier x
