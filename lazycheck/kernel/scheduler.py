"""The scheduler: when a task may be switched out, where it may run, and the switch hooks.

A context switch on a CPU is one step, with preemption and interrupts off:
``arch_start_context_switch(prev)``, ``__switch_to(prev, next)`` and
``arch_end_context_switch(next)`` run in that order, as
``context_switch()`` in kernel/sched/core.c calls them.  Which switches
exist is the preemption model's business (:func:`may_switch_out`):

* ``none``/``voluntary``: a task gives up its CPU only at an explicit
  scheduling point (``cond_resched()``, ``might_sleep()``) or when it ends;
* ``full``/``rt``: at any step where its preempt_count is 0 and IRQs are on;
* ``rt``: spinlocks pin a task to its CPU (migrate_disable) instead of
  disabling preemption, so a pinned task is switched in only where it ran.

The incoming task may last have run on another CPU: that is migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from lazycheck import ir
from lazycheck.kernel.config import Preempt
from lazycheck.kernel.layout import NONE, Layout, World
from lazycheck.kernel.symexec import Context, Exec, Frame, Shared
from lazycheck.system import (
    FALSE,
    TRUE,
    Action,
    ActionKind,
    Assign,
    Const,
    Expr,
    Select,
    Var,
    conj,
    disj,
    eq,
    neg,
)

PREEMPTED_IN_SECTION = "a task was switched out inside a section"
SWITCH_HOOKS = ("arch_start_context_switch", "__switch_to", "arch_end_context_switch")


@dataclass(frozen=True, slots=True)
class TaskPoints:
    """What the scheduler needs of one task's program: its pc and where it may yield."""

    pc: int  # the state variable of the task's program counter
    exit_pc: int  # the pc value once the program ended (-2: never ends)
    sched_pcs: tuple[int, ...]  # pc values right after a scheduling point


@dataclass(frozen=True, slots=True)
class Scheduler:
    """Builds the context-switch actions of every CPU for one kernel configuration."""

    sh: Shared
    program: ir.Program
    tasks: tuple[TaskPoints, ...]

    @property
    def lay(self) -> Layout:
        """The state layout shared with the world."""
        return self.sh.lay

    @property
    def world(self) -> World:
        """Indices of the kernel world's variables."""
        return self.sh.world

    def actions(self) -> list[Action]:
        """Every switch ``prev -> next`` on every CPU, idle tasks included."""
        lay = self.lay
        out: list[Action] = []
        for c in range(lay.ncpus):
            cands = [*range(lay.ntasks), lay.ntasks + c]
            out.extend(self.switch(c, prev, nxt) for prev in cands for nxt in cands
                       if prev != nxt)
        return out

    def is_idle(self, t: int) -> bool:
        """Whether task ``t`` is an idle task (one per CPU)."""
        return t >= self.lay.ntasks

    def may_switch_out(self, prev: int) -> Expr:
        """The preemption model: when ``prev`` may lose its CPU."""
        if self.is_idle(prev):
            return TRUE
        w, tp = self.world, self.tasks[prev]
        done = eq(Var(tp.pc), Const(tp.exit_pc))
        free = conj(eq(Var(w.preempt_count + prev), Const(0)),
                    eq(Var(w.irqs_off + prev), Const(0)))
        if self.lay.config.preempt in (Preempt.NONE, Preempt.VOLUNTARY):
            free = conj(free, disj(*(eq(Var(tp.pc), Const(k)) for k in tp.sched_pcs)))
        return disj(done, free)

    def involuntary(self, prev: int) -> Expr:
        """``prev`` is preempted: switched out mid-program, not at its end or a scheduling point."""
        if self.is_idle(prev):
            return FALSE
        tp = self.tasks[prev]
        return conj(neg(eq(Var(tp.pc), Const(tp.exit_pc))),
                    *(neg(eq(Var(tp.pc), Const(k))) for k in tp.sched_pcs))

    def may_switch_in(self, nxt: int, c: int) -> Expr:
        """Migration: ``nxt`` may run on CPU ``c`` unless it runs elsewhere, ended or is pinned."""
        if self.is_idle(nxt):
            return TRUE
        w, lay, tp = self.world, self.lay, self.tasks[nxt]
        elsewhere = eq(Select(w.curr, lay.ncpus, Var(w.cpu_of + nxt)), Const(nxt))
        guard = conj(neg(elsewhere), neg(eq(Var(tp.pc), Const(tp.exit_pc))))
        if w.born != NONE:  # a fork child first runs after its parent's copy_process()
            guard = conj(guard, eq(Var(w.born + nxt), Const(1)))
        if lay.config.preempt is Preempt.RT:
            guard = conj(guard, disj(eq(Var(w.pinned + nxt), Const(0)),
                                     eq(Var(w.cpu_of + nxt), Const(c))))
        return guard

    def run_hooks(self, c: int, prev: int, nxt: int) -> Exec:
        """The three switch hooks as one step: prev's two, the switch, next's one."""
        w, prog = self.world, self.program
        start, sw, end = (prog.function(h) for h in SWITCH_HOOKS)
        ex = Exec(self.sh, Context(Const(prev), Const(c), Const(0), False, True,
                                   self.lay.task_name(prev)))
        hook(ex, start, (Const(prev),))
        hook(ex, sw, (Const(prev), Const(nxt)))
        ok = neg(ex.halted)
        ex.write(w.curr + c, Const(nxt), ok)
        if not self.is_idle(nxt):
            ex.write(w.cpu_of + nxt, Const(c), ok)
        ex2 = Exec(self.sh, Context(Const(nxt), Const(c), Const(0), False, True,
                                    self.lay.task_name(nxt)))
        ex2.env, ex2.guard, ex2.steps = ex.env, ex.guard, ex.steps
        ex2.halted = ex.halted
        hook(ex2, end, (Const(nxt),))
        ex2.settle_writes()
        return ex2

    def switch(self, c: int, prev: int, nxt: int) -> Action:
        """The action ``context switch prev -> next`` on CPU ``c``."""
        w, lay = self.world, self.lay
        guard = conj(eq(Var(w.curr + c), Const(prev)), eq(Var(w.irq_pc + c), Const(NONE)),
                     self.may_switch_out(prev), self.may_switch_in(nxt, c))
        ex = self.run_hooks(c, prev, nxt)
        ups = tuple(Assign(v, e) for v, e in sorted(ex.updates().items()))
        pn, nn = lay.task_name(prev), lay.task_name(nxt)
        witness: Expr = FALSE
        if not self.is_idle(prev):
            tp = self.tasks[prev]
            witness = conj(neg(eq(Var(w.depth + prev), Const(0))),
                           eq(Var(w.paused + prev), Const(0)),
                           neg(eq(Var(tp.pc), Const(tp.exit_pc))))
        return Action(f"switch@cpu{c}:{pn}->{nn}", ActionKind.SWITCH, conj(guard, ex.guard),
                      ups, task=prev, cpu=c, other=nxt,
                      steps=tuple(x for x in ex.steps if x.text),
                      summary=f"context switch {pn} -> {nn}", witness=witness,
                      witness_label=PREEMPTED_IN_SECTION,
                      preemption=self.involuntary(prev))  # run/bounding.py counts these


def hook(ex: Exec, fn: ir.Function, args: tuple[Expr, ...]) -> None:
    """Run a kernel hook (a context-switch callback) inline in ``ex``."""
    frame = Frame(fn, {})
    for p, a in zip(fn.params, args, strict=True):
        frame.regs[p.slot] = a
    ex.run(fn.body, frame, TRUE)
