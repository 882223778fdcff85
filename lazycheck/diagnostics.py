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
    # files, includes and headers
    "LZC010": "cannot read model file",
    "LZC011": "missing or malformed model header",
    "LZC012": "include cycle",
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
    # targets, configuration and limits
    "LZC401": "unknown target",
    "LZC402": "malformed target file",
    "LZC403": "bad configuration value",
    "LZC404": "bound too large for this machine",
    "LZC405": "unknown property",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    help: str | None = None
    notes: tuple[tuple[str, Span | None], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code}")


def _source_line(span: Span, sources: dict[str, str]) -> str | None:
    text = sources.get(span.file)
    if text is None:
        try:
            text = Path(span.file).read_text(encoding="utf-8")
        except OSError:
            return None
    lines = text.splitlines()
    if 1 <= span.line <= len(lines):
        return lines[span.line - 1]
    return None


def render(diag: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """Render one diagnostic the way compilers do, with a caret."""
    src = sources or {}
    where = f"{diag.span}: " if diag.span else "lazycheck: "
    out = [f"{where}error[{diag.code}]: {diag.message}"]
    if diag.span is not None:
        line = _source_line(diag.span, src)
        if line is not None:
            col = max(diag.span.col, 1)
            # expand tabs in the line and in the prefix before the caret alike
            prefix = line[:col - 1].replace("\t", "    ")
            line = line.replace("\t", "    ")
            gutter = f"{diag.span.line:>5} | "
            out.append(gutter + line)
            out.append(" " * (len(gutter) - 2) + "| " + " " * len(prefix)
                       + "^" * max(1, diag.span.length))
    for note, nspan in diag.notes:
        out.append(f"note: {nspan}: {note}" if nspan else f"note: {note}")
    if diag.help:
        out.append(f"help: {diag.help}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic] | tuple[Diagnostic, ...],
               sources: dict[str, str] | None = None) -> str:
    ordered = sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col)
                     if d.span else ("", 0, 0))
    body = "\n\n".join(render(d, sources) for d in ordered)
    n = len(ordered)
    return f"{body}\n\n{n} error{'s' if n != 1 else ''} found"
