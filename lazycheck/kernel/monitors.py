"""Property monitors: the checks compiled into the steps, and what they report.

Every monitor writes the violation variable through :meth:`Exec.violate`
with a structured :class:`~lazycheck.system.Violation` (property id,
statement, actor, CPU, function, ...), so that a view builds its sentences
from fields.  The call-site monitors watch the calls a scenario makes to
the API roles (enter/leave/pause/resume, as ``lazy_mmu_api`` names them)
and to the PTE writers; the statement monitors watch built-ins (BUG_ON,
WARN_ON, __check, flush_tlb, might_sleep, spin_lock on PREEMPT_RT,
preempt_enable) and a task's end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lazycheck import ir
from lazycheck.diagnostics import Span
from lazycheck.kernel.layout import DEPTH_MAX, NONE, Layout, World
from lazycheck.properties import PropertyId
from lazycheck.system import (
    TRUE,
    BinOp,
    Const,
    Expr,
    Violation,
    conj,
    disj,
    eq,
    ite,
    neg,
    simplify_binary,
)

if TYPE_CHECKING:
    from lazycheck.kernel.symexec import Context, Exec, Frame

P = PropertyId

PTE_WRITERS = {"set_pte": (0, 1), "pte_clear": (0, None)}  # function -> (pte arg, value arg)


class Violations:
    """Allocates violation codes: one per distinct monitor site (all its fields)."""

    def __init__(self) -> None:
        self.table: dict[Violation, int] = {}

    def code(self, v: Violation) -> int:
        """The code of ``v`` (its own ``code`` is ignored), allocated on first use."""
        key = replace(v, code=0)
        if key not in self.table:
            self.table[key] = len(self.table) + 1
        return self.table[key]

    def all(self) -> tuple[Violation, ...]:
        """Every allocated violation with its code, in allocation order."""
        return tuple(replace(v, code=c) for v, c in self.table.items())


def site(ctx: Context, prop: PropertyId, message: str, span: Span | None,
         function: str = "", returns: bool = False, variable: str = "") -> Violation:
    """A violation raised by code running as ``ctx`` (code 0 until registered)."""
    cpu = ctx.cpu.value if isinstance(ctx.cpu, Const) and (ctx.in_irq or ctx.in_switch) \
        else None
    return Violation(0, prop, message, span, actor=ctx.owner, cpu=cpu, function=function,
                     returns=returns, in_irq=ctx.in_irq, variable=variable)


# ---------------------------------------------------------------- statement monitors
def bug(ex: Exec, s: ir.SBuiltin, fname: str, fired: Expr) -> None:
    """BUG_ON(cond)/BUG(): the kernel oopses."""
    ex.violate(site(ex.ctx, P.NO_BUG, f"{s.text.rstrip(';')} fired", s.span, fname), fired)


def warn(ex: Exec, s: ir.SBuiltin, fname: str, fired: Expr) -> None:
    """WARN_ON(cond)/VM_WARN_ON(cond)."""
    ex.violate(site(ex.ctx, P.NO_WARN, f"{s.text.rstrip(';')} fired", s.span, fname), fired)


def check(ex: Exec, s: ir.SBuiltin, fname: str, bad: Expr) -> None:
    """__check("property", cond): a scenario-level invariant under a named property."""
    prop = PropertyId(s.prop)  # the checker accepted only catalogued ids
    ex.violate(site(ex.ctx, prop, f"{s.text.rstrip(';')} does not hold", s.span, fname), bad)


def tlb_flush(ex: Exec, s: ir.SBuiltin, fname: str, when: Expr, pte: Expr) -> None:
    """flush_tlb_range(): no write by this writer to the range may still be deferred."""
    lay, w = ex.lay, ex.w
    assert isinstance(ex.ctx.writer, Const)
    row = w.wflag + ex.ctx.writer.value * lay.nptes
    ex.violate(site(ex.ctx, P.FLUSH_AFTER_VISIBLE, "the TLB is flushed while a PTE write to "
                    "the range has not taken effect", s.span, fname),
               conj(when, ex.select(row, lay.nptes, pte)))


def atomic_now(ex: Exec) -> Expr:
    """Whether the running code is in atomic context (preemption or IRQs off)."""
    ctx = ex.ctx
    if ctx.in_irq or ctx.in_switch:
        return TRUE
    return disj(neg(eq(ex.preempt_count(ctx.task), Const(0))), ex.irqs_off(ctx.task))


def sleep(ex: Exec, s: ir.SBuiltin, fname: str, when: Expr) -> None:
    """might_sleep() and friends in atomic context."""
    ex.violate(site(ex.ctx, P.NO_SLEEP_IN_ATOMIC, f"{s.text} may sleep in atomic context",
                    s.span, fname), conj(when, atomic_now(ex)))


def rt_spin_lock(ex: Exec, s: ir.SBuiltin, fname: str, when: Expr) -> None:
    """PREEMPT_RT: spinlock_t is an rt_mutex, rt_spin_lock() may sleep."""
    ex.violate(site(ex.ctx, P.NO_SLEEP_IN_ATOMIC, f"{s.text.rstrip(';')} may sleep "
                    "(PREEMPT_RT) in atomic context", s.span, fname),
               conj(when, atomic_now(ex)))


def preempt_underflow(ex: Exec, s: ir.SBuiltin, fname: str, bad: Expr) -> None:
    """preempt_enable() with preempt_count already 0."""
    ex.violate(site(ex.ctx, P.PREEMPT_BALANCED, f"{s.text}: preempt_count underflow", s.span,
                    fname), bad)


def lock_again(ex: Exec, s: ir.SBuiltin, fname: str, when: Expr, owner: int) -> Expr:
    """spin_lock() of a lock the running task (or the task it interrupted) holds.

    Returns the condition under which the taker may go on: the lock is free, or
    (with lock-balanced checked) it is the self-deadlock the property reports.
    """
    free = eq(ex.read(owner), Const(NONE))
    if P.LOCK_BALANCED not in ex.sh.checked:
        return free
    mine = eq(ex.read(owner), ex.ctx.task)
    ex.violate(site(ex.ctx, P.LOCK_BALANCED, f"{s.text.rstrip(';')} takes a lock this "
                    "context already holds: a self-deadlock", s.span, fname),
               conj(when, mine))
    return disj(free, mine)


def debug_preempt(ex: Exec) -> None:
    """smp_processor_id()/this_cpu_ptr()/__this_cpu_*() while the task may migrate.

    CONFIG_DEBUG_PREEMPT's check_preemption_disabled() (lib/smp_processor_id.c)
    is quiet when preempt_count() != 0, irqs_disabled(), or migration is disabled;
    interrupt handlers and the context switch run with preemption off.  The
    statement is the one being executed (the last recorded step) under its path
    condition.
    """
    ctx = ex.ctx
    if ctx.in_irq or ctx.in_switch or not ex.steps:
        return
    step = ex.steps[-1]
    task = ctx.task
    migratable = conj(eq(ex.preempt_count(task), Const(0)), neg(ex.irqs_off(task)),
                      eq(ex.select(ex.w.pinned, ex.lay.nall, task), Const(0)))
    what = step.text.rstrip(";")
    ex.violate(site(ctx, P.DEBUG_PREEMPT, f"{what}: BUG: using smp_processor_id() in "
                    "preemptible code (CONFIG_DEBUG_PREEMPT)", step.span, step.function),
               conj(step.when, migratable))


def bounds(ex: Exec, bad: Expr, message: str, span: Span | None, variable: str = "") -> None:
    """The model left its own finite abstraction: the verdict becomes UNKNOWN."""
    ex.violate(site(ex.ctx, P.MODEL_BOUNDS, message, span, variable=variable), bad)


# ---------------------------------------------------------------- call-site monitors
@dataclass(frozen=True, slots=True)
class Writer:
    """The ghost writer a program instance runs as: its cells in the monitor state."""

    lay: Layout
    world: World
    ctx: Context

    @property
    def index(self) -> int:
        """The writer's row: its task, or interrupt context on its CPU."""
        assert isinstance(self.ctx.writer, Const)
        return self.ctx.writer.value

    def cell(self, base: int) -> int:
        """This writer's element of a per-writer ghost array."""
        return base + self.index

    def row(self, base: int) -> int:
        """The first of this writer's per-PTE ghost cells."""
        return base + self.index * self.lay.nptes


def on_call_entry(wr: Writer, ex: Exec, fn: ir.Function, role: str | None,
                  callee: Frame) -> None:
    """At a call: remember preempt_count at an outermost enter; record a PTE write."""
    w, lay = wr.world, wr.lay
    if role == "enter" and not wr.ctx.in_irq:
        outer = conj(eq(ex.read(wr.cell(w.depth)), Const(0)),
                     eq(ex.read(wr.cell(w.paused)), Const(0)))
        ex.write(wr.cell(w.entry_pc), ex.preempt_count(wr.ctx.task), outer)
    if fn.name in PTE_WRITERS:
        pa, va = PTE_WRITERS[fn.name]
        p = ex.read(callee.slots[fn.params[pa].slot])
        v = ex.read(callee.slots[fn.params[va].slot]) if va is not None else Const(0)
        ex.write_at(wr.row(w.wflag), lay.nptes, p, TRUE, TRUE)
        ex.write_at(wr.row(w.wval), lay.nptes, p, v, TRUE)


def on_call_exit(wr: Writer, ex: Exec, fn: ir.Function, role: str | None, callee: Frame,
                 s: ir.SCall) -> None:
    """At a call's return: the section properties for API roles, and PTE writers."""
    if role == "enter":
        _enter_returns(wr, ex, fn, s.span)
    elif role == "leave":
        _leave_returns(wr, ex, fn, s.span)
    elif role == "pause":
        _pause_returns(wr, ex, fn, s.span)
    elif role == "resume":
        _resume_returns(wr, ex, fn, s.span)
    if fn.name in PTE_WRITERS:
        _pte_write_returns(wr, ex, fn, callee, s.span)


def _returning(wr: Writer, prop: PropertyId, message: str, span: Span, fn: ir.Function
               ) -> Violation:
    return site(wr.ctx, prop, message, span, fn.name, returns=True)


def _depth_paused(wr: Writer, ex: Exec) -> tuple[int, int, Expr, Expr]:
    w = wr.world
    depth_v, paused_v = wr.cell(w.depth), wr.cell(w.paused)
    return depth_v, paused_v, ex.read(depth_v), ex.read(paused_v)


def _enter_returns(wr: Writer, ex: Exec, fn: ir.Function, span: Span) -> None:
    depth_v, _, depth, paused = _depth_paused(wr, ex)
    lazy = ex.lazy(wr.ctx.task, wr.ctx.cpu)
    ex.bounds(eq(depth, Const(DEPTH_MAX)), f"sections nested deeper than {DEPTH_MAX}", span)
    ex.write(depth_v, ite(eq(depth, Const(DEPTH_MAX)), depth,
                          simplify_binary(BinOp.ADD, depth, Const(1))), TRUE)
    if not wr.ctx.in_irq:
        ex.violate(_returning(wr, P.BATCHING_KEPT, f"{wr.ctx.owner} is not in lazy MMU mode "
                              f"after {fn.name}() returns", span, fn),
                   conj(eq(paused, Const(0)), neg(lazy)))


def _leave_returns(wr: Writer, ex: Exec, fn: ir.Function, span: Span) -> None:
    w, lay, ctx = wr.world, wr.lay, wr.ctx
    depth_v, _, depth, paused = _depth_paused(wr, ex)
    lazy = ex.lazy(ctx.task, ctx.cpu)
    who, call = ctx.owner, f"{fn.name}()"
    row = wr.row(w.wflag)
    pending = disj(*(ex.read(row + q) for q in range(lay.nptes)))
    ex.violate(_returning(wr, P.VISIBLE_AFTER_DISABLE, f"a PTE write by {who} is still "
                          f"deferred when {call} returns", span, fn), pending)
    new = ite(eq(depth, Const(0)), depth, simplify_binary(BinOp.SUB, depth, Const(1)))
    ex.write(depth_v, new, TRUE)
    if ctx.in_irq:
        return
    outer = conj(eq(new, Const(0)), eq(paused, Const(0)))
    ex.violate(_returning(wr, P.MODE_OFF_AFTER_OUTERMOST, f"{who} or its CPU is still in lazy "
                          f"MMU mode after the outermost {call} returns", span, fn),
               conj(outer, lazy))
    entry = ex.read(wr.cell(w.entry_pc))
    ex.violate(_returning(wr, P.PREEMPT_BALANCED, f"preempt_count of {who} differs from its "
                          f"value when the section began, after {call} returns", span, fn),
               conj(outer, neg(eq(ex.preempt_count(ctx.task), entry))))
    ex.violate(_returning(wr, P.BATCHING_KEPT, f"{who} left lazy MMU mode at a nested {call}, "
                          f"before the outer section ended", span, fn),
               conj(neg(eq(new, Const(0))), eq(paused, Const(0)), neg(lazy)))


def _pause_returns(wr: Writer, ex: Exec, fn: ir.Function, span: Span) -> None:
    _, paused_v, _, paused = _depth_paused(wr, ex)
    new = ite(eq(paused, Const(DEPTH_MAX)), paused, simplify_binary(BinOp.ADD, paused,
                                                                    Const(1)))
    ex.write(paused_v, new, TRUE)
    if not wr.ctx.in_irq:
        lazy = ex.lazy(wr.ctx.task, wr.ctx.cpu)
        ex.violate(_returning(wr, P.MODE_OFF_AFTER_OUTERMOST, f"{wr.ctx.owner} or its CPU is "
                              f"still in lazy MMU mode after {fn.name}() returns", span, fn),
                   conj(eq(new, Const(1)), lazy))


def _resume_returns(wr: Writer, ex: Exec, fn: ir.Function, span: Span) -> None:
    _, paused_v, depth, paused = _depth_paused(wr, ex)
    new = ite(eq(paused, Const(0)), paused, simplify_binary(BinOp.SUB, paused, Const(1)))
    ex.write(paused_v, new, TRUE)
    if not wr.ctx.in_irq:
        lazy = ex.lazy(wr.ctx.task, wr.ctx.cpu)
        ex.violate(_returning(wr, P.BATCHING_KEPT, f"{wr.ctx.owner} is not in lazy MMU mode "
                              f"after {fn.name}() returns", span, fn),
                   conj(eq(new, Const(0)), neg(eq(depth, Const(0))), neg(lazy)))


def _pte_write_returns(wr: Writer, ex: Exec, fn: ir.Function, callee: Frame,
                       span: Span) -> None:
    ctx = wr.ctx
    _, _, depth, paused = _depth_paused(wr, ex)
    pa, _ = PTE_WRITERS[fn.name]
    p = ex.read(callee.slots[fn.params[pa].slot])
    flag = ex.select(wr.row(wr.world.wflag), wr.lay.nptes, p)
    outside = TRUE if ctx.in_irq else disj(eq(depth, Const(0)), neg(eq(paused, Const(0))))
    where = "in interrupt context" if ctx.in_irq else "outside any lazy MMU section"
    ex.violate(_returning(wr, P.NO_DEFERRED_WRITE_OUTSIDE_SECTION, f"a PTE write by "
                          f"{ctx.owner} {where} is deferred after {fn.name}() returns", span,
                          fn), conj(outside, flag))


def on_task_end(ex: Exec, fn: ir.Function) -> None:
    """A task's program ends: out of lazy MMU mode, preempt_count back to 0."""
    ctx = ex.ctx
    lazy = ex.lazy(ctx.task, ctx.cpu)
    ex.violate(site(ctx, P.MODE_OFF_AFTER_OUTERMOST, f"{ctx.owner} ends its program still in "
                    "lazy MMU mode", fn.end, fn.name), lazy)
    ex.violate(site(ctx, P.PREEMPT_BALANCED, f"{ctx.owner} ends its program with "
                    "preempt_count != 0", fn.end, fn.name),
               neg(eq(ex.preempt_count(ctx.task), Const(0))))
    for k, name in enumerate(ex.lay.program.locks):
        ex.violate(site(ctx, P.LOCK_BALANCED, f"{ctx.owner} ends its program holding "
                        f"{name}", fn.end, fn.name),
                   eq(ex.read(ex.w.lock_owner + k), ctx.task))
