"""The C the scanner keeps: a small immutable statement tree, free of tree-sitter.

:mod:`lazycheck.scan.parser` builds it; the CFG builder, the checks and the
extractor read it.  Only what control flow, calls and the path-deciding
variables need is kept; every expression keeps its source text.
"""

from __future__ import annotations

from dataclasses import dataclass

Sign = frozenset[str]  # subset of {"-", "0", "+"}: what an integer local may be
ANY: Sign = frozenset({"-", "0", "+"})


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A 1-based line and column in the scanned file."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Call:
    """One call in evaluation order: name, argument texts, where, and the local it sets."""

    name: str
    args: tuple[str, ...]
    pos: Pos
    result: str | None = None


@dataclass(frozen=True, slots=True)
class Assign:
    """``var = value`` where value is abstracted to the signs it may have."""

    var: str
    value: Sign


Effect = Call | Assign


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression: its calls and assignments in order, and its text."""

    effects: tuple[Effect, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Atom:
    """``var OP value`` (``x`` alone is ``x != 0``)."""

    var: str
    op: str
    value: int


@dataclass(frozen=True, slots=True)
class Not:
    """Negation of a condition."""

    arg: Cond


@dataclass(frozen=True, slots=True)
class And:
    """Both conditions."""

    left: Cond
    right: Cond


@dataclass(frozen=True, slots=True)
class Or:
    """Either condition."""

    left: Cond
    right: Cond


@dataclass(frozen=True, slots=True)
class Const:
    """A condition whose value is known (``1``, ``0``, ``true``)."""

    value: bool


@dataclass(frozen=True, slots=True)
class Unknown:
    """A condition the scanner does not follow: both outcomes are possible."""

    text: str


Cond = Atom | Not | And | Or | Const | Unknown


@dataclass(frozen=True, slots=True)
class SExpr:
    """An expression statement or a declaration with initialisers."""

    expr: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class SIf:
    """``if (cond) then else other``; ``pre`` holds the calls inside the condition."""

    cond: Cond
    pre: Expr
    then: Stmt
    other: Stmt | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class SLoop:
    """``while``/``for``/``do``/a ``for_each_*`` macro: kind says which."""

    kind: str  # "while" | "for" | "do" | "macro"
    init: Expr | None
    cond: Cond
    pre: Expr
    update: Expr | None
    body: Stmt
    pos: Pos


@dataclass(frozen=True, slots=True)
class SSwitch:
    """``switch (x) body``; the body holds :class:`SCase` markers."""

    pre: Expr
    body: Stmt
    pos: Pos


@dataclass(frozen=True, slots=True)
class SCase:
    """A ``case``/``default`` label inside a switch body."""

    default: bool
    pos: Pos


@dataclass(frozen=True, slots=True)
class SReturn:
    """``return expr;`` (or the closing brace of a void function)."""

    expr: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class SJump:
    """``goto label``, ``break`` or ``continue``."""

    kind: str  # "goto" | "break" | "continue"
    label: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class SLabel:
    """``label:`` (the labelled statement follows in the same block)."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class SGuard:
    """``guard(type)(args)``: held until the enclosing scope ends on any path."""

    call: Call
    pos: Pos


@dataclass(frozen=True, slots=True)
class SScoped:
    """``scoped_guard(type, args) body``: held for the body only."""

    call: Call
    body: Stmt
    pos: Pos


@dataclass(frozen=True, slots=True)
class SBlock:
    """``{ ... }``."""

    items: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class SUnparsed:
    """A region tree-sitter could not parse: an opaque statement, counted."""

    text: str
    pos: Pos


Stmt = SExpr | SIf | SLoop | SSwitch | SCase | SReturn | SJump | SLabel | SGuard | SScoped \
    | SBlock | SUnparsed


@dataclass(frozen=True, slots=True)
class Function:
    """A function definition: name, parameters, body and its line range."""

    name: str
    params: tuple[str, ...]
    body: SBlock
    pos: Pos
    end: Pos


@dataclass(frozen=True, slots=True)
class Region:
    """An unparsable region (ERROR) or a token tree-sitter had to invent (MISSING)."""

    kind: str  # "error" | "missing"
    pos: Pos
    end: Pos


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed C file."""

    path: str
    lines: int
    functions: tuple[Function, ...]
    regions: tuple[Region, ...]
