"""Tokenizer for ``.lazy`` model files (a small kernel-C dialect)."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from lazycheck.diagnostics import Diagnostic, Span


class Tok(enum.Enum):
    IDENT = "identifier"
    INT = "integer"
    STRING = "string"
    PUNCT = "punctuation"
    INCLUDE = "#include"
    EOF = "end of file"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Tok
    text: str
    span: Span

    def is_(self, text: str) -> bool:
        return self.kind in (Tok.PUNCT, Tok.IDENT) and self.text == text


# Longest first, so that "->" wins over "-" and "..": over ".".
_PUNCT = ("...", "->", "++", "--", "+=", "-=", "==", "!=", "<=", ">=", "&&", "||", "..",
          "{", "}", "(", ")", "[", "]", ";", ",", "=", "<", ">", "+", "-", "!", "&",
          "?", ":", ".", "*")

MAX_INT = 1 << 16
MAX_NAME = 128  # characters in a name
MAX_DIGITS = 24  # characters in an integer literal (checked before converting it)
_DIGITS = "0123456789"
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
    toks: list[Token] = []
    diags: list[Diagnostic] = []
    i, line, col = 0, 1, 1
    n = len(text)

    def span(length: int) -> Span:
        return Span(file, line, col, max(1, length))

    while i < n:
        c = text[i]
        if c == "\n":
            i, line, col = i + 1, line + 1, 1
            continue
        if c in " \t\r\f":
            i, col = i + 1, col + 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            col += j - i
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                diags.append(Diagnostic("LZC002", "unterminated comment", span(2),
                                        help="close the comment with */"))
                break
            chunk = text[i:j + 2]
            nl = chunk.count("\n")
            if nl:
                line += nl
                col = len(chunk) - chunk.rfind("\n")
            else:
                col += len(chunk)
            i = j + 2
            continue
        if c == "#":
            if text.startswith("#include", i):
                toks.append(Token(Tok.INCLUDE, "#include", span(8)))
                i, col = i + 8, col + 8
                m = re.compile(r"[ \t]*<([^>\n]+)>").match(text, i)
                if m:  # #include <arch/x.lazy>: a shipped zoo model, by its stable name
                    toks.append(Token(Tok.STRING, f"<{m.group(1)}>", Span(
                        file, line, col + m.start(1) - 1 - i, len(m.group(1)) + 2)))
                    i, col = m.end(), col + m.end() - i
                continue
            diags.append(Diagnostic("LZC001", "unexpected '#': the only directive is #include",
                                    span(1), help="models have no preprocessor; use "
                                    "#include \"file.lazy\" or remove the line"))
            j = text.find("\n", i)
            j = n if j < 0 else j
            col += j - i
            i = j
            continue
        if c == '"':
            j = i + 1
            chars: list[str] = []
            while j < n and text[j] not in '"\n':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n or text[j] != '"':
                diags.append(Diagnostic("LZC002", "unterminated string", span(j - i),
                                        help='close the string with "'))
                i, col = j, col + (j - i)
                continue
            toks.append(Token(Tok.STRING, "".join(chars), span(j + 1 - i)))
            col += j + 1 - i
            i = j + 1
            continue
        if c in _DIGITS:
            j, value, bad = _number(text, i, span)
            if bad is not None:
                diags.append(bad)
            toks.append(Token(Tok.INT, str(value), span(j - i)))
            col += j - i
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j - i > MAX_NAME:
                diags.append(_too_long("name", text[i:j], span(j - i)))
            toks.append(Token(Tok.IDENT, text[i:j][:MAX_NAME], span(j - i)))
            col += j - i
            i = j
            continue
        for p in _PUNCT:
            if text.startswith(p, i):
                toks.append(Token(Tok.PUNCT, p, span(len(p))))
                i, col = i + len(p), col + len(p)
                break
        else:
            diags.append(Diagnostic("LZC001", f"unexpected character {c!r}", span(1),
                                    help="remove it; models use a small subset of C"))
            i, col = i + 1, col + 1
    toks.append(Token(Tok.EOF, "", Span(file, line, col)))
    return toks, diags
