"""Symbolic execution of IR statements into one parallel assignment.

A :class:`Exec` accumulates, for one action, the value of every written state
variable as an expression over the pre-state, plus the extra guard that
blocking operations (a held spinlock) impose.  Branches are merged with
``ite``; ``when`` is the path condition under which a statement runs.  This
is how a single statement, an ``atomic { }`` block and a whole context
switch become one step.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from lazycheck import ir
from lazycheck.diagnostics import Diagnostic, Span
from lazycheck.errors import ModelError
from lazycheck.kernel import monitors
from lazycheck.kernel.config import Preempt
from lazycheck.kernel.layout import BH_MAX, NONE, Layout, World, type_domain
from lazycheck.properties import PropertyId
from lazycheck.system import (
    FALSE,
    TRUE,
    BinOp,
    Const,
    Expr,
    Not,
    Select,
    SourceStep,
    Var,
    VarKind,
    Violation,
    Wrap,
    conj,
    disj,
    eq,
    ite,
    neg,
    simplify_binary,
)

_PTE_OPS = frozenset({ir.Builtin.PTE_WRITE, ir.Builtin.PTE_STORE, ir.Builtin.PTE_SYNC,
                      ir.Builtin.DSB})
_MONITOR_OPS = frozenset({ir.Builtin.BUG, ir.Builtin.WARN, ir.Builtin.CHECK,
                          ir.Builtin.TLB_FLUSH, ir.Builtin.SLEEP})

_BINOPS = {"+": BinOp.ADD, "-": BinOp.SUB, "==": BinOp.EQ, "!=": BinOp.NE, "<": BinOp.LT,
           "<=": BinOp.LE, ">": BinOp.GT, ">=": BinOp.GE, "&&": BinOp.AND, "||": BinOp.OR}


@dataclass(frozen=True, slots=True)
class Context:
    """Who runs the code: the task (``current``), the CPU, and in which context."""

    task: Expr
    cpu: Expr
    writer: Expr
    in_irq: bool
    in_switch: bool = False
    owner: str = ""  # the program instance's name (T0, irq@cpu0.handler), for reports


@dataclass
class Frame:
    """One activation of a function.

    ``slots`` maps a local slot to a state variable (locals of task and
    interrupt programs persist across steps); a slot not in it is a register
    that lives only inside the current action (``regs``).
    """

    func: ir.Function
    slots: dict[int, int]
    regs: dict[int, Expr] = field(default_factory=dict)
    ret: Expr = field(default_factory=lambda: Const(0))
    returned: Expr = field(default_factory=lambda: FALSE)
    broken: Expr = field(default_factory=lambda: FALSE)
    continued: Expr = field(default_factory=lambda: FALSE)
    jumping: dict[str, Expr] = field(default_factory=dict)  # label -> a goto to it taken
    labels: dict[str, int] = field(default_factory=dict)  # label -> CFG node (world.py)


@dataclass
class Shared:
    """What every executor of one system shares."""

    lay: Layout
    world: World
    checked: frozenset[PropertyId]
    violations: monitors.Violations
    ptes_kernel: tuple[bool, ...]
    bottom_halves: bool = False  # some code calls local_bh_disable(): in_interrupt() varies


class Exec:
    """One action under construction: the written variables, its guard, its source steps."""

    def __init__(self, sh: Shared, ctx: Context) -> None:
        self.sh = sh
        self.lay = sh.lay
        self.w = sh.world
        self.ctx = ctx
        self.env: dict[int, Expr] = {}
        self.guard: Expr = TRUE
        self.steps: list[SourceStep] = []
        self.halted: Expr = FALSE  # a BUG() fired on this path: the kernel stopped
        self.quiet = False  # evaluating a monitor's pure helper: no debug-preempt check
        self.atomic = 0  # inside how many atomic { } blocks (debug-preempt is quiet there)

    # ------------------------------------------------------------ state access
    def read(self, var: int) -> Expr:
        """The symbolic value of state variable ``var`` at this point of the action."""
        return self.env.get(var, Var(var))

    def write(self, var: int, value: Expr, when: Expr) -> None:
        """``var := value`` where ``when`` holds; monitor state freezes once a violation fired."""
        v = self.w.violation
        if v in self.env and var != v and self.lay.vars[var].kind is VarKind.GHOST:
            # the report explains the state the monitor saw when it fired, not a later
            # write of the same step (issue 13 item 5)
            when = conj(when, eq(self.env[v], Const(0)))
        self.env[var] = ite(when, value, self.read(var))

    def select(self, base: int, size: int, index: Expr) -> Expr:
        """The symbolic value of ``vars[base + index]`` for a symbolic index below ``size``."""
        if isinstance(index, Const):
            return self.read(base + index.value)
        if size == 1:
            return self.read(base)
        if not any(base + k in self.env for k in range(size)):
            return Select(base, size, index)
        acc = self.read(base + size - 1)
        for k in range(size - 2, -1, -1):
            acc = ite(eq(index, Const(k)), self.read(base + k), acc)
        return acc

    def write_at(self, base: int, size: int, index: Expr, value: Expr, when: Expr) -> None:
        """``vars[base + index] := value`` where ``when`` holds, for a symbolic index."""
        if isinstance(index, Const):
            self.write(base + index.value, value, when)
            return
        for k in range(size):
            self.write(base + k, value, conj(when, eq(index, Const(k))))

    def cells(self, sym: str, where: Expr | None, index: tuple[Expr, ...]
              ) -> list[tuple[Expr, int]]:
        """Every element ``sym[where][index...]`` may denote, with its condition."""
        base, shape = self.lay.arrays[sym]
        subs = ([where] if where is not None else []) + list(index)
        out = []
        for combo in itertools.product(*(range(n) for n in shape)):
            cond: Expr = TRUE
            flat = 0
            for s, k, n in zip(subs, combo, shape, strict=True):
                cond = conj(cond, eq(s, Const(k)))
                flat = flat * n + k
            if cond != FALSE:
                out.append((cond, base + flat))
        return out

    # ------------------------------------------------------------ expressions
    def expr(self, e: ir.IExpr, frame: Frame | None,
             params: dict[int, Expr] | None = None) -> Expr:
        """Translate an IR expression into a system expression over the pre-state."""
        match e:
            case ir.EConst(value=v):
                return Const(v)
            case ir.ELocal(slot=s):
                if params is not None:
                    return params[s]
                assert frame is not None
                if s in frame.slots:
                    return self.read(frame.slots[s])
                return frame.regs.get(s, Const(type_domain(e.type, self.lay)[0]))
            case ir.EVar(sym=sym, where=where, index=index):
                w = self.expr(where, frame, params) if where is not None else None
                ix = tuple(self.expr(i, frame, params) for i in index)
                cells = self.cells(sym, w, ix)
                if len(cells) == 1:
                    return self.read(cells[0][1])
                base, shape = self.lay.arrays[sym]
                if len(shape) == 1:
                    return self.select(base, shape[0], w if w is not None else ix[0])
                acc = self.read(cells[-1][1])
                for cond, var in reversed(cells[:-1]):
                    acc = ite(cond, self.read(var), acc)
                return acc
            case ir.EFlag(flag=f, task=t):
                base = self.w.flags + f * self.lay.nall
                return self.select(base, self.lay.nall, self.expr(t, frame, params))
            case ir.ELockHeld(lock=lk):
                return neg(eq(self.read(self.w.lock_owner + lk), Const(NONE)))
            case ir.EWorld(what=what, args=args):
                return self.world(what, tuple(self.expr(a, frame, params) for a in args))
            case ir.EUnary(op="!", arg=a):
                return neg(truth(self.expr(a, frame, params)))
            case ir.EUnary(op="-", arg=a):
                return simplify_binary(BinOp.SUB, Const(0), self.expr(a, frame, params))
            case ir.EBinary(op=op, left=a, right=b):
                ea, eb = self.expr(a, frame, params), self.expr(b, frame, params)
                if op in ("&&", "||"):
                    ea, eb = truth(ea), truth(eb)
                return simplify_binary(_BINOPS[op], ea, eb)
            case ir.ECond(cond=c, then=t, other=o):
                return ite(truth(self.expr(c, frame, params)), self.expr(t, frame, params),
                           self.expr(o, frame, params))
            case ir.EPureCall(func=fname, args=args):
                fn = self.sh.lay.program.function(fname)
                bound = {p.slot: self.expr(a, frame, params)
                         for p, a in zip(fn.params, args, strict=True)}
                body = fn.body[0]
                assert isinstance(body, ir.SReturn) and body.value is not None
                return self.expr(body.value, None, bound)
        raise AssertionError(e)

    def pure(self, fname: str, args: tuple[Expr, ...]) -> Expr:
        """Value of a pure model function applied to already translated arguments."""
        fn = self.lay.program.function(fname)
        body = fn.body[0]
        assert isinstance(body, ir.SReturn) and body.value is not None
        quiet, self.quiet = self.quiet, True  # a monitor asks; the kernel code does not run
        try:
            return self.expr(body.value, None, {p.slot: a for p, a in
                                                zip(fn.params, args, strict=True)})
        finally:
            self.quiet = quiet

    def lazy(self, task: Expr, cpu: Expr) -> Expr:
        """The arch's notion of "task on cpu is in lazy MMU mode"."""
        return disj(truth(self.pure("lazy_mmu_task", (task,))),
                    truth(self.pure("lazy_mmu_cpu", (cpu,))))

    def preempt_count(self, task: Expr) -> Expr:
        """The ``preempt_count()`` of ``task``."""
        return self.select(self.w.preempt_count, self.lay.nall, task)

    def world(self, what: ir.World, args: tuple[Expr, ...]) -> Expr:
        """The value of a kernel-world read (``current``, ``in_interrupt()``, a PTE, ...)."""
        ctx = self.ctx
        match what:
            case ir.World.THIS_CPU:
                return ctx.cpu
            case ir.World.CHECKED_CPU:
                if not self.quiet and not self.atomic:
                    monitors.debug_preempt(self)
                return ctx.cpu
            case ir.World.CURRENT:
                return ctx.task
            case ir.World.IN_INTERRUPT:
                # in_interrupt() counts softirq-disabled sections too (H17)
                if ctx.in_irq or ctx.in_switch or not self.sh.bottom_halves:
                    return TRUE if ctx.in_irq else FALSE
                return neg(eq(self.select(self.w.bh_off, self.lay.nall, ctx.task), Const(0)))
            case ir.World.PREEMPTIBLE:
                if ctx.in_irq or ctx.in_switch:
                    return FALSE
                return conj(eq(self.preempt_count(ctx.task), Const(0)),
                            neg(self.irqs_off(ctx.task)))
            case ir.World.PREEMPT_COUNT:
                return self.preempt_count(ctx.task)
            case ir.World.IRQS_DISABLED:
                if ctx.in_irq or ctx.in_switch:
                    return TRUE
                return self.irqs_off(ctx.task)
            case ir.World.PTE_MEM:
                return self.select(self.w.pte_mem, self.lay.nptes, args[0])
            case ir.World.PTE_HW:
                return self.select(self.w.pte_hw, self.lay.nptes, args[0])
            case ir.World.ISB_PENDING:
                if self.w.isb_owed == NONE:
                    return FALSE
                return truth(self.select(self.w.isb_owed, self.lay.nall, ctx.task))
            case ir.World.PTE_IS_KERNEL:
                acc: Expr = FALSE
                for k, kern in enumerate(self.sh.ptes_kernel):
                    if kern:
                        acc = disj(acc, eq(args[0], Const(k)))
                return acc
        raise AssertionError(what)

    def irqs_off(self, task: Expr) -> Expr:
        """Whether interrupts are disabled for ``task`` (``irqs_disabled()``)."""
        return self.select(self.w.irqs_off, self.lay.nall, task)

    # ------------------------------------------------------------ violations
    def violate(self, site: Violation, bad: Expr) -> None:
        """Set the violation variable to ``site``'s code where ``bad`` holds (first wins)."""
        prop = site.property_id
        if bad == FALSE or (prop not in self.sh.checked and prop is not PropertyId.MODEL_BOUNDS):
            return
        code = self.sh.violations.code(site)
        v = self.w.violation
        self.write(v, Const(code), conj(eq(self.read(v), Const(0)), bad))

    def store(self, cells: list[tuple[Expr, int]], value: Expr, ty: ir.Type, when: Expr,
              span: Span, what: str) -> None:
        """Assign ``value`` to the cells, keeping it in the variable's domain."""
        for cond, var in cells:
            sv = self.lay.vars[var]
            v = value
            if ty.kind is ir.Kind.INT and ty.wrap:
                v = Wrap(v, sv.lo, sv.hi)
            elif ty.kind is ir.Kind.INT:
                out = disj(simplify_binary(BinOp.LT, v, Const(sv.lo)),
                           simplify_binary(BinOp.GT, v, Const(sv.hi)))
                if out != FALSE:
                    monitors.bounds(self, conj(when, cond, out),
                                    f"{what} goes outside {ty} (value out of its declared "
                                    "range)", span, what)
                    v = ite(out, Const(sv.lo), v)
            self.write(var, v, conj(when, cond))

    def bounds(self, bad: Expr, message: str, span: Span | None) -> None:
        """The model leaves its finite abstraction where ``bad`` holds (UNKNOWN)."""
        monitors.bounds(self, bad, message, span)

    # ------------------------------------------------------------ statements
    def run(self, stmts: tuple[ir.IStmt, ...], frame: Frame, when: Expr,
            call: Callable[[ir.SCall, Frame, Expr], None] | None = None) -> None:
        """Execute ``stmts`` where ``when`` holds, following returns, breaks and gotos."""
        for s in stmts:
            if isinstance(s, ir.SLabel):  # the paths that jumped here resume
                frame.jumping.pop(s.label, None)
                continue
            eff = conj(when, neg(frame.returned), neg(frame.broken), neg(frame.continued),
                       neg(self.halted), *(neg(j) for j in frame.jumping.values()))
            if eff == FALSE:
                if frame.jumping:
                    continue  # a later label may resume the paths that jumped
                return
            self.stmt(s, frame, eff, call)

    def stmt(self, s: ir.IStmt, frame: Frame, when: Expr,
             call: Callable[[ir.SCall, Frame, Expr], None] | None = None) -> None:
        """Execute one statement where ``when`` holds, recording it for traces."""
        fname = frame.func.name
        match s:
            case ir.SAssign(target=lv, value=value, span=span, text=text):
                if text:  # "": the rest of one statement (read_thread_flags()'s bits)
                    self.steps.append(SourceStep(fname, text, span, when))
                self.assign(lv, self.expr(value, frame), frame, when, span, text)
            case ir.SCall():
                self.steps.append(SourceStep(fname, s.text, s.span, when))
                if call is not None:
                    call(s, frame, when)
                else:
                    self.inline_call(s, frame, when)
            case ir.SBuiltin():
                self.steps.append(SourceStep(fname, s.text, s.span, when))
                self.builtin(s, frame, when)
            case ir.SIf(cond=c, then=then, other=other):
                if s.text != "{":  # recorded first: a check in the condition fires here
                    self.steps.append(SourceStep(fname, s.text, s.span, when))
                cv = truth(self.expr(c, frame))
                self.run(then, frame, conj(when, cv), call)
                self.run(other, frame, conj(when, neg(cv)), call)
            case ir.SReturn(value=v, span=span, text=text):
                self.steps.append(SourceStep(fname, text, span, when))
                if v is not None:
                    frame.ret = ite(when, self.expr(v, frame), frame.ret)
                frame.returned = disj(frame.returned, when)
            case ir.SAtomic(body=body):
                self.atomic += 1  # get_cpu_var()/local_irq_save(): the task cannot migrate
                try:
                    self.run(body, frame, when, call)
                finally:
                    self.atomic -= 1
            case ir.SFor(slot=slot, lo=lo, hi=hi, body=body):
                saved_b, saved_c = frame.broken, frame.continued
                for i in range(lo, hi):
                    self.set_local(frame, slot, Const(i), when)
                    frame.continued = FALSE
                    self.run(body, frame, when, call)
                frame.broken, frame.continued = saved_b, saved_c
            case ir.SGoto(label=label):
                self.steps.append(SourceStep(fname, s.text, s.span, when))
                frame.jumping[label] = disj(frame.jumping.get(label, FALSE), when)
            case ir.SNondet(span=span):
                raise ModelError([Diagnostic(
                    "LZC302", "__nondet() in code that runs as one step", span,
                    help="a choice is a step of its own: do not call a function that "
                         "makes one from an atomic block or a context-switch hook")])
            case ir.SJump(kind=kind):
                if kind == "break":
                    frame.broken = disj(frame.broken, when)
                else:
                    frame.continued = disj(frame.continued, when)

    def set_local(self, frame: Frame, slot: int, value: Expr, when: Expr) -> None:
        """Assign a local: its state variable if it has one, else its register value."""
        if slot in frame.slots:
            self.write(frame.slots[slot], value, when)
        else:
            old = frame.regs.get(slot, Const(type_domain(frame.func.locals[slot].type,
                                                         self.lay)[0]))
            frame.regs[slot] = ite(when, value, old)

    def assign(self, lv: ir.LValue, value: Expr, frame: Frame, when: Expr, span: Span,
               text: str) -> None:
        """Execute a store to a local, a declared variable or a thread flag."""
        match lv:
            case ir.LLocal(slot=slot):
                ty = frame.func.locals[slot].type
                if slot in frame.slots:
                    self.store([(TRUE, frame.slots[slot])], value, ty, when, span,
                               frame.func.locals[slot].name)
                else:
                    self.set_local(frame, slot, value, when)
            case ir.LVar(sym=sym, where=where, index=index):
                w = self.expr(where, frame) if where is not None else None
                ix = tuple(self.expr(i, frame) for i in index)
                ty = self.lay.program.var(sym).type
                self.store(self.cells(sym, w, ix), value, ty, when, span, sym)
            case ir.LFlag(flag=f, task=t):
                base = self.w.flags + f * self.lay.nall
                self.write_at(base, self.lay.nall, self.expr(t, frame), truth(value), when)

    def inline_call(self, s: ir.SCall, frame: Frame, when: Expr) -> None:
        """Execute a model function call inside the current action."""
        fn = self.lay.program.function(s.func)
        callee = Frame(fn, {})
        for p, a in zip(fn.params, s.args, strict=True):
            callee.regs[p.slot] = self.expr(a, frame)
        self.run(fn.body, callee, when)
        if s.dest is not None:
            self.assign(s.dest, callee.ret, frame, when, s.span, s.text)

    def builtin(self, s: ir.SBuiltin, frame: Frame, when: Expr) -> None:
        """Run a built-in statement (preempt/irq/lock/PTE/barrier/monitor built-ins)."""
        args = tuple(self.expr(a, frame) for a in s.args)
        fname = frame.func.name
        if s.op in _PTE_OPS:
            self._pte_builtin(s.op, args, when)
            if s.op is not ir.Builtin.PTE_STORE:
                # a later check in the same step must see this write as taken effect
                self.settle_writes()
        elif s.op in _MONITOR_OPS:
            self._monitor_builtin(s, fname, args, when)
        else:
            self._sched_builtin(s, fname, args, when)

    def _sched_builtin(self, s: ir.SBuiltin, fname: str, args: tuple[Expr, ...],
                       when: Expr) -> None:
        """Preemption, interrupts and locks: the state the scheduler reads."""
        ctx, w, lay = self.ctx, self.w, self.lay
        match s.op:
            case ir.Builtin.PREEMPT_DISABLE | ir.Builtin.PREEMPT_ENABLE:
                if ctx.in_irq:
                    return  # an interrupt's own preempt_count pairs are not modelled
                self.add_preempt(1 if s.op is ir.Builtin.PREEMPT_DISABLE else -1, when, s,
                                 fname)
            case ir.Builtin.IRQ_DISABLE | ir.Builtin.IRQ_ENABLE:
                if ctx.in_irq or ctx.in_switch:
                    return
                self.write_at(w.irqs_off, lay.nall, ctx.task,
                              Const(int(s.op is ir.Builtin.IRQ_DISABLE)), when)
            case ir.Builtin.SPIN_LOCK:
                lock = args[0]
                assert isinstance(lock, Const)
                if lay.config.preempt is Preempt.RT and not ctx.in_irq:
                    monitors.rt_spin_lock(self, s, fname, when)
                owner = w.lock_owner + lock.value
                may_take = monitors.lock_again(self, s, fname, when, owner)
                self.guard = conj(self.guard, disj(neg(when), may_take))
                self.write(owner, ctx.task, when)
                self.lock_side(+1, when, s, fname)
            case ir.Builtin.SPIN_UNLOCK:
                lock = args[0]
                assert isinstance(lock, Const)
                self.write(w.lock_owner + lock.value, Const(NONE), when)
                self.lock_side(-1, when, s, fname)
            case ir.Builtin.BH_DISABLE | ir.Builtin.BH_ENABLE:
                self.bottom_halves(1 if s.op is ir.Builtin.BH_DISABLE else -1, when, s, fname)
            case ir.Builtin.ISB:
                self.isb(when)
            case ir.Builtin.FORK:
                self.fork(s.prop, when)
            case ir.Builtin.SCHEDULE | ir.Builtin.MB:
                pass  # smp_mb(): model variables are sequentially consistent already

    def isb(self, when: Expr) -> None:
        """isb(): the running thread has context-synchronized since its store was published.

        emit_pte_barriers() (arch/arm64/include/asm/pgtable.h) issues dsb then isb; if the
        thread is switched out between them, __switch_to()'s dsb publishes the store and
        the isb is still issued when the thread runs again, on whatever CPU: the
        obligation belongs to the thread, not to the CPU that ran the dsb."""
        if self.w.isb_owed != NONE:
            self.write_at(self.w.isb_owed, self.lay.nall, self.ctx.task, FALSE, when)

    def fork(self, child: str, when: Expr) -> None:
        """fork(child): copy_process() -> dup_task_struct() copies the parent's
        task_struct whole ("*dst = *src", kernel/fork.c at torvalds/linux 0006ebb4cad2), so
        the first unborn instance of ``child`` gets every per-task variable and thread flag
        of the running task, and may be switched in from then on (its first switch-in runs
        the context-switch hooks, then ret_from_fork -> schedule_tail()).  With no unborn
        instance left, copy_process() fails and nothing changes."""
        lay, w, parent = self.lay, self.w, self.ctx.task
        free = when
        for k in (t for t in range(lay.ntasks) if lay.config.tasks[t] == child):
            now = conj(free, eq(self.read(w.born + k), Const(0)))
            free = conj(free, neg(now))
            self.write(w.born + k, Const(1), now)
            for sym in (s for s in lay.program.vars if s.storage == "pertask"):
                base, shape = lay.arrays[sym.name]
                inner = _prod(shape[1:])
                for j in range(inner):
                    self.write(base + k * inner + j,
                               self.read_task_cell(base, inner, parent, j), now)
            nflags = max(1, len(lay.program.flags))
            for f in range(nflags):
                row = w.flags + f * lay.nall
                self.write(row + k, self.select(row, lay.nall, parent), now)

    def read_task_cell(self, base: int, inner: int, task: Expr, j: int) -> Expr:
        """Element ``j`` of task ``task``'s row of a per-task array with ``inner`` columns."""
        if isinstance(task, Const):
            return self.read(base + task.value * inner + j)
        acc = self.read(base + (self.lay.nall - 1) * inner + j)
        for t in range(self.lay.nall - 2, -1, -1):
            acc = ite(eq(task, Const(t)), self.read(base + t * inner + j), acc)
        return acc

    def bottom_halves(self, delta: int, when: Expr, s: ir.SBuiltin, fname: str) -> None:
        """local_bh_disable()/local_bh_enable() in a task.

        The softirq count is part of preempt_count (SOFTIRQ_DISABLE_OFFSET), so on
        a !PREEMPT_RT kernel a BH-disabled task is not preemptible either; on
        PREEMPT_RT local_bh_disable() is a per-CPU lock and leaves preemption on.
        """
        ctx = self.ctx
        if ctx.in_irq or ctx.in_switch:
            return
        base, n = self.w.bh_off, self.lay.nall
        cur = self.select(base, n, ctx.task)
        if delta < 0:
            monitors.preempt_underflow(self, s, fname, conj(when, eq(cur, Const(0))))
            new = ite(eq(cur, Const(0)), cur, simplify_binary(BinOp.SUB, cur, Const(1)))
        else:
            self.bounds(conj(when, eq(cur, Const(BH_MAX))),
                        f"{s.text}: local_bh_disable() nested deeper than {BH_MAX}", s.span)
            new = ite(eq(cur, Const(BH_MAX)), cur, simplify_binary(BinOp.ADD, cur, Const(1)))
        self.write_at(base, n, ctx.task, new, when)
        if self.lay.config.preempt is not Preempt.RT:
            self.add_preempt(delta, when, s, fname)

    def _monitor_builtin(self, s: ir.SBuiltin, fname: str, args: tuple[Expr, ...],
                         when: Expr) -> None:
        """Built-ins that are checks: BUG_ON, WARN_ON, __check, TLB flush, might_sleep."""
        match s.op:
            case ir.Builtin.BUG:
                # the kernel oopses here: nothing after it in this step runs
                fired = conj(when, truth(args[0]))
                monitors.bug(self, s, fname, fired)
                self.halted = disj(self.halted, fired)
            case ir.Builtin.WARN:
                monitors.warn(self, s, fname, conj(when, truth(args[0])))
            case ir.Builtin.CHECK if s.prop == PropertyId.MODEL_BOUNDS:  # while past __bound
                self.bounds(conj(when, neg(truth(args[0]))), f"{s.text} runs past its __bound",
                            s.span)
            case ir.Builtin.CHECK:
                monitors.check(self, s, fname, conj(when, neg(truth(args[0]))))
            case ir.Builtin.TLB_FLUSH:
                monitors.tlb_flush(self, s, fname, when, args[0])
            case ir.Builtin.SLEEP:
                monitors.sleep(self, s, fname, when)

    def _pte_builtin(self, op: ir.Builtin, args: tuple[Expr, ...], when: Expr) -> None:
        """PTE memory, the hardware walker's view, and the per-CPU store buffers."""
        ctx, w, lay = self.ctx, self.w, self.lay
        match op:
            case ir.Builtin.PTE_WRITE:
                p, v = args
                self.supersede(p, v, when)
                self.write_at(w.pte_mem, lay.nptes, p, v, when)
                self.write_at(w.pte_hw, lay.nptes, p, v, when)
                for c in range(lay.ncpus):
                    self.write_at(w.stored + c * lay.nptes, lay.nptes, p, FALSE, when)
            case ir.Builtin.PTE_STORE:
                p, v = args
                self.supersede(p, v, when)
                self.write_at(w.pte_mem, lay.nptes, p, v, when)
                for c in range(lay.ncpus):
                    self.write_at(w.stored + c * lay.nptes, lay.nptes, p, TRUE,
                                  conj(when, eq(ctx.cpu, Const(c))))
            case ir.Builtin.PTE_SYNC:
                (p,) = args
                self.write_at(w.pte_hw, lay.nptes, p, self.select(w.pte_mem, lay.nptes, p),
                              when)
                for c in range(lay.ncpus):
                    self.write_at(w.stored + c * lay.nptes, lay.nptes, p, FALSE, when)
            case ir.Builtin.DSB:
                published: Expr = FALSE
                for c in range(lay.ncpus):
                    on_c = conj(when, eq(ctx.cpu, Const(c)))
                    for q in range(lay.nptes):
                        st = w.stored + c * lay.nptes + q
                        pending = conj(on_c, self.read(st))
                        published = disj(published, pending)
                        self.write(w.pte_hw + q, self.read(w.pte_mem + q), pending)
                        self.write(st, FALSE, on_c)
                if w.isb_owed != NONE:  # the thread that stored owes an isb (Exec.isb)
                    self.write_at(w.isb_owed, lay.nall, ctx.task, TRUE, published)

    def add_preempt(self, delta: int, when: Expr, s: ir.SBuiltin, fname: str) -> None:
        """preempt_count += delta for the running task, checked at both ends."""
        cur = self.preempt_count(self.ctx.task)
        if delta < 0:
            monitors.preempt_underflow(self, s, fname, conj(when, eq(cur, Const(0))))
            new = ite(eq(cur, Const(0)), Const(0), simplify_binary(BinOp.SUB, cur, Const(1)))
        else:
            self.bounds(conj(when, eq(cur, Const(ir.PREEMPT_MAX))),
                        f"{s.text}: preempt_count above {ir.PREEMPT_MAX}", s.span)
            new = ite(eq(cur, Const(ir.PREEMPT_MAX)), cur,
                      simplify_binary(BinOp.ADD, cur, Const(1)))
        self.write_at(self.w.preempt_count, self.lay.nall, self.ctx.task, new, when)

    def lock_side(self, delta: int, when: Expr, s: ir.SBuiltin, fname: str) -> None:
        """A non-RT spinlock disables preemption; an RT one only pins the CPU."""
        if self.ctx.in_irq:
            return
        if self.lay.config.preempt is not Preempt.RT:
            self.add_preempt(delta, when, s, fname)
            return
        base, n = self.w.pinned, self.lay.nall
        cur = self.select(base, n, self.ctx.task)
        hi = self.lay.vars[base].hi
        new = simplify_binary(BinOp.ADD if delta > 0 else BinOp.SUB, cur, Const(1))
        new = ite(simplify_binary(BinOp.LT, new, Const(0)), Const(0),
                  ite(simplify_binary(BinOp.GT, new, Const(hi)), Const(hi), new))
        self.write_at(base, n, self.ctx.task, new, when)

    # ------------------------------------------------------------ ghost bookkeeping
    def supersede(self, p: Expr, v: Expr, when: Expr) -> None:
        """A store of ``v`` to PTE ``p`` ends another writer's pending write already in memory.

        The other write is in the page table (memory holds its value) but the walker
        may not have seen it yet.  Once a different value replaces it in memory, it can
        never become visible: it is superseded in coherence order, not deferred (a
        write still queued by an arch, e.g. in a Xen multicall or a powerpc batch, is
        not in memory and stays pending).  Without this rule two tasks writing one PTE
        under its lock, one after the other, left the first write pending forever."""
        w, lay = self.w, self.lay
        old = self.select(w.pte_mem, lay.nptes, p)
        replaced = conj(when, neg(eq(v, old)))
        if replaced == FALSE:
            return
        for wr in range(lay.nwriters):
            row = w.wflag + wr * lay.nptes
            # a switch hook writes no ghost row of its own (its Context's writer is a
            # placeholder): every writer's write in memory is another's
            other = TRUE if self.ctx.in_switch else neg(eq(self.ctx.writer, Const(wr)))
            for q in range(lay.nptes):
                gone = conj(replaced, other, eq(p, Const(q)),
                            self.read(row + q),
                            eq(self.read(w.wval + wr * lay.nptes + q), old))
                if gone != FALSE:
                    self.write(row + q, FALSE, gone)

    def settle_writes(self) -> None:
        """A pending PTE write has taken effect once hardware sees its value."""
        w, lay = self.w, self.lay
        for q in range(lay.nptes):
            hw_touched = (w.pte_hw + q) in self.env
            for wr in range(lay.nwriters):
                fl = w.wflag + wr * lay.nptes + q
                if not hw_touched and fl not in self.env:
                    continue
                val = self.read(w.wval + wr * lay.nptes + q)
                seen = conj(self.read(fl), eq(val, self.read(w.pte_hw + q)))
                if seen != FALSE:
                    self.write(fl, FALSE, seen)

    def updates(self) -> dict[int, Expr]:
        """The action's updates: every variable whose value changed."""
        return {k: v for k, v in self.env.items() if v != Var(k)}


def truth(e: Expr) -> Expr:
    """C truth value of an int expression as 0/1."""
    if isinstance(e, Const):
        return TRUE if e.value else FALSE
    if isinstance(e, Not) or (hasattr(e, "op") and e.op in (
            BinOp.EQ, BinOp.NE, BinOp.LT, BinOp.LE, BinOp.GT, BinOp.GE, BinOp.AND,
            BinOp.OR)):
        return e
    return neg(eq(e, Const(0)))


def is_shared_var(lay: Layout, var: int) -> bool:
    """Whether another actor can read or write ``var`` (so an access is visible)."""
    return lay.vars[var].kind not in (VarKind.LOCAL, VarKind.PC, VarKind.GHOST)


def _prod(xs: tuple[int, ...]) -> int:
    out = 1
    for x in xs:
        out *= x
    return out
