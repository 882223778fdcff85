"""Typed, immutable IR of a checked model: what :mod:`lazycheck.lang.check` produces.

It is independent of the kernel configuration (how many CPUs and tasks);
:mod:`lazycheck.kernel.world` instantiates it into a
:class:`~lazycheck.system.System` for one configuration.  Kernel built-ins
are already desugared: ``this_cpu_inc(x)`` is an assignment to ``x`` on
``THIS_CPU``, ``test_and_set_thread_flag(F)`` an atomic read-then-set, and
calls with side effects inside expressions are hoisted into temporaries.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from lazycheck.diagnostics import Span

PTEVAL_MAX = 7  # PTE values are 0 (pte_none) .. PTEVAL_MAX
PREEMPT_MAX = 7  # deepest preempt_count a model may reach


class Kind(enum.Enum):
    """The kind of a model type: what values it holds and how the world reads it."""

    VOID = "void"
    BOOL = "bool"
    INT = "int"
    ENUM = "enum"
    PTE = "pte_t"  # which PTE (a declared `pte`)
    PTEVAL = "pteval_t"  # the value stored in a PTE; 0 is pte_none
    CPU = "cpu_t"
    TASK = "task_t"


@dataclass(frozen=True, slots=True)
class Type:
    """A checked model type: its kind, value range and whether arithmetic wraps."""

    kind: Kind
    lo: int = 0
    hi: int = 1
    wrap: bool = False  # u8, s32: arithmetic wraps like the kernel's; int<a..b>: range-checked
    enum: str = ""
    members: tuple[str, ...] = ()
    spelling: str = field(default="", compare=False)  # "s32", "int": how a wrapping type is named

    def __str__(self) -> str:
        if self.kind is Kind.INT:
            if self.wrap:
                return self.spelling or "u8"
            return f"int<{self.lo}..{self.hi}>"
        if self.kind is Kind.ENUM:
            return f"enum {self.enum}"
        return str(self.kind.value)


VOID = Type(Kind.VOID)
BOOL = Type(Kind.BOOL, 0, 1)
PTEVAL = Type(Kind.PTEVAL, 0, PTEVAL_MAX)
CPU = Type(Kind.CPU)
TASK = Type(Kind.TASK)
PTE = Type(Kind.PTE)
U8 = Type(Kind.INT, 0, 255, wrap=True)
# Fixed-width kernel integers. The kernel builds with -fno-strict-overflow, so
# signed arithmetic wraps in two's complement like the unsigned kind.
FIXED_WIDTH: dict[str, Type] = {
    "u8": U8,
    "u16": Type(Kind.INT, 0, (1 << 16) - 1, wrap=True, spelling="u16"),
    "u32": Type(Kind.INT, 0, (1 << 32) - 1, wrap=True, spelling="u32"),
    "s8": Type(Kind.INT, -(1 << 7), (1 << 7) - 1, wrap=True, spelling="s8"),
    "s16": Type(Kind.INT, -(1 << 15), (1 << 15) - 1, wrap=True, spelling="s16"),
    "s32": Type(Kind.INT, -(1 << 31), (1 << 31) - 1, wrap=True, spelling="s32"),
    "int": Type(Kind.INT, -(1 << 31), (1 << 31) - 1, wrap=True, spelling="int"),
}


class Dim(enum.Enum):
    """What an array dimension of a declared variable is indexed by."""

    PTE = "pte_t"
    CPU = "cpu_t"
    TASK = "task_t"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class DimSpec:
    """One array dimension of a declared variable and its size when fixed."""

    dim: Dim
    size: int = 0  # for FIXED


@dataclass(frozen=True, slots=True)
class VarSym:
    """A declared percpu, pertask or global variable after checking."""

    name: str
    storage: str  # "global" | "percpu" | "pertask"
    type: Type
    dims: tuple[DimSpec, ...]
    init: int
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class PteSym:
    """A declared PTE: its index, whether it maps kernel memory, and its initial value."""

    name: str
    index: int
    kernel: bool
    init: int
    span: Span = field(compare=False)


class World(enum.Enum):
    """Reads of the kernel world's state."""

    THIS_CPU = "raw_smp_processor_id()"  # also this_cpu_*(): preempt-safe, never checked
    # smp_processor_id(), this_cpu_ptr(), __this_cpu_*(): CONFIG_DEBUG_PREEMPT checks the caller
    # is not preemptible (check_preemption_disabled(), property debug-preempt)
    CHECKED_CPU = "smp_processor_id()"
    CURRENT = "current"
    IN_INTERRUPT = "in_interrupt()"
    PREEMPTIBLE = "preemptible()"
    PREEMPT_COUNT = "preempt_count()"
    IRQS_DISABLED = "irqs_disabled()"
    PTE_MEM = "__pte_read"  # the page-table value of a PTE
    PTE_HW = "__pte_hw"  # what hardware / other CPUs observe
    PTE_IS_KERNEL = "pte_is_kernel"
    ISB_PENDING = "__isb_pending"  # current published a PTE store with a dsb, no isb since


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class EConst:
    """A constant of a given type (integers, enum members, booleans)."""

    value: int
    type: Type


@dataclass(frozen=True, slots=True)
class ELocal:
    """A read of a function's local variable or parameter by slot."""

    slot: int
    type: Type


@dataclass(frozen=True, slots=True)
class EVar:
    """A declared variable; ``where`` is the CPU (percpu) or task (pertask)."""

    sym: str
    where: IExpr | None
    index: tuple[IExpr, ...]
    type: Type


@dataclass(frozen=True, slots=True)
class EFlag:
    """Whether a task's thread flag is set (``test_ti_thread_flag``)."""

    flag: int
    task: IExpr


@dataclass(frozen=True, slots=True)
class ELockHeld:
    """Whether a spinlock is held (``spin_is_locked``)."""

    lock: int


@dataclass(frozen=True, slots=True)
class EWorld:
    """A read of the kernel world (``current``, ``preempt_count()``, a PTE's value, ...)."""

    what: World
    args: tuple[IExpr, ...]
    type: Type


@dataclass(frozen=True, slots=True)
class EUnary:
    """A typed prefix operator: ``!`` or ``-``."""

    op: str  # "!" | "-"
    arg: IExpr
    type: Type


@dataclass(frozen=True, slots=True)
class EBinary:
    """A typed infix operator."""

    op: str
    left: IExpr
    right: IExpr
    type: Type


@dataclass(frozen=True, slots=True)
class ECond:
    """A typed ``cond ? then : other``."""

    cond: IExpr
    then: IExpr
    other: IExpr
    type: Type


@dataclass(frozen=True, slots=True)
class EPureCall:
    """A call of a ``pure`` model function inside an expression (inlined later)."""

    func: str
    args: tuple[IExpr, ...]
    type: Type


IExpr = EConst | ELocal | EVar | EFlag | ELockHeld | EWorld | EUnary | EBinary | ECond | EPureCall


def type_of(e: IExpr) -> Type:
    """The type an IR expression evaluates to (flags and lock tests are ``bool``)."""
    match e:
        case EFlag() | ELockHeld():
            return BOOL
        case _:
            return e.type

# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class LLocal:
    """Assignment target: a local variable slot."""

    slot: int


@dataclass(frozen=True, slots=True)
class LVar:
    """Assignment target: an element of a declared variable."""

    sym: str
    where: IExpr | None
    index: tuple[IExpr, ...]


@dataclass(frozen=True, slots=True)
class LFlag:
    """Assignment target: a task's thread flag (``set``/``clear_ti_thread_flag``)."""

    flag: int
    task: IExpr


LValue = LLocal | LVar | LFlag


class Builtin(enum.Enum):
    """The kernel built-ins a model may call, desugared into statements."""

    PREEMPT_DISABLE = "preempt_disable"
    PREEMPT_ENABLE = "preempt_enable"
    IRQ_DISABLE = "local_irq_disable"
    IRQ_ENABLE = "local_irq_enable"
    SPIN_LOCK = "spin_lock"
    SPIN_UNLOCK = "spin_unlock"
    BUG = "BUG_ON"
    WARN = "WARN_ON"
    PTE_WRITE = "__pte_write"  # page table and hardware both see the value now
    PTE_STORE = "__pte_store"  # page table holds the value; hardware does not see it yet
    PTE_SYNC = "__pte_sync"  # hardware now sees the page-table value of one PTE
    DSB = "dsb"  # hardware sees every PTE this CPU stored
    TLB_FLUSH = "__flush_tlb_check"  # a TLB flush of a PTE: its writes must have taken effect
    CHECK = "__check"  # a scenario-level invariant under a named property
    SCHEDULE = "cond_resched"  # a voluntary scheduling point
    SLEEP = "might_sleep"  # may sleep: a scheduling point, and illegal when atomic
    BH_DISABLE = "local_bh_disable"  # softirqs off: in_interrupt() is true (H17)
    BH_ENABLE = "local_bh_enable"
    REACH = "__reach"  # a named point a target may require to be reached (prop: the label)
    ISB = "isb"  # context synchronization: the thread's later accesses see what its dsb published
    MB = "smp_mb"  # a full barrier between CPUs: no effect on sequentially consistent model
    FORK = "fork"  # copy_process(): a child task (prop: its program) starts as a copy
    # variables, and it does not make a PTE store visible to the table walker (that is dsb)


@dataclass(frozen=True, slots=True)
class SAssign:
    """A store to a local, a declared variable or a thread flag."""

    target: LValue
    value: IExpr
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SCall:
    """A call of a model function, with an optional local for its result."""

    func: str
    args: tuple[IExpr, ...]
    dest: LLocal | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SBuiltin:
    """A kernel built-in: preemption, irqs, locks, PTE writes, BUG_ON/WARN_ON, checks."""

    op: Builtin
    args: tuple[IExpr, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)
    site: int = 0  # BUG/WARN site number, unique per program
    prop: str = ""  # CHECK: the property id


@dataclass(frozen=True, slots=True)
class SIf:
    """A typed ``if`` statement."""

    cond: IExpr
    then: tuple[IStmt, ...]
    other: tuple[IStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SReturn:
    """A typed ``return`` statement."""

    value: IExpr | None
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SAtomic:
    """A block that runs as one step of the transition system."""

    body: tuple[IStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SFor:
    """A ``for`` loop with constant bounds over a local slot, unrolled by the world."""

    slot: int
    lo: int
    hi: int
    body: tuple[IStmt, ...]
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SJump:
    """``break`` or ``continue`` of the innermost unrolled loop."""

    kind: str  # "break" | "continue"
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SGoto:
    """A forward jump to ``SLabel(label)`` later in the same function."""

    label: str
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SLabel:
    """Where a forward ``goto`` lands; no step of its own."""

    label: str
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class SNondet:
    """``__nondet()``: the bool local ``slot`` becomes true or false, either may happen."""

    slot: int
    span: Span = field(compare=False)
    text: str = field(default="", compare=False)


IStmt = (SAssign | SCall | SBuiltin | SIf | SReturn | SAtomic | SFor | SJump | SGoto | SLabel
         | SNondet)

def walk(body: tuple[IStmt, ...]) -> list[IStmt]:
    """Every statement of ``body``, nested blocks included, in source order."""
    out: list[IStmt] = []
    for s in body:
        out.append(s)
        match s:
            case SIf(then=t, other=o):
                out.extend(walk(t))
                out.extend(walk(o))
            case SAtomic(body=b) | SFor(body=b):
                out.extend(walk(b))
            case _:
                pass
    return out


def calls_in(body: tuple[IStmt, ...]) -> set[str]:
    """Every function ``body`` calls, pure functions in expressions included."""
    out: set[str] = set()
    _calls(body, out)
    return out


def _calls(body: tuple[IStmt, ...], out: set[str]) -> None:
    for s in body:
        match s:
            case SCall(func=f, args=args):
                out.add(f)
                for a in args:
                    _expr_calls(a, out)
            case SIf(cond=c, then=t, other=o):
                _expr_calls(c, out)
                _calls(t, out)
                _calls(o, out)
            case SAtomic(body=b) | SFor(body=b):
                _calls(b, out)
            case SAssign(value=v) | SReturn(value=v) if v is not None:
                _expr_calls(v, out)
            case _:
                pass


def _expr_calls(e: IExpr, out: set[str]) -> None:
    match e:
        case EPureCall(func=f, args=args):
            out.add(f)
            for a in args:
                _expr_calls(a, out)
        case EUnary(arg=a):
            _expr_calls(a, out)
        case EBinary(left=a, right=b):
            _expr_calls(a, out)
            _expr_calls(b, out)
        case ECond(cond=c, then=t, other=o):
            _expr_calls(c, out)
            _expr_calls(t, out)
            _expr_calls(o, out)
        case _:
            pass



# ---------------------------------------------------------------- program


@dataclass(frozen=True, slots=True)
class LocalSym:
    """A function's local variable, parameter or temporary and its slot."""

    slot: int
    name: str
    type: Type


@dataclass(frozen=True, slots=True)
class Function:
    """A checked model function: its locals, body, qualifiers and the file it came from."""

    name: str
    params: tuple[LocalSym, ...]
    ret: Type
    locals: tuple[LocalSym, ...]  # params first, then locals and temporaries
    body: tuple[IStmt, ...]
    qualifiers: tuple[str, ...]
    file_kind: str  # arch | api | scenario | common
    span: Span = field(compare=False)
    end: Span = field(compare=False)

    @property
    def is_task(self) -> bool:
        """Whether it is a ``task`` entry point the world runs on a CPU."""
        return "task" in self.qualifiers

    @property
    def is_irq(self) -> bool:
        """Whether it is an ``irq`` handler the world may run on interrupt entry."""
        return "irq" in self.qualifiers or self.is_softirq

    @property
    def is_softirq(self) -> bool:
        """Whether it is a ``softirq`` handler: it arrives only where bottom halves are on."""
        return "softirq" in self.qualifiers


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One model file of a program: its kind (arch, api, scenario, common), title and source."""

    path: str
    kind: str
    title: str
    source: str
    kernel: tuple[str, ...] = ()  # kernel "FILE:FUNCTION" declarations: what it models


@dataclass(frozen=True, slots=True)
class Program:
    """A checked set of model files: one target's arch, api and scenario."""

    files: tuple[SourceFile, ...]
    vars: tuple[VarSym, ...]
    flags: tuple[str, ...]
    locks: tuple[str, ...]
    ptes: tuple[PteSym, ...]
    functions: tuple[Function, ...]
    roles: tuple[tuple[str, str], ...]  # (role, function name)
    enums: tuple[tuple[str, tuple[str, ...]], ...]

    def function(self, name: str) -> Function:
        """The function named ``name``; ``KeyError`` if there is none."""
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def var(self, name: str) -> VarSym:
        """The declared variable named ``name``; ``KeyError`` if there is none."""
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)

    def role(self, role: str) -> str | None:
        """The function the ``lazy_mmu_api`` block binds to ``role``, if any."""
        for r, f in self.roles:
            if r == role:
                return f
        return None

    @property
    def tasks(self) -> tuple[str, ...]:
        """Names of the ``task`` functions, in declaration order."""
        return tuple(f.name for f in self.functions if f.is_task)

    @property
    def irqs(self) -> tuple[str, ...]:
        """Names of the ``irq`` handlers, in declaration order."""
        return tuple(f.name for f in self.functions if f.is_irq)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A checked program with the text of every file it was read from."""

    program: Program
    sources: dict[str, str]  # path as shown -> text, for diagnostics and traces
    files: tuple[str, ...]  # every file read, includes first

    def content_hashes(self) -> dict[str, str]:
        """SHA-256 of every model file, keyed by its path as shown, sorted."""
        return {k: hashlib.sha256(v.encode("utf-8")).hexdigest()
                for k, v in sorted(self.sources.items())}
