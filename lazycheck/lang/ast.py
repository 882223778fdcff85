"""Syntax tree of a ``.lazy`` file, as parsed; names are not resolved yet."""

from __future__ import annotations

from dataclasses import dataclass, field

from lazycheck.diagnostics import Span

# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeRef:
    """``bool``, ``u8``, ``int<0..3>``, ``enum xen_lazy_mode``, ``pte_t``, a typedef."""

    name: str
    span: Span = field(compare=False)
    lo: int | None = None
    hi: int | None = None

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num:
    value: int
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    ident: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    """``base->field`` or ``base.field``; ``arrow`` tells which."""

    base: AExpr
    member: str
    arrow: bool
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Index:
    base: AExpr
    index: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!", "-", "&"
    arg: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class BinaryOp:
    op: str
    left: AExpr
    right: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Cond:
    cond: AExpr
    then: AExpr
    other: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class CallExpr:
    func: str
    args: tuple[AExpr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal: only the property id of __check("id", cond)."""

    value: str
    span: Span = field(compare=False)


AExpr = Num | Name | Member | Index | Unary | BinaryOp | Cond | CallExpr | Str

# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class LocalDecl:
    type: TypeRef
    name: str
    init: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AssignStmt:
    target: AExpr
    op: str  # "=", "+=", "-=", "++", "--"
    value: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ExprStmt:
    expr: AExpr
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class IfStmt:
    cond: AExpr
    then: tuple[AStmt, ...]
    other: tuple[AStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ReturnStmt:
    value: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AtomicStmt:
    body: tuple[AStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ForStmt:
    """``for (i = lo; i < hi; i++) body`` with constant bounds: unrolled."""

    var: str
    lo: AExpr
    hi: AExpr
    body: tuple[AStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class JumpStmt:
    kind: str  # "break" | "continue"
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class GotoStmt:
    """``goto label;``: a forward jump to a label of the same function."""

    label: str
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class LabelStmt:
    """``label:``: the target of a forward ``goto`` (the kernel's error exits)."""

    label: str
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class WhileStmt:
    """``while (cond) __bound(N) body``: unrolled at most ``bound`` times."""

    cond: AExpr
    bound: int
    body: tuple[AStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


AStmt = (LocalDecl | AssignStmt | ExprStmt | IfStmt | ReturnStmt | AtomicStmt | ForStmt
         | JumpStmt | GotoStmt | LabelStmt | WhileStmt)

# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Header:
    kind: str  # arch | api | scenario | common
    title: str
    source: str
    span: Span = field(compare=False)
    based_on: str = ""  # a model this one patches: it holds only what it replaces


@dataclass(frozen=True, slots=True)
class Include:
    path: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class EnumDecl:
    name: str
    members: tuple[tuple[str, Span], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class TypedefDecl:
    type: TypeRef
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class VarDecl:
    storage: str  # percpu | pertask | global
    type: TypeRef
    name: str  # may be dotted: "lazy_mmu_state.enable_count"
    dims: tuple[TypeRef | AExpr, ...]
    init: AExpr | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class FlagDecl:
    names: tuple[tuple[str, Span], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class LockDecl:
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class PteDecl:
    mm: str  # kernel | user
    name: str
    init: AExpr | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Param:
    type: TypeRef
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class FuncDecl:
    qualifiers: tuple[str, ...]  # __weak, task, irq, pure, static, inline
    ret: TypeRef
    name: str
    params: tuple[Param, ...]
    body: tuple[AStmt, ...]
    span: Span = field(compare=False)
    end: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class ApiDecl:
    roles: tuple[tuple[str, str, Span], ...]  # (role, function, span)
    span: Span = field(compare=False)


ADecl = (Include | EnumDecl | TypedefDecl | VarDecl | FlagDecl | LockDecl | PteDecl
         | FuncDecl | ApiDecl)


def decl_names(d: ADecl) -> tuple[str, ...]:
    """The names a top-level declaration defines (what a based_on model replaces)."""
    match d:
        case Include():
            return ()
        case EnumDecl(name=name):
            return ("enum " + name,)
        case FlagDecl(names=names):
            return tuple(n for n, _ in names)
        case ApiDecl():
            return ("lazy_mmu_api",)
        case _:
            return (d.name,)


@dataclass(frozen=True, slots=True)
class ModelFile:
    path: str
    header: Header | None
    decls: tuple[ADecl, ...]
