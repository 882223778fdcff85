"""The kernel world: a checked program plus a kernel configuration -> a System.

Each task runs its program on whatever CPU the scheduler gives it.  Its
program is inlined into a control-flow graph whose edges are single
statements (an ``atomic { }`` block or a ``this_cpu_*`` op is one edge).
Edges that touch only the task's own locals are fused with their
neighbours (a Lipton reduction: such steps commute with every other actor,
so no interleaving is lost), which keeps traces short.  On top come:

* context switches on each CPU: ``arch_start_context_switch(prev)``,
  ``__switch_to(prev, next)`` and ``arch_end_context_switch(next)`` run as
  one step with preemption and interrupts off; the incoming task may have
  last run on another CPU (migration);
* interrupts: between any two steps of a task with IRQs on, a handler may
  start on that CPU and runs to completion with ``in_interrupt()`` true
  and ``current`` the interrupted task;
* property monitors, compiled into the steps that call the API's
  enter/leave/pause/resume (as named by ``lazy_mmu_api``) and the PTE
  write functions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from lazycheck import ir
from lazycheck.diagnostics import Diagnostic
from lazycheck.errors import ModelError
from lazycheck.kernel import monitors, symroles
from lazycheck.kernel.config import KernelConfig
from lazycheck.kernel.layout import (
    NONE,
    Layout,
    World,
    build_world,
    model_vars,
    type_domain,
)
from lazycheck.kernel.scheduler import Scheduler, TaskPoints
from lazycheck.kernel.symexec import (
    Context,
    Exec,
    Frame,
    Shared,
    is_shared_var,
    truth,
)
from lazycheck.kernel.watch import watches
from lazycheck.properties import BY_ID
from lazycheck.system import (
    FALSE,
    TRUE,
    Action,
    ActionKind,
    Assign,
    BinOp,
    Const,
    Expr,
    Select,
    SourceStep,
    System,
    Var,
    VarKind,
    conj,
    disj,
    eq,
    free_vars,
    ite,
    neg,
    simplify_binary,
    substitute,
)

IRQ_IN_SECTION = "an interrupt arrived inside a section"
SCHED_POINTS = (ir.Builtin.SCHEDULE, ir.Builtin.SLEEP)


@dataclass
class Edge:
    """One CFG edge of a program: a guarded atomic step and the source it ran."""

    src: int
    dst: int
    guard: Expr
    updates: dict[int, Expr]
    steps: tuple[SourceStep, ...]
    shared: bool


@dataclass
class Cfg:
    """The control-flow graph of one task or interrupt program instance."""

    nodes: int = 0
    edges: list[Edge] = field(default_factory=list)
    sched_points: set[int] = field(default_factory=set)
    entry: int = 0
    exit: int = 0

    def new(self) -> int:
        """Add a node; its number."""
        self.nodes += 1
        return self.nodes - 1


@dataclass(frozen=True, slots=True)
class Path:
    """A fused run of edges between two stable nodes: one action of the system."""

    src: int
    dst: int
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]
    steps: tuple[SourceStep, ...]


class ProgramBuilder:
    """Builds and fuses the CFG of one task or interrupt program instance."""

    def __init__(self, sh: Shared, ctx: Context, owner: str, is_task: bool) -> None:
        self.sh = sh
        self.lay = sh.lay
        self.ctx = ctx
        self.owner = owner
        self.is_task = is_task
        self.cfg = Cfg()
        self.slot_vars: dict[tuple[str, int], int] = {}
        self.ret_vars: dict[str, int] = {}

    # ------------------------------------------------------------ locals
    def frame(self, fn: ir.Function) -> Frame:
        """The frame of ``fn`` with a state variable for each of its locals."""
        slots = {}
        for loc in fn.locals:
            key = (fn.name, loc.slot)
            if key not in self.slot_vars:
                lo, hi, labels = type_domain(loc.type, self.lay)
                self.slot_vars[key] = self.lay.alloc(f"{self.owner}.{fn.name}.{loc.name}",
                                                     lo, hi, VarKind.LOCAL, lo, labels)
            slots[loc.slot] = self.slot_vars[key]
        return Frame(fn, slots)

    def ret_var(self, fn: ir.Function) -> int:
        """The state variable holding ``fn``'s return value across steps."""
        if fn.name not in self.ret_vars:
            lo, hi, labels = type_domain(fn.ret, self.lay)
            self.ret_vars[fn.name] = self.lay.alloc(f"{self.owner}.{fn.name}.<ret>", lo, hi,
                                                    VarKind.LOCAL, lo, labels)
        return self.ret_vars[fn.name]

    def exec(self) -> Exec:
        """A fresh symbolic execution of one step in this program's context."""
        return Exec(self.sh, self.ctx)

    def add(self, src: int, dst: int, ex: Exec, shared: bool | None = None) -> None:
        """Add an edge with the step ``ex`` executed; ``shared`` if it touches shared state."""
        ex.settle_writes()
        ups = ex.updates()
        if shared is None:
            touched = set(ups)
            free_vars(ex.guard, touched)
            for v in ups.values():
                free_vars(v, touched)
            shared = any(is_shared_var(self.lay, v) for v in touched)
        self.cfg.edges.append(Edge(src, dst, ex.guard, ups, tuple(ex.steps), shared))

    # ------------------------------------------------------------ building
    def build_program(self, fn: ir.Function) -> None:
        """Build the CFG of ``fn`` as a whole task or interrupt program."""
        cfg = self.cfg
        cfg.entry = cfg.new()
        frame = self.frame(fn)
        exit_node = cfg.new()
        end = self.block(fn.body, cfg.entry, frame, exit_node, None)
        if end is not None:
            self.add(end, exit_node, self.exec(), shared=False)
        cfg.exit = cfg.new()
        ex = self.exec()
        self.reset_locals(ex, fn, frame)
        if self.is_task:
            monitors.on_task_end(ex, fn)
        self.add(exit_node, cfg.exit, ex, shared=False)

    def block(self, stmts: tuple[ir.IStmt, ...], n: int | None, frame: Frame, ret: int,
              loop: tuple[int, int] | None) -> int | None:
        """Add the edges of ``stmts`` from node ``n``; the node after them, if reachable."""
        for s in stmts:
            if isinstance(s, ir.SLabel):  # a goto target: reachable again
                n = self.label_node(s.label, n, frame)
            elif n is not None:  # else unreachable code after return/break/goto
                n = self.stmt(s, n, frame, ret, loop)
        return n

    def label_node(self, label: str, n: int | None, frame: Frame) -> int:
        """The node of ``label`` in this activation; falling through reaches it too."""
        if label not in frame.labels:
            frame.labels[label] = self.cfg.new()
        if n is not None:
            self.add(n, frame.labels[label], self.exec(), shared=False)
        return frame.labels[label]

    def stmt(self, s: ir.IStmt, n: int, frame: Frame, ret: int,
             loop: tuple[int, int] | None) -> int | None:
        """Add the edges of ``s`` from node ``n``; the node after it (None: no way on)."""
        match s:
            case ir.SIf():
                return self.if_stmt(s, n, frame, ret, loop)
            case ir.SReturn(value=v):
                ex = self.exec()
                ex.steps.append(SourceStep(frame.func.name, s.text, s.span))
                if v is not None:
                    ex.write(self.ret_var(frame.func), ex.expr(v, frame), TRUE)
                self.add(n, ret, ex)
                return None
            case ir.SFor():
                return self.for_stmt(s, n, frame, ret)
            case ir.SGoto(label=label):
                ex = self.exec()
                ex.steps.append(SourceStep(frame.func.name, s.text, s.span))
                self.add(n, self.label_node(label, None, frame), ex, shared=False)
                return None
            case ir.SJump(kind=kind):
                assert loop is not None
                self.add(n, loop[0] if kind == "break" else loop[1], self.exec(), shared=False)
                return None
            case ir.SCall():
                return self.call(s, n, frame)
            case ir.SNondet():
                return self.nondet(s, n, frame)
            case _:
                m = self.cfg.new()
                ex = self.exec()
                ex.stmt(s, frame, TRUE)
                if isinstance(s, ir.SBuiltin) and s.op in SCHED_POINTS:
                    self.add(n, m, ex, shared=ex.updates() != {} or None)
                    self.cfg.sched_points.add(m)
                else:
                    self.add(n, m, ex)
                return m

    def if_stmt(self, s: ir.SIf, n: int, frame: Frame, ret: int,
                loop: tuple[int, int] | None) -> int | None:
        """A branch decided at build time is inlined; otherwise two guarded edges."""
        cv = truth(self.exec().expr(s.cond, frame))
        if cv == TRUE:
            return self.block(s.then, n, frame, ret, loop)
        if cv == FALSE:
            return self.block(s.other, n, frame, ret, loop)
        join = self.cfg.new()
        for branch, cond in ((s.then, cv), (s.other, neg(cv))):
            start = self.cfg.new()
            be = self.exec()
            be.guard = cond
            be.steps.append(SourceStep(frame.func.name, s.text, s.span))
            be.expr(s.cond, frame)  # for its checks (debug-preempt): the value is cond's
            self.add(n, start, be)
            end = self.block(branch, start, frame, ret, loop)
            if end is not None:
                self.add(end, join, self.exec(), shared=False)
        return join

    def nondet(self, s: ir.SNondet, n: int, frame: Frame) -> int:
        """``__nondet()``: two edges, the local false on one and true on the other.  The
        choice is a step of its own (not fused with its neighbours: fusing k choices in a
        row would make 2^k paths)."""
        m = self.cfg.new()
        for value in (0, 1):
            ex = self.exec()
            ex.steps.append(SourceStep(frame.func.name, s.text, s.span))
            ex.set_local(frame, s.slot, Const(value), TRUE)
            self.add(n, m, ex, shared=True)
        return m

    def for_stmt(self, s: ir.SFor, n: int, frame: Frame, ret: int) -> int:
        """A bounded for loop, unrolled: one copy of the body per iteration."""
        cfg = self.cfg
        after = cfg.new()
        cur: int | None = n
        for i in range(s.lo, s.hi):
            if cur is None:
                break
            start = cfg.new()
            ex = self.exec()
            ex.set_local(frame, s.slot, Const(i), TRUE)
            self.add(cur, start, ex, shared=False)
            nxt = cfg.new()
            end = self.block(s.body, start, frame, ret, (after, nxt))
            if end is not None:
                self.add(end, nxt, self.exec(), shared=False)
            cur = nxt
        if cur is not None:
            self.add(cur, after, self.exec(), shared=False)
        return after

    def call(self, s: ir.SCall, n: int, frame: Frame) -> int:
        """Add a call of a model function from node ``n``, with its role's monitors."""
        cfg = self.cfg
        fn = self.lay.program.function(s.func)
        callee = self.frame(fn)
        role = self.role_of(fn.name, frame.func)
        entry, exit_node, after = cfg.new(), cfg.new(), cfg.new()
        ex = self.exec()
        ex.steps.append(SourceStep(frame.func.name, s.text, s.span))
        args = [ex.expr(a, frame) for a in s.args]
        for p, a in zip(fn.params, args, strict=True):
            ex.write(callee.slots[p.slot], a, TRUE)
        touched = set(ex.updates())
        for a in args:
            free_vars(a, touched)
        shared = any(is_shared_var(self.lay, v) for v in touched)
        monitors.on_call_entry(self.writer(), ex, fn, role, callee)
        self.add(n, entry, ex, shared=shared)
        end = self.block(fn.body, entry, callee, exit_node, None)
        if end is not None:
            self.add(end, exit_node, self.exec(), shared=False)
        rx = self.exec()
        if s.dest is not None:
            rx.assign(s.dest, rx.read(self.ret_var(fn)), frame, TRUE, s.span, s.text)
        monitors.on_call_exit(self.writer(), rx, fn, role, callee, s)
        self.reset_locals(rx, fn, callee)
        self.add(exit_node, after, rx, shared=False)
        return after

    def reset_locals(self, ex: Exec, fn: ir.Function, frame: Frame) -> None:
        """Dead locals are reset so that states differing only in them merge."""
        for loc in fn.locals:
            var = frame.slots[loc.slot]
            ex.write(var, Const(self.lay.init[var]), TRUE)
        if fn.name in self.ret_vars:
            var = self.ret_vars[fn.name]
            ex.write(var, Const(self.lay.init[var]), TRUE)

    # ------------------------------------------------------------ monitors
    def role_of(self, fname: str, caller: ir.Function) -> str | None:
        """The ``lazy_mmu_api`` role ``fname`` plays when a scenario calls it."""
        if caller.file_kind != "scenario":
            return None
        for role, f in self.lay.program.roles:
            if f == fname:
                return role
        return None

    def writer(self) -> monitors.Writer:
        """The ghost writer this program instance runs as."""
        return monitors.Writer(self.lay, self.sh.world, self.ctx)

    # ------------------------------------------------------------ fusion
    def fuse(self) -> tuple[list[int], list[Path]]:
        """Maximal paths with at most one shared edge, between stable nodes."""
        cfg = self.cfg
        out: dict[int, list[Edge]] = {}
        for e in cfg.edges:
            out.setdefault(e.src, []).append(e)
        stable = [cfg.entry]
        seen = {cfg.entry}
        paths: list[Path] = []
        k = 0
        while k < len(stable):
            s = stable[k]
            k += 1
            self._walk(s, s, TRUE, {}, (), False, out, paths, stable, seen)
        return stable, paths

    def frozen(self, var: int) -> bool:
        """Monitor state that keeps its value once a violation has fired in a step."""
        return var != self.sh.world.violation and self.lay.vars[var].kind is VarKind.GHOST

    def _walk(self, s: int, n: int, guard: Expr, ups: dict[int, Expr],
              steps: tuple[SourceStep, ...], shared: bool, out: dict[int, list[Edge]],
              paths: list[Path], stable: list[int], seen: set[int]) -> None:
        cfg = self.cfg
        moved = n != s
        edges = out.get(n, [])
        stop = n == cfg.exit or (moved and n in cfg.sched_points) or (
            shared and any(e.shared for e in edges))
        if stop or not edges:
            if moved:
                paths.append(Path(s, n, guard, tuple(sorted(ups.items())), steps))
                if n not in seen:
                    seen.add(n)
                    stable.append(n)
            return
        for e in edges:
            g = conj(guard, substitute(e.guard, ups))
            if g == FALSE:
                continue
            nu = dict(ups)
            fired = ups.get(self.sh.world.violation)
            for var, val in e.updates.items():
                nu[var] = substitute(val, ups)
                if fired is not None and self.frozen(var):
                    # a violation fired earlier on this path: the monitor's view stays
                    nu[var] = ite(eq(fired, Const(0)), nu[var], ups.get(var, Var(var)))
            st = steps + tuple(SourceStep(x.function, x.text, x.span,
                                          substitute(x.when, ups)) for x in e.steps)
            self._walk(s, e.dst, g, nu, st, shared or e.shared, out, paths, stable, seen)


class _Builder:
    def __init__(self, program: ir.Program, config: KernelConfig) -> None:
        self.program = program
        self.config = config
        self.lay = Layout(program, config)

    def build(self) -> System:
        """Instantiate the program for the configuration as a transition system."""
        prog, cfg, lay = self.program, self.config, self.lay
        self.validate()
        model_vars(lay)
        checked = frozenset(BY_ID[p].id for p in cfg.properties)
        # interrupt programs need their pc range before the world is laid out
        irq_fns = [prog.function(h) for h in cfg.irq_handlers]
        # lay out the world first with a provisional irq pc range, fixed below
        world = build_world(lay, irq_pcs=1)
        sh = Shared(lay, world, checked, monitors.Violations(),
                    tuple(p.kernel for p in prog.ptes) or (True,), lay.uses_bottom_halves)
        actions: list[Action] = []
        pcs: list[int] = []
        task_paths: list[tuple[int, ProgramBuilder, list[int], list[Path]]] = []
        owners: dict[int, tuple[int, int, str]] = {}  # symroles: per-instance variables
        for t, name in enumerate(cfg.tasks):
            fn = prog.function(name)
            first = len(lay.vars)
            pb = ProgramBuilder(sh, Context(Const(t), Var(world.cpu_of + t), Const(t), False,
                                            owner=lay.task_name(t)), lay.task_name(t), True)
            pb.build_program(fn)
            stable, paths = pb.fuse()
            pcs.append(lay.alloc(f"{lay.task_name(t)}.pc", 0, len(stable) - 1, VarKind.PC, 0))
            task_paths.append((t, pb, stable, paths))
            owners.update((v, (-1, t, f"prog.{v - first}")) for v in range(first, len(lay.vars)))
        irq_progs: list[tuple[int, int, ProgramBuilder, list[int], list[Path]]] = []
        next_pc = 0
        irq_pcs: list[tuple[int, int, int, int]] = []
        for c in range(lay.ncpus):
            for h, fn in enumerate(irq_fns):
                owner = f"irq@cpu{c}.{fn.name}"
                first = len(lay.vars)
                pb = ProgramBuilder(sh, Context(Var(world.curr + c), Const(c),
                                                Const(lay.ntasks + c), True, owner=owner),
                                    owner, False)
                pb.build_program(fn)
                stable, paths = pb.fuse()
                irq_progs.append((c, next_pc, pb, stable, paths))
                owners.update((v, (c, -1, f"irq{h}.{v - first}"))
                              for v in range(first, len(lay.vars)))
                irq_pcs.append((c, h, next_pc, len(stable)))
                next_pc += len(stable)
        # widen irq_pc to the real range now that handlers are numbered
        for c in range(lay.ncpus):
            var = world.irq_pc + c
            sv = lay.vars[var]
            lay.vars[var] = type(sv)(sv.name, NONE, max(next_pc - 1, NONE), sv.kind, sv.labels)
        for (t, pb, stable, paths), pc in zip(task_paths, pcs, strict=True):
            actions.extend(self.task_actions(t, pb, stable, paths, pc, world))
        for c, base, pb, stable, paths in irq_progs:
            actions.extend(self.irq_actions(c, base, pb, stable, paths, world))
        actions.extend(self.switch_actions(sh, task_paths, pcs))
        actions = with_reach_points(lay.program, actions)
        violations = sh.violations.all()
        sysvars = tuple(lay.vars)
        return System(sysvars, tuple(lay.init), tuple(actions), world.violation, violations,
                      tuple(sorted(checked)), {v.name: i for i, v in enumerate(sysvars)},
                      watches=watches(sh),
                      roles=symroles.roles(lay, world, owners, tuple(irq_pcs)))

    def validate(self) -> None:
        """Check the configuration's tasks, irq handlers and properties exist."""
        prog, cfg = self.program, self.config
        diags = []
        for name in (*cfg.tasks, *cfg.irq_handlers):
            try:
                fn = prog.function(name)
            except KeyError:
                diags.append(Diagnostic("LZC307", f"no program named '{name}'", None,
                                        help=f"task programs: {', '.join(prog.tasks) or '-'}; "
                                             f"irq programs: {', '.join(prog.irqs) or '-'}"))
                continue
            want = "task" if name in cfg.tasks else "irq"
            if not (fn.is_task if want == "task" else fn.is_irq):
                diags.append(Diagnostic("LZC307", f"'{name}' is not declared as a {want} "
                                        f"program", fn.span,
                                        help=f"declare it: {want} void {name}(void)"))
        for p in cfg.properties:
            if p not in BY_ID:
                diags.append(Diagnostic("LZC405", f"unknown property '{p}'", None,
                                        help="known: " + ", ".join(sorted(BY_ID))))
        if diags:
            raise ModelError(diags)

    def running(self, t: int, world_curr: int, cpu: Expr) -> Expr:
        """Whether task ``t`` is ``current`` on ``cpu``."""
        return eq(Select(world_curr, self.lay.ncpus, cpu), Const(t))

    def task_actions(self, t: int, pb: ProgramBuilder, stable: list[int], paths: list[Path],
                     pc: int, world: World) -> list[Action]:
        """The actions of task ``t``: one per fused path from each stable node."""
        num = {n: i for i, n in enumerate(stable)}
        cpu = Var(world.cpu_of + t)
        here = conj(self.running(t, world.curr, cpu),
                    eq(Select(world.irq_pc, self.lay.ncpus, cpu), Const(NONE)))
        out = []
        for k, p in enumerate(paths):
            guard = conj(eq(Var(pc), Const(num[p.src])), here, p.guard)
            ups = [Assign(v, e) for v, e in p.updates] + [Assign(pc, Const(num[p.dst]))]
            name = f"{self.lay.task_name(t)}:{num[p.src]}->{num[p.dst]}#{k}"
            steps = tuple(x for x in p.steps if x.text)
            out.append(Action(name, ActionKind.TASK, guard, tuple(ups), task=t,
                              steps=steps, summary=_summary(steps)))
        return out

    def irq_actions(self, c: int, base: int, pb: ProgramBuilder, stable: list[int],
                    paths: list[Path], world: World) -> list[Action]:
        """The actions of the interrupt handlers that may run on CPU ``c``."""
        lay = self.lay
        num = {n: base + i for i, n in enumerate(stable)}
        irq_pc = world.irq_pc + c
        out = []
        handler = pb.owner.split(".", 1)[1]
        curr = Var(world.curr + c)
        entry_guard = conj(eq(Var(irq_pc), Const(NONE)),
                           simplify_binary(BinOp.GT, Var(world.irq_budget), Const(0)),
                           neg(Select(world.irqs_off, lay.nall, curr)))
        if lay.program.function(handler).is_softirq:
            # a softirq raised while bottom halves are off waits: local_bh_enable() runs
            # it (kernel/softirq.c, __local_bh_enable_ip -> do_softirq), so it starts only
            # where the interrupted task has BH on
            entry_guard = conj(entry_guard, eq(Select(world.bh_off, lay.nall, curr), Const(0)))
        in_section: Expr = FALSE
        for t in range(lay.ntasks):
            in_section = disj(in_section, conj(eq(curr, Const(t)),
                                               neg(eq(Var(world.depth + t), Const(0)))))
        out.append(Action(f"irq@cpu{c}:{handler}", ActionKind.IRQ_ENTRY, entry_guard,
                          (Assign(irq_pc, Const(num[pb.cfg.entry])),
                           Assign(world.irq_budget, simplify_binary(
                               BinOp.SUB, Var(world.irq_budget), Const(1)))),
                          cpu=c, summary=f"interrupt: {handler}()",
                          witness=in_section, witness_label=IRQ_IN_SECTION))
        for k, p in enumerate(paths):
            dst = Const(NONE) if p.dst == pb.cfg.exit else Const(num[p.dst])
            guard = conj(eq(Var(irq_pc), Const(num[p.src])), p.guard)
            ups = [Assign(v, e) for v, e in p.updates] + [Assign(irq_pc, dst)]
            steps = tuple(x for x in p.steps if x.text)
            out.append(Action(f"irq@cpu{c}:{num[p.src]}->{dst.value}#{k}", ActionKind.IRQ,
                              guard, tuple(ups), cpu=c, steps=steps,
                              summary=_summary(steps)))
        return out

    def switch_actions(self, sh: Shared,
                       task_paths: list[tuple[int, ProgramBuilder, list[int], list[Path]]],
                       pcs: list[int]) -> list[Action]:
        """The scheduler's context switches, given where each task may yield."""
        points = tuple(
            TaskPoints(pc, stable.index(pb.cfg.exit) if pb.cfg.exit in stable else -2,
                       tuple(i for i, n in enumerate(stable) if n in pb.cfg.sched_points))
            for (_, pb, stable, _), pc in zip(task_paths, pcs, strict=True))
        return Scheduler(sh, self.program, points).actions()


def _summary(steps: tuple[SourceStep, ...]) -> str:
    return "; ".join(s.text for s in steps if s.text and s.text != "{")


def instantiate(program: ir.Program, config: KernelConfig) -> System:
    """Build the transition system of ``program`` under ``config``."""
    if config.cpus < 1 or config.ntasks < 1:
        raise ModelError([Diagnostic("LZC403", "at least one CPU and one task are needed",
                                     None)])
    return _Builder(program, config).build()



def with_reach_points(program: ir.Program, actions: list[Action]) -> list[Action]:
    """``actions`` with the ``__reach("label")`` points each runs, and when it runs them
    (the step's path condition), so coverage counts a point only where it is run."""
    where = {s.span: s.prop for f in program.functions for s in ir.walk(f.body)
             if isinstance(s, ir.SBuiltin) and s.op is ir.Builtin.REACH}
    if not where:
        return actions
    return [dataclasses.replace(a, reaches=pts) if (pts := tuple(
        (st.when, where[st.span]) for st in a.steps if st.span in where)) else a
        for a in actions]
