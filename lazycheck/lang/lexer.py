"""Tokenizer for ``.lazy`` model files (a small kernel-C dialect)."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from lazycheck.diagnostics import Diagnostic, Span


class Tok(enum.Enum):
    """The kinds of token a ``.lazy`` file is made of."""

    IDENT = "identifier"
    INT = "integer"
    STRING = "string"
    PUNCT = "punctuation"
    INCLUDE = "#include"
    DEFINE = "#define"
    EOF = "end of file"


@dataclass(frozen=True, slots=True)
class Token:
    """One token with its source span, for the parser and diagnostics."""

    kind: Tok
    text: str
    span: Span

    def is_(self, text: str) -> bool:
        """Whether this is the punctuation or identifier ``text``."""
        return self.kind in (Tok.PUNCT, Tok.IDENT) and self.text == text


# Longest first, so that "->" wins over "-" and "..": over ".".
_PUNCT = ("...", "->", "++", "--", "+=", "-=", "==", "!=", "<=", ">=", "&&", "||", "..",
          "{", "}", "(", ")", "[", "]", ";", ",", "=", "<", ">", "+", "-", "!", "&",
          "?", ":", ".", "*")

MAX_INT = 1 << 16
MAX_NAME = 128  # characters in a name
MAX_DIGITS = 24  # characters in an integer literal (checked before converting it)
_DIGITS = "0123456789"
_ZOO_INCLUDE = re.compile(r"[ \t]*<([^>\n]+)>")  # #include <arch/x.lazy>: the shipped zoo
_HEX = "0123456789abcdefABCDEF"


def _too_long(what: str, text: str, at: Span) -> Diagnostic:
    """LZC006 for an over-long name or literal, quoting only its start."""
    return Diagnostic("LZC006", f"{what} '{text[:24]}...' has {len(text):,} characters",
                      at, help=f"keep {what}s to {MAX_NAME if what == 'name' else MAX_DIGITS}"
                               " characters")


def _number(text: str, i: int, span: Callable[[int], Span]) -> tuple[int, int,
                                                                     Diagnostic | None]:
    """An integer literal at ``i`` (ASCII digits only): (end, value, diagnostic or None)."""
    n = len(text)
    hexa = text.startswith(("0x", "0X"), i)
    j = i + 2 if hexa else i
    while j < n and text[j] in (_HEX if hexa else _DIGITS):
        j += 1
    digits = text[i + 2:j] if hexa else text[i:j]
    while j < n and text[j] in "uUlL":
        j += 1
    if len(digits) > MAX_DIGITS:
        return j, 0, _too_long("integer literal", text[i:j], span(j - i))
    value = int(digits or "0", 16 if hexa else 10)
    if value > MAX_INT:
        return j, value, Diagnostic("LZC004", f"integer {text[i:j]} is too large",
                                    span(j - i), help=f"model values are small: keep "
                                    f"literals at or below {MAX_INT}")
    return j, value, None


def tokenize(text: str, file: str) -> tuple[list[Token], list[Diagnostic]]:
    """Split ``text`` into tokens; problems become diagnostics, never exceptions."""
    sc = _Scanner(text, file)
    while sc.i < sc.n:
        sc.step()
    sc.toks.append(Token(Tok.EOF, "", Span(file, sc.line, sc.col)))
    return sc.toks, sc.diags


class _Scanner:
    """Position and output of one tokenize() run; one method per kind of token."""

    def __init__(self, text: str, file: str) -> None:
        self.text, self.file, self.n = text, file, len(text)
        self.i, self.line, self.col = 0, 1, 1
        self.toks: list[Token] = []
        self.diags: list[Diagnostic] = []

    def span(self, length: int) -> Span:
        """The span of ``length`` characters at the current position."""
        return Span(self.file, self.line, self.col, max(1, length))

    def emit(self, kind: Tok, value: str, length: int) -> None:
        """Append a token of ``length`` source characters and move past it."""
        self.toks.append(Token(kind, value, self.span(length)))
        self.i, self.col = self.i + length, self.col + length

    def skip_line(self) -> None:
        """Move to the end of the current line (a ``//`` comment)."""
        j = self.text.find("\n", self.i)
        j = self.n if j < 0 else j
        self.col += j - self.i
        self.i = j

    def step(self) -> None:
        """Consume whatever starts at the current position: space, comment or token."""
        text, i = self.text, self.i
        c = text[i]
        if c == "\n":
            self.i, self.line, self.col = i + 1, self.line + 1, 1
        elif c in " \t\r\f":
            self.i, self.col = i + 1, self.col + 1
        elif text.startswith("//", i):
            self.skip_line()
        elif text.startswith("/*", i):
            self.block_comment()
        elif c == "#":
            self.directive()
        elif c == '"':
            self.string()
        elif c in _DIGITS:
            self.number()
        elif c.isalpha() or c == "_":
            j = i
            while j < self.n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j - i > MAX_NAME:
                self.diags.append(_too_long("name", text[i:j], self.span(j - i)))
            self.emit(Tok.IDENT, text[i:j][:MAX_NAME], j - i)
        else:
            self.punct(c)

    def block_comment(self) -> None:
        """Skip a ``/* ... */`` comment; LZC002 if it is never closed."""
        j = self.text.find("*/", self.i + 2)
        if j < 0:
            self.diags.append(Diagnostic("LZC002", "unterminated comment", self.span(2),
                                         help="close the comment with */"))
            self.i = self.n
            return
        chunk = self.text[self.i:j + 2]
        nl = chunk.count("\n")
        if nl:
            self.line += nl
            self.col = len(chunk) - chunk.rfind("\n")
        else:
            self.col += len(chunk)
        self.i = j + 2

    def directive(self) -> None:
        """Tokenize ``#include`` and ``#define``; LZC001 for any other directive."""
        if self.text.startswith("#include", self.i):
            self.emit(Tok.INCLUDE, "#include", 8)
            m = _ZOO_INCLUDE.match(self.text, self.i)
            if m:  # #include <arch/x.lazy>: a shipped zoo model, by its stable name
                start = self.col + m.start(1) - 1 - self.i
                self.toks.append(Token(Tok.STRING, f"<{m.group(1)}>", Span(
                    self.file, self.line, start, len(m.group(1)) + 2)))
                self.col += m.end() - self.i
                self.i = m.end()
            return
        if self.text.startswith("#define", self.i):  # #define NAME N: a named constant
            self.emit(Tok.DEFINE, "#define", 7)
            return
        self.diags.append(Diagnostic("LZC001", "unexpected '#': the only directives are "
                                     "#include and #define NAME N", self.span(1),
                                     help="models have no preprocessor; use #include "
                                     "\"file.lazy\", #define NAME 2, or remove the line"))
        self.skip_line()

    def string(self) -> None:
        """Tokenize a string literal (the property id of ``__check``, a label)."""
        text, n, i = self.text, self.n, self.i
        j = i + 1
        chars: list[str] = []
        while j < n and text[j] not in '"\n':
            if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                j += 1
            chars.append(text[j])
            j += 1
        if j >= n or text[j] != '"':
            self.diags.append(Diagnostic("LZC002", "unterminated string", self.span(j - i),
                                         help='close the string with "'))
            self.i, self.col = j, self.col + (j - i)
            return
        self.emit(Tok.STRING, "".join(chars), j + 1 - i)

    def number(self) -> None:
        """Tokenize an integer literal, reporting one that is too long or too large."""
        j, value, bad = _number(self.text, self.i, self.span)
        if bad is not None:
            self.diags.append(bad)
        self.emit(Tok.INT, str(value), j - self.i)

    def punct(self, c: str) -> None:
        """Tokenize the longest punctuation at the current position."""
        for p in _PUNCT:
            if self.text.startswith(p, self.i):
                self.emit(Tok.PUNCT, p, len(p))
                return
        self.diags.append(Diagnostic("LZC001", f"unexpected character {c!r}", self.span(1),
                                     help="remove it; models use a small subset of C"))
        self.i, self.col = self.i + 1, self.col + 1
