"""Diagnostics: the code catalogue and the compiler-style renderer."""

from __future__ import annotations

import re

import pytest

from lazycheck.diagnostics import CODES, Diagnostic, Span, render, render_all


def test_codes_are_well_formed_and_unique() -> None:
    assert all(re.fullmatch(r"LZC\d{3}", c) for c in CODES)
    assert all(msg and msg == msg.strip() for msg in CODES.values())


def test_unknown_code_is_rejected() -> None:
    with pytest.raises(ValueError):
        Diagnostic("LZC999", "nope")


def test_render_with_source_caret_note_and_help() -> None:
    src = {"m.lazy": "first\n  bad thing\n"}
    d = Diagnostic("LZC101", "unknown name 'bad'", Span("m.lazy", 2, 3, 3),
                   help="declare it", notes=(("see here", Span("m.lazy", 1, 1)),
                                             ("no span", None)))
    assert render(d, src) == (
        "m.lazy:2:3: error[LZC101]: unknown name 'bad'\n"
        "    2 |   bad thing\n"
        "      |   ^^^\n"
        "note: m.lazy:1:1: see here\n"
        "note: no span\n"
        "help: declare it")


def test_render_without_span() -> None:
    d = Diagnostic("LZC401", "unknown target 'x'", help="see list")
    assert render(d) == "lazycheck: error[LZC401]: unknown target 'x'\nhelp: see list"


def test_render_with_unreadable_file_omits_source_line() -> None:
    d = Diagnostic("LZC003", "oops", Span("/nonexistent/dir/x.lazy", 1, 1))
    assert render(d) == "/nonexistent/dir/x.lazy:1:1: error[LZC003]: oops"


def test_render_line_out_of_range_omits_source_line() -> None:
    d = Diagnostic("LZC003", "oops", Span("m.lazy", 5, 1))
    assert render(d, {"m.lazy": "one line\n"}) == "m.lazy:5:1: error[LZC003]: oops"


def test_gutter_is_aligned_for_wide_line_numbers() -> None:
    text = "\n" * 12344 + "xyz\n"
    d = Diagnostic("LZC003", "oops", Span("m.lazy", 12345, 2, 1))
    lines = render(d, {"m.lazy": text}).splitlines()
    assert lines[1] == "12345 | xyz"
    assert lines[2] == "      |  ^"
    assert lines[1].index("|") == lines[2].index("|")


def test_render_never_reads_a_file_the_sources_lack(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A span naming a file outside what was read (say /etc/passwd) shows no line."""
    p = tmp_path / "secret.txt"
    p.write_text("SECRET\n", encoding="utf-8")
    out = render(Diagnostic("LZC003", "oops", Span(str(p), 1, 2, 2)))
    assert "SECRET" not in out
    assert len(out.splitlines()) == 1


def test_long_line_is_cut_around_the_caret() -> None:
    line = "a" * 50_000 + "@" + "b" * 50_000
    d = Diagnostic("LZC001", "oops", Span("m.lazy", 1, 50_001, 1))
    shown, caret = render(d, {"m.lazy": line}).splitlines()[1:3]
    assert len(shown) < 130 and "@" in shown
    assert shown.index("@") == caret.index("^")


def test_render_all_shows_a_bounded_number() -> None:
    ds = [Diagnostic("LZC001", "x", Span("m.lazy", 1, i + 1)) for i in range(10_000)]
    out = render_all(ds, {"m.lazy": "@" * 10_000})
    assert out.endswith("10000 errors found") and len(out) < 20_000


def test_render_all_sorts_by_position_and_counts() -> None:
    a = Diagnostic("LZC003", "a", Span("b.lazy", 1, 1))
    b = Diagnostic("LZC003", "b", Span("a.lazy", 9, 1))
    c = Diagnostic("LZC003", "c", Span("a.lazy", 2, 5))
    n = Diagnostic("LZC401", "n")
    out = render_all([a, b, c, n], {})
    heads = [line for line in out.splitlines() if "error[" in line]
    assert [h.split(": ", 2)[-1] for h in heads] == ["n", "c", "b", "a"]
    assert out.endswith("\n\n4 errors found")
    assert render_all([n]).endswith("\n\n1 error found")


def test_caret_is_under_the_token_after_a_tab() -> None:
    """Pins caret alignment on tab-indented lines (all shipped models use tabs)."""
    d = Diagnostic("LZC003", "oops", Span("m.lazy", 1, 2, 5))
    lines = render(d, {"m.lazy": "\tbreak;\n"}).splitlines()
    src, caret = lines[1], lines[2]
    assert src[caret.index("^"):].startswith("break")
