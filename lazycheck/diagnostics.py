"""Source spans and diagnostics: ``file:line:col: error[LZCnnn]: message``.

Every user mistake becomes a :class:`Diagnostic` with a stable code from
:data:`CODES`.  They are collected, rendered with the source line and a
caret, and the CLI exits 2.  Nothing here prints: :func:`render` returns
text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A position in a model file; ``line`` and ``col`` count from 1."""

    file: str
    line: int
    col: int
    length: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def short(self) -> str:
        """``basename:line``: what traces show, stable across checkouts."""
        return f"{Path(self.file).name}:{self.line}"


# The catalogue of diagnostic codes.  A test checks that every code here is
# produced by some file in tests/bad_input/.
CODES: dict[str, str] = {
    # lexical and syntax errors
    "LZC001": "unexpected character",
    "LZC002": "unterminated comment or string",
    "LZC003": "syntax error",
    "LZC004": "integer literal out of range",
    "LZC005": "nesting too deep",
    "LZC006": "name or literal too long",
    # files, includes and headers
    "LZC010": "cannot read model file",
    "LZC011": "missing or malformed model header",
    "LZC012": "include cycle",
    "LZC013": "path outside the root, or not a regular file",
    "LZC014": "file too large",
    "LZC015": "based_on model replaces a name its base does not have",
    "LZC016": "patch does not apply",
    "LZC017": "malformed kernel \"FILE:FUNCTION\" declaration",
    # names
    "LZC101": "unknown name",
    "LZC102": "name defined twice",
    "LZC103": "unknown type",
    "LZC104": "unknown function",
    # types
    "LZC201": "type mismatch",
    "LZC202": "wrong number of arguments",
    "LZC203": "not assignable",
    "LZC204": "invalid range type",
    "LZC205": "value outside the type's range",
    "LZC206": "wrong kind of variable for this operation",
    "LZC207": "missing return value",
    # structure and kernel-world rules
    "LZC301": "recursion is not supported",
    "LZC302": "call not allowed here",
    "LZC303": "interrupt-only or task-only construct used in the wrong context",
    "LZC304": "non-constant loop bound",
    "LZC305": "malformed lazy_mmu_api declaration",
    "LZC306": "pure function has side effects",
    "LZC307": "unknown task or interrupt program",
    "LZC308": "goto without a later label in the same function",
    "LZC309": "weak arch model: it defers work but never says whose mode is on",
    # targets, configuration and limits
    "LZC401": "unknown target",
    "LZC402": "malformed target file",
    "LZC403": "bad configuration value",
    "LZC404": "bound too large for this machine",
    "LZC405": "unknown property",
    "LZC406": "bad command-line limit",
    "LZC407": "cannot write an output file",
    "LZC408": "bad revision or target selection",
    "LZC409": "malformed trace",
    "LZC410": "trace does not match the model",
    "LZC411": "optional dependency not installed",
}

EXCERPT_CHARS = 100  # of a source line shown under a diagnostic
MAX_RENDERED = 20  # diagnostics rendered in full; the rest are counted



@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A coded message about a model file at file:line:col, with help and notes."""

    code: str
    message: str
    span: Span | None = None
    help: str | None = None
    notes: tuple[tuple[str, Span | None], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code}")


def _source_line(span: Span, sources: dict[str, str]) -> str | None:
    """Line ``span.line`` of a source already read (never read from disk here)."""
    text = sources.get(span.file)
    if text is None or span.line < 1:
        return None
    start = 0
    for _ in range(span.line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    if start >= len(text):  # past the last line, as str.splitlines() counts them
        return None
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end].rstrip("\r")


def excerpt(text: str, at: int = 0, width: int = EXCERPT_CHARS) -> str:
    """At most ``width`` characters of ``text`` around index ``at``, cuts marked with '...'."""
    if len(text) <= width:
        return text
    lo = max(0, min(at - width // 2, len(text) - width))
    cut = text[lo:lo + width]
    return ("..." if lo else "") + cut + ("..." if lo + width < len(text) else "")


def _caret_lines(span: Span, line: str) -> list[str]:
    """The line and its caret; a long line is cut to a window around the caret."""
    gutter = f"{span.line:>5} | "
    pad = " " * (len(gutter) - 2) + "| "
    col = min(max(span.col, 1), len(line) + 1)
    if len(line) <= EXCERPT_CHARS:
        # expand tabs in the line and in the prefix before the caret alike
        prefix = line[:col - 1].replace("\t", "    ")
        return [gutter + line.replace("\t", "    "),
                pad + " " * len(prefix) + "^" * max(1, min(span.length, EXCERPT_CHARS))]
    lo = max(0, min(col - 1 - EXCERPT_CHARS // 2, len(line) - EXCERPT_CHARS))
    shown = excerpt(line, col - 1)
    offset = col - 1 - lo + (3 if lo else 0)
    carets = "^" * max(1, min(span.length, EXCERPT_CHARS - (col - 1 - lo)))
    return [gutter + shown, pad + " " * offset + carets]


def render(diag: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """Render one diagnostic the way compilers do, with a bounded excerpt and a caret."""
    src = sources or {}
    where = f"{diag.span}: " if diag.span else "lazycheck: "
    out = [f"{where}error[{diag.code}]: {diag.message}"]
    if diag.span is not None:
        line = _source_line(diag.span, src)
        if line is not None:
            out.extend(_caret_lines(diag.span, line))
    for note, nspan in diag.notes:
        out.append(f"note: {nspan}: {note}" if nspan else f"note: {note}")
    if diag.help:
        out.append(f"help: {diag.help}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic] | tuple[Diagnostic, ...],
               sources: dict[str, str] | None = None) -> str:
    """Render diagnostics in source order; only the first MAX_RENDERED in full."""
    ordered = sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col)
                     if d.span else ("", 0, 0))
    body = "\n\n".join(render(d, sources) for d in ordered[:MAX_RENDERED])
    n = len(ordered)
    more = (f"\n\n... and {n - MAX_RENDERED} more (only the first {MAX_RENDERED} are shown)"
            if n > MAX_RENDERED else "")
    return f"{body}{more}\n\n{n} error{'s' if n != 1 else ''} found"
