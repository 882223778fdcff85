"""The flattened transition system every engine consumes.

A :class:`System` is what a model becomes once it is instantiated for one
kernel configuration (CPUs, tasks, preemption model): a vector of bounded
integer state variables, one initial state, and a tuple of guarded
actions.  Each action is a parallel assignment: every right-hand side is
evaluated in the pre-state, then all assignments take effect at once.

The explicit engine evaluates these expressions on concrete states
(:mod:`lazycheck.semantics`); the z3 engine translates them to terms
(:mod:`lazycheck.smt`).  Both read nothing else, which is what lets them
agree.  Values are Python ints: booleans are 0/1, enumerators their index.
Every variable stays inside ``[lo, hi]`` by construction: the world
inserts :class:`Wrap` for wrapping kernel types (``u8``) and a range check
for bounded ``int<lo..hi>`` types.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from lazycheck.diagnostics import Span
from lazycheck.properties import PropertyId


class BinOp(enum.Enum):
    """Binary operators, with C semantics on unbounded integers."""

    ADD = "+"
    SUB = "-"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    AND = "&&"
    OR = "||"


@dataclass(frozen=True, slots=True)
class Const:
    """A constant in a transition-system expression."""

    value: int


@dataclass(frozen=True, slots=True)
class Var:
    """The state variable at ``index``."""

    index: int


@dataclass(frozen=True, slots=True)
class Select:
    """``vars[base + index]``; the world guarantees ``0 <= index < size``."""

    base: int
    size: int
    index: Expr


@dataclass(frozen=True, slots=True)
class Not:
    """Boolean negation of a system expression."""

    arg: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator on two system expressions."""

    op: BinOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Ite:
    """If-then-else over system expressions."""

    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True, slots=True)
class Wrap:
    """``lo + (arg - lo) mod (hi - lo + 1)``: unsigned kernel arithmetic."""

    arg: Expr
    lo: int
    hi: int


Expr = Const | Var | Select | Not | Binary | Ite | Wrap

TRUE = Const(1)
FALSE = Const(0)


def conj(*parts: Expr) -> Expr:
    """Smart ``&&``: drops true operands, collapses on a false one."""
    out: list[Expr] = []
    for p in parts:
        if p == TRUE:
            continue
        if p == FALSE:
            return FALSE
        out.append(p)
    if not out:
        return TRUE
    acc = out[0]
    for p in out[1:]:
        acc = Binary(BinOp.AND, acc, p)
    return acc


def disj(*parts: Expr) -> Expr:
    """Smart ``||``: drops false operands, collapses on a true one."""
    out: list[Expr] = []
    for p in parts:
        if p == FALSE:
            continue
        if p == TRUE:
            return TRUE
        out.append(p)
    if not out:
        return FALSE
    acc = out[0]
    for p in out[1:]:
        acc = Binary(BinOp.OR, acc, p)
    return acc


def neg(e: Expr) -> Expr:
    """Negate ``e``, folding constants."""
    if e == TRUE:
        return FALSE
    if e == FALSE:
        return TRUE
    if isinstance(e, Not):
        return e.arg
    return Not(e)


def eq(a: Expr, b: Expr) -> Expr:
    """``a == b``, folding constants."""
    if isinstance(a, Const) and isinstance(b, Const):
        return TRUE if a.value == b.value else FALSE
    return Binary(BinOp.EQ, a, b)


def _same(a: Expr, b: Expr) -> bool:
    """Cheap equality: identity, or equal leaves.  Never walks a whole tree."""
    if a is b:
        return True
    if isinstance(a, Const | Var) and type(a) is type(b):
        return a == b
    return False


def ite(c: Expr, t: Expr, e: Expr) -> Expr:
    """``c ? t : e``, folding constant conditions and equal branches."""
    if c == TRUE or _same(t, e):
        return t
    if c == FALSE:
        return e
    return Ite(c, t, e)


@dataclass(frozen=True, slots=True)
class Assign:
    """One update of an action: the state variable at ``var`` gets ``value``."""

    var: int
    value: Expr


class VarKind(enum.Enum):
    """What a state variable is; the trace renderer and reductions use it."""

    STATE = "state"  # model state: per-CPU, per-task, global declarations
    WORLD = "world"  # kernel world: current, preempt_count, PTE memory, ...
    PC = "pc"  # a task's or interrupt's program counter
    LOCAL = "local"  # a function local of a task or interrupt context
    GHOST = "ghost"  # monitor state of the properties; never read by the model


@dataclass(frozen=True, slots=True)
class StateVar:
    """A state variable of the system: its name, value range and kind."""

    name: str
    lo: int
    hi: int
    kind: VarKind
    labels: tuple[str, ...] = ()  # value names for enums and bools, else ()

    def show(self, value: int) -> str:
        """``value`` as a trace shows it: an enum label when there is one."""
        if self.labels and self.lo <= value <= self.hi:
            return self.labels[value - self.lo]
        return str(value)


class ActionKind(enum.Enum):
    """What an action models: a task step, an interrupt, or a context switch."""

    TASK = "task"  # one step of a task's program on the CPU it runs on
    IRQ_ENTRY = "irq-entry"  # an interrupt arrives on a CPU
    IRQ = "irq"  # one step of an interrupt handler
    SWITCH = "switch"  # a context switch on a CPU (hooks run atomically)


@dataclass(frozen=True, slots=True)
class SourceStep:
    """One source statement an action executes, for traces.

    ``when`` is the path condition (over the pre-state) under which the
    statement runs inside the action; ``TRUE`` for straight-line code.
    """

    function: str
    text: str
    span: Span
    when: Expr = TRUE


@dataclass(frozen=True, slots=True)
class Action:
    """A guarded transition: when ``guard`` holds, apply ``updates`` at once."""

    name: str
    kind: ActionKind
    guard: Expr
    updates: tuple[Assign, ...]
    task: int | None = None  # the task whose program or switch this is
    cpu: int | None = None  # fixed CPU for IRQ_ENTRY/IRQ/SWITCH actions
    other: int | None = None  # SWITCH: the incoming task (None: idle)
    steps: tuple[SourceStep, ...] = ()
    summary: str = ""
    # coverage: when this holds in the pre-state of a firing, the engine records
    # ``witness_label`` (e.g. "a task was switched out inside a section")
    witness: Expr = FALSE
    witness_label: str = ""
    # SWITCH: when this holds in the pre-state, the switch is involuntary (``prev``
    # is preempted mid-program, not at an exit or a schedule point); preemption
    # bounding (lazycheck.run.bounding) counts these
    preemption: Expr = FALSE
    # the __reach("label") points the action runs: (the path condition over the
    # pre-state under which it runs the point, the label); an engine records the
    # label only where the condition holds (System.witness_points)
    reaches: tuple[tuple[Expr, str], ...] = ()


def reach_label(label: str) -> str:
    """The witness label of the point ``__reach("label")``."""
    return f'__reach("{label}")'


def is_reach_label(witness: str) -> bool:
    """Whether a witnessed label is a ``__reach`` point's (not an event a target requires)."""
    return witness.startswith('__reach("')


@dataclass(frozen=True, slots=True)
class Violation:
    """What a value of the violation variable means, as the monitor saw it.

    The fields are what a view needs to explain the failure without reading
    ``message`` (which is for people): the property, the statement, who ran
    it, where, and, for a monitor at a call's return, which function.
    """

    code: int
    property_id: PropertyId
    message: str
    span: Span | None = None
    actor: str = ""  # the task (T0) or interrupt program (irq@cpu0.handler) that ran it
    cpu: int | None = None  # the CPU, when the context fixes it (an interrupt, a switch)
    function: str = ""  # the function whose statement fired, or whose return is checked
    returns: bool = False  # fired as ``function`` returns (a call-site monitor)
    in_irq: bool = False  # the code ran in interrupt context
    pte: str = ""  # the PTE concerned, when the monitor knows it statically
    variable: str = ""  # model-bounds: the variable that left its declared range

    def __post_init__(self) -> None:
        if not isinstance(self.property_id, PropertyId):
            raise TypeError(f"not a PropertyId: {self.property_id!r}")


class Sort(enum.IntEnum):
    """What the values of a state variable name, for symmetry reduction."""

    UNKNOWN = 0  # a local: inferred from the expressions it meets
    PLAIN = 1  # a number, a flag, an enumerator: never renamed
    CPU = 2  # a CPU number
    TASK = 3  # a task id (idle tasks: one per CPU; -1 for none)
    IRQPC = 4  # an interrupt program counter (each CPU's handlers have their own range)
    VIOLATION = 5  # the violation code


@dataclass(frozen=True, slots=True)
class Roles:
    """Which CPU and which task each state variable belongs to, and what its values name.

    The kernel world fills this in (lazycheck.kernel.symroles); the symmetry
    reduction of the explicit engine derives and checks its group from it and
    from the actions.  ``slots[i]`` is ``(cpu, task, key)``: variable ``i`` is
    the ``key`` cell of that CPU (-1: none) and that task (-1: none; idle task
    of CPU ``c`` is ``ntasks + c``).  ``programs[t]`` names task ``t``'s
    program; ``irq_pcs`` lists ``(cpu, handler, first pc, pcs)``.
    """

    ncpus: int
    ntasks: int
    slots: tuple[tuple[int, int, str], ...]
    sorts: tuple[Sort, ...]
    programs: tuple[str, ...]
    irq_pcs: tuple[tuple[int, int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class System:
    """A finite transition system with one initial state.

    ``violation_var`` holds 0 while no checked property has failed and a
    :class:`Violation` code afterwards; an engine looks for a reachable
    state where it is non-zero.  ``checked`` lists the property ids the
    system monitors.
    """

    vars: tuple[StateVar, ...]
    init: tuple[int, ...]
    actions: tuple[Action, ...]
    violation_var: int
    violations: tuple[Violation, ...]
    checked: tuple[PropertyId, ...]
    var_index: dict[str, int] = field(default_factory=dict, compare=False)
    # bounds a transform put on the behaviours, e.g. (("preemptions", 2),): every
    # verdict on this system holds only within them (lazycheck.run.bounding)
    bounded_by: tuple[tuple[str, int], ...] = ()
    # (property id, the state it watches): a PASS where it never held is vacuous
    watches: tuple[tuple[str, Expr], ...] = field(default=(), compare=False)
    # who owns each variable (symmetry reduction); None for a hand-made system
    roles: Roles | None = field(default=None, compare=False)

    def bounds_text(self) -> str:
        """``"with <= 2 preemptions"`` for a bounded system, ``""`` otherwise."""
        if not self.bounded_by:
            return ""
        return "with " + ", ".join(f"<= {k} {what}" for what, k in self.bounded_by)

    def witness_points(self) -> list[tuple[int, Expr, str]]:
        """``(action, condition, label)``: an engine that sees ``action`` enabled in a state
        where ``condition`` holds records ``label`` as witnessed (coverage)."""
        out = [(i, a.witness, a.witness_label) for i, a in enumerate(self.actions)
               if a.witness != FALSE]
        out += [(i, when, reach_label(label)) for i, a in enumerate(self.actions)
                for when, label in a.reaches if when != FALSE]
        return out

    def violation(self, code: int) -> Violation:
        """The :class:`Violation` a violation-variable ``code`` stands for."""
        for v in self.violations:
            if v.code == code:
                return v
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class Clause:
    """One conjunct of an invariant: ``when`` (a conjunction) implies ``var in values``.

    ``when`` holds ``(var, value)`` pairs; empty means unconditionally.  Mined by
    the Houdini engine from reachable states; printed in kernel terms by
    :mod:`lazycheck.views.proof`.
    """

    var: int
    values: tuple[int, ...]
    when: tuple[tuple[int, int], ...] = ()

    def expr(self) -> Expr:
        """The clause as a state predicate."""
        x = Var(self.var)
        vals = sorted(self.values)
        if len(vals) > 2 and vals[-1] - vals[0] == len(vals) - 1:
            body = conj(Binary(BinOp.GE, x, Const(vals[0])), Binary(BinOp.LE, x, Const(vals[-1])))
        else:
            body = disj(*(eq(x, Const(v)) for v in vals))
        return disj(*(neg(eq(Var(w), Const(a))) for w, a in self.when), body)

    def holds(self, state: tuple[int, ...]) -> bool:
        """The clause on a concrete state."""
        if any(state[w] != a for w, a in self.when):
            return True
        return state[self.var] in self.values


def free_vars(e: Expr, out: set[int] | None = None,
              seen: set[int] | None = None) -> set[int]:
    """Indices of the state variables ``e`` may read (shared subterms visited once)."""
    acc: set[int] = set() if out is None else out
    done: set[int] = set() if seen is None else seen
    if id(e) in done:
        return acc
    done.add(id(e))
    match e:
        case Const():
            pass
        case Var(index=i):
            acc.add(i)
        case Select(base=b, size=n, index=ix):
            acc.update(range(b, b + n))
            free_vars(ix, acc, done)
        case Not(arg=a) | Wrap(arg=a):
            free_vars(a, acc, done)
        case Binary(left=a, right=b):
            free_vars(a, acc, done)
            free_vars(b, acc, done)
        case Ite(cond=c, then=t, other=o):
            free_vars(c, acc, done)
            free_vars(t, acc, done)
            free_vars(o, acc, done)
    return acc


def substitute(e: Expr, env: dict[int, Expr], memo: dict[int, Expr] | None = None) -> Expr:
    """Replace ``Var(i)`` by ``env[i]`` (used to compose sequential steps).

    ``memo`` maps ``id(subterm)`` to its result so that shared subterms are
    rewritten once; expressions are DAGs and a tree walk would be exponential.
    """
    if not env:
        return e
    m: dict[int, Expr] = {} if memo is None else memo
    key = id(e)
    if key in m:
        return m[key]
    r = _substitute(e, env, m)
    m[key] = r
    return r


def _substitute(e: Expr, env: dict[int, Expr], m: dict[int, Expr]) -> Expr:
    match e:
        case Const():
            return e
        case Var(index=i):
            return env.get(i, e)
        case Select(base=b, size=n, index=ix):
            idx = substitute(ix, env, m)
            cells = [env.get(b + k, Var(b + k)) for k in range(n)]
            if isinstance(idx, Const):
                return cells[idx.value]
            if all(c == Var(b + k) for k, c in enumerate(cells)):
                return Select(b, n, idx)
            acc: Expr = cells[n - 1]
            for k in range(n - 2, -1, -1):
                acc = ite(eq(idx, Const(k)), cells[k], acc)
            return acc
        case Not(arg=a):
            return neg(substitute(a, env, m))
        case Wrap(arg=a, lo=lo, hi=hi):
            return Wrap(substitute(a, env, m), lo, hi)
        case Binary(op=op, left=a, right=b):
            return simplify_binary(op, substitute(a, env, m), substitute(b, env, m))
        case Ite(cond=c, then=t, other=o):
            return ite(substitute(c, env, m), substitute(t, env, m), substitute(o, env, m))
    raise AssertionError(e)


def simplify_binary(op: BinOp, a: Expr, b: Expr) -> Expr:
    """Constant-fold and apply the smart constructors where they apply."""
    if op is BinOp.AND:
        return conj(a, b)
    if op is BinOp.OR:
        return disj(a, b)
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(eval_binop(op, a.value, b.value))
    return Binary(op, a, b)


def eval_binop(op: BinOp, a: int, b: int) -> int:
    """Evaluate ``op`` on two concrete integers, as engines and replay do."""
    match op:
        case BinOp.ADD:
            return a + b
        case BinOp.SUB:
            return a - b
        case BinOp.EQ:
            return int(a == b)
        case BinOp.NE:
            return int(a != b)
        case BinOp.LT:
            return int(a < b)
        case BinOp.LE:
            return int(a <= b)
        case BinOp.GT:
            return int(a > b)
        case BinOp.GE:
            return int(a >= b)
        case BinOp.AND:
            return int(bool(a) and bool(b))
        case BinOp.OR:
            return int(bool(a) or bool(b))
