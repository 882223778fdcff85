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
    """An integer literal."""

    value: int
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier as written: a local, a declared variable, an enum member or a flag."""

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
    """``base[index]``: a percpu/pertask/PTE-indexed or fixed-size array element."""

    base: AExpr
    index: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """A prefix operator: ``!``, ``-`` or ``&`` (address-of, for kernel calls)."""

    op: str  # "!", "-", "&"
    arg: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """An infix operator on two expressions."""

    op: str
    left: AExpr
    right: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Cond:
    """The conditional expression ``cond ? then : other``."""

    cond: AExpr
    then: AExpr
    other: AExpr
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class CallExpr:
    """A call in an expression: a kernel built-in or a model function."""

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
    """A local variable declaration inside a function body."""

    type: TypeRef
    name: str
    init: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AssignStmt:
    """An assignment, compound assignment or ``++``/``--`` statement."""

    target: AExpr
    op: str  # "=", "+=", "-=", "++", "--"
    value: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ExprStmt:
    """An expression used as a statement (usually a call)."""

    expr: AExpr
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class IfStmt:
    """``if (cond) then else other``."""

    cond: AExpr
    then: tuple[AStmt, ...]
    other: tuple[AStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ReturnStmt:
    """``return`` with an optional value."""

    value: AExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class AtomicStmt:
    """An ``atomic { ... }`` block: its body runs as one step, with no interleaving."""

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
    """``break`` or ``continue`` inside an unrolled loop."""

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
    bound_name: str = ""  # __bound(NAME): a #define'd constant, resolved by the checker


AStmt = (LocalDecl | AssignStmt | ExprStmt | IfStmt | ReturnStmt | AtomicStmt | ForStmt
         | JumpStmt | GotoStmt | LabelStmt | WhileStmt)

# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Header:
    """The ``model KIND "title" source "...";`` header: the file's kind, title and source."""

    kind: str  # arch | api | scenario | common
    title: str
    source: str
    span: Span = field(compare=False)
    based_on: str = ""  # a model this one patches: it holds only what it replaces


@dataclass(frozen=True, slots=True)
class Include:
    """An ``#include`` of another model file (a common or api part)."""

    path: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class KernelDecl:
    """``kernel "mm/memory.c:zap_pte_range";``: a kernel function this scenario models."""

    site: str  # "FILE:FUNCTION" as written (checked by the checker, LZC017)
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class ConstDecl:
    """``#define NAME 2``: a named integer constant (a loop bound the user can raise)."""

    name: str
    value: int
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class EnumDecl:
    """An ``enum`` declaration, such as the kernel's ``enum xen_lazy_mode``."""

    name: str
    members: tuple[tuple[str, Span], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class TypedefDecl:
    """A ``typedef`` naming a model type."""

    type: TypeRef
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class VarDecl:
    """A percpu, pertask or global variable declaration, with dimensions and initialiser."""

    storage: str  # percpu | pertask | global
    type: TypeRef
    name: str  # may be dotted: "lazy_mmu_state.enable_count"
    dims: tuple[TypeRef | AExpr, ...]
    init: AExpr | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class FlagDecl:
    """A ``thread_flag`` declaration: thread flags every task carries (e.g. TIF_LAZY_MMU)."""

    names: tuple[tuple[str, Span], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class LockDecl:
    """A ``spinlock_t`` declaration: a lock the model's functions may take."""

    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class PteDecl:
    """A kernel or user ``pte`` the model's page-table writes go to."""

    mm: str  # kernel | user
    name: str
    init: AExpr | None
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a model function."""

    type: TypeRef
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class FuncDecl:
    """A model function with its qualifiers (task, irq, pure, __weak, ...) and body."""

    qualifiers: tuple[str, ...]  # __weak, task, irq, pure, static, inline
    ret: TypeRef
    name: str
    params: tuple[Param, ...]
    body: tuple[AStmt, ...]
    span: Span = field(compare=False)
    end: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class ApiDecl:
    """The ``lazy_mmu_api`` block: which function plays each role (enter, leave, ...)."""

    roles: tuple[tuple[str, str, Span], ...]  # (role, function, span)
    span: Span = field(compare=False)


ADecl = (Include | EnumDecl | TypedefDecl | VarDecl | FlagDecl | LockDecl | PteDecl
         | FuncDecl | ApiDecl | KernelDecl | ConstDecl)


def decl_names(d: ADecl) -> tuple[str, ...]:
    """The names a top-level declaration defines (what a based_on model replaces)."""
    match d:
        case Include() | KernelDecl():
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
    """One parsed ``.lazy`` file: its header and top-level declarations."""

    path: str
    header: Header | None
    decls: tuple[ADecl, ...]
