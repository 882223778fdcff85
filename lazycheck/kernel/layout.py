"""Where every piece of kernel-world and model state lives in the state vector."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from lazycheck import ir
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.system import StateVar, VarKind

NONE = -1  # "no task", "no lock owner", "no interrupt running"


@dataclass
class Layout:
    """Allocates state variables; arrays are contiguous and row-major."""

    program: ir.Program
    config: KernelConfig
    vars: list[StateVar] = field(default_factory=list)
    init: list[int] = field(default_factory=list)
    arrays: dict[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)

    @property
    def ncpus(self) -> int:
        """How many CPUs the configuration has."""
        return self.config.cpus

    @property
    def ntasks(self) -> int:
        """How many tasks the configuration runs (idle tasks not counted)."""
        return self.config.ntasks

    @property
    def nall(self) -> int:
        """Tasks plus one idle task per CPU (idle of CPU c is task T + c)."""
        return self.config.ntasks + self.config.cpus

    @property
    def nptes(self) -> int:
        """How many PTEs the world tracks (at least one)."""
        return max(1, len(self.program.ptes))

    @property
    def nwriters(self) -> int:
        """Ghost writers: each task, and interrupt context on each CPU."""
        return self.config.ntasks + self.config.cpus

    @property
    def uses_bottom_halves(self) -> bool:
        """Whether any function calls local_bh_disable(): else in_interrupt() is constant."""
        return any(_has_op(f.body, ir.Builtin.BH_DISABLE) for f in self.program.functions)

    @property
    def fork_children(self) -> frozenset[str]:
        """The task programs some task fork()s: their instances start unborn."""
        return frozenset(s.prop for f in self.program.functions for s in ir.walk(f.body)
                         if isinstance(s, ir.SBuiltin) and s.op is ir.Builtin.FORK)

    @property
    def uses_isb(self) -> bool:
        """Whether a thread can owe an isb that matters: else no state for it.

        Tracked when some function calls isb(), or when some function issues a dsb
        and some function reads __isb_pending(): the barrier a dsb'd store owes does
        not disappear because the model lost its isb() (a model that never calls
        isb() must see __isb_pending() true after its dsb, not a constant false).
        """
        fs = self.program.functions
        if any(_has_op(f.body, ir.Builtin.ISB) for f in fs):
            return True
        return (any(_has_op(f.body, ir.Builtin.DSB) for f in fs)
                and any(_reads_world(f.body, ir.World.ISB_PENDING) for f in fs))

    def task_name(self, t: int) -> str:
        """The name traces use for task ``t``: ``T0``... or ``idle0``... for idle tasks."""
        if t >= self.ntasks:
            return f"idle{t - self.ntasks}"
        return f"T{t}"

    def alloc(self, name: str, lo: int, hi: int, kind: VarKind, init: int,
              labels: tuple[str, ...] = ()) -> int:
        """Add one state variable with its domain and initial value; its index."""
        self.vars.append(StateVar(name, lo, hi, kind, labels))
        self.init.append(init)
        return len(self.vars) - 1

    def alloc_array(self, key: str, shape: tuple[int, ...], names: list[str], lo: int,
                    hi: int, kind: VarKind, init: int | list[int],
                    labels: tuple[str, ...] = ()) -> int:
        """Add one state variable per element of an array of ``shape``; the base index."""
        base = len(self.vars)
        for k, combo in enumerate(itertools.product(*(range(n) for n in shape))):
            v = init[k] if isinstance(init, list) else init
            self.alloc(names[k] if names else key + "".join(f"[{c}]" for c in combo), lo,
                       hi, kind, v, labels)
        self.arrays[key] = (base, shape)
        return base

    def index_names(self, dims: list[tuple[str, int]]) -> list[str]:
        """Readable element names: dims are (kind, size) with kind cpu/task/pte/n."""
        out = []
        for combo in itertools.product(*(range(n) for _, n in dims)):
            parts = []
            for (kind, _), c in zip(dims, combo, strict=True):
                if kind == "cpu":
                    parts.append(f"cpu{c}")
                elif kind == "task":
                    parts.append(self.task_name(c))
                elif kind == "pte":
                    parts.append(self.program.ptes[c].name if self.program.ptes else "pte")
                else:
                    parts.append(str(c))
            out.append("[" + "][".join(parts) + "]")
        return out


def _has_op(body: tuple[ir.IStmt, ...], op: ir.Builtin) -> bool:
    """Whether ``body`` contains the built-in statement ``op`` (at any depth)."""
    for s in body:
        match s:
            case ir.SBuiltin(op=o) if o is op:
                return True
            case ir.SIf(then=a, other=b):
                if _has_op(a, op) or _has_op(b, op):
                    return True
            case ir.SFor(body=b) | ir.SAtomic(body=b):
                if _has_op(b, op):
                    return True
    return False


def _reads_world(body: tuple[ir.IStmt, ...], what: ir.World) -> bool:
    """Whether some expression of ``body`` (at any depth) reads the world value ``what``."""
    for s in ir.walk(body):
        match s:
            case ir.SAssign(target=ir.LVar(where=w, index=ix), value=v):
                exprs: tuple[ir.IExpr, ...] = (v, *ix, *(() if w is None else (w,)))
            case ir.SAssign(value=v):
                exprs = (v,)
            case ir.SCall(args=a) | ir.SBuiltin(args=a):
                exprs = a
            case ir.SIf(cond=c):
                exprs = (c,)
            case ir.SReturn(value=v) if v is not None:
                exprs = (v,)
            case _:
                exprs = ()
        if any(_expr_reads(e, what) for e in exprs):
            return True
    return False


def _expr_reads(e: ir.IExpr, what: ir.World) -> bool:
    match e:
        case ir.EWorld(what=w, args=a):
            return w is what or any(_expr_reads(x, what) for x in a)
        case ir.EVar(where=w, index=ix):
            return any(_expr_reads(x, what) for x in (*ix, *(() if w is None else (w,))))
        case ir.EFlag(task=t):
            return _expr_reads(t, what)
        case ir.EUnary(arg=a):
            return _expr_reads(a, what)
        case ir.EBinary(left=a, right=b):
            return _expr_reads(a, what) or _expr_reads(b, what)
        case ir.ECond(cond=c, then=t, other=o):
            return any(_expr_reads(x, what) for x in (c, t, o))
        case ir.EPureCall(args=a):
            return any(_expr_reads(x, what) for x in a)
        case _:
            return False


def type_domain(ty: ir.Type, lay: Layout) -> tuple[int, int, tuple[str, ...]]:
    """The value range and labels of a state variable that holds a model type."""
    match ty.kind:
        case ir.Kind.BOOL:
            return 0, 1, ("false", "true")
        case ir.Kind.ENUM:
            return 0, len(ty.members) - 1, ty.members
        case ir.Kind.CPU:
            return 0, lay.ncpus - 1, tuple(f"cpu{c}" for c in range(lay.ncpus))
        case ir.Kind.TASK:
            return 0, lay.nall - 1, tuple(lay.task_name(t) for t in range(lay.nall))
        case ir.Kind.PTE:
            names = tuple(p.name for p in lay.program.ptes) or ("pte",)
            return 0, len(names) - 1, names
        case ir.Kind.PTEVAL:
            return 0, ir.PTEVAL_MAX, ()
        case _:
            return ty.lo, ty.hi, ()


@dataclass(frozen=True, slots=True)
class World:
    """Indices of the kernel world's variables."""

    curr: int  # [cpu] -> task running there (idle tasks included)
    cpu_of: int  # [task] -> the CPU it runs or last ran on
    preempt_count: int  # [task]
    irqs_off: int  # [task]
    pinned: int  # [task] spinlocks held on PREEMPT_RT (migrate_disable)
    irq_pc: int  # [cpu] -> interrupt program counter, NONE when no interrupt runs
    irq_budget: int
    lock_owner: int  # [lock] -> task, NONE when free
    pte_mem: int  # [pte]
    pte_hw: int  # [pte]
    stored: int  # [cpu][pte]: stored by that CPU, not yet made visible by a dsb
    flags: int  # [flag][task]
    wflag: int  # ghost [writer][pte]: a write by that writer has not yet taken effect
    wval: int  # ghost [writer][pte]: the value of that write
    depth: int  # ghost [writer]: sections entered and not left (call-site view)
    paused: int  # ghost [writer]
    entry_pc: int  # ghost [writer]: preempt_count when the outermost section began
    violation: int
    bh_off: int  # [task] local_bh_disable() depth: in_interrupt() is true while > 0
    isb_owed: int = NONE  # [task] a dsb published its PTE store, no isb since (uses_isb)
    born: int = NONE  # [task] copy_process() has run for a fork child (fork_children)


DEPTH_MAX = 4
BH_MAX = 4  # local_bh_disable() nesting the model follows


def build_world(lay: Layout, irq_pcs: int) -> World:
    """Allocate the kernel world's state: current, preempt_count, irqs, PTE memory, ..."""
    c, nall, p = lay.ncpus, lay.nall, lay.nptes
    prog = lay.program
    tnames = tuple(lay.task_name(t) for t in range(nall))
    cnames = [f"cpu{i}" for i in range(c)]
    # A real start (issue 11 item 1): every CPU runs its idle task, and each task is
    # switched in for the first time by the scheduler (see kernel/scheduler.py).  A task
    # that never ran "last ran" on cpu0; only an idle task is bound to its CPU.
    curr = lay.alloc_array("curr", (c,), [f"curr[{n}]" for n in cnames], 0, nall - 1,
                           VarKind.WORLD, [lay.ntasks + i for i in range(c)], tnames)
    cpu_of = lay.alloc_array("cpu_of", (nall,), [f"cpu_of[{n}]" for n in tnames], 0, c - 1,
                             VarKind.WORLD,
                             [t - lay.ntasks if t >= lay.ntasks else 0 for t in range(nall)],
                             tuple(cnames))
    pcount = lay.alloc_array("preempt_count", (nall,),
                             [f"preempt_count[{n}]" for n in tnames], 0, ir.PREEMPT_MAX,
                             VarKind.WORLD, 0)
    irqs_off = lay.alloc_array("irqs_off", (nall,), [f"irqs_disabled[{n}]" for n in tnames],
                               0, 1, VarKind.WORLD, 0, ("false", "true"))
    rt = lay.config.preempt is Preempt.RT
    pinned = lay.alloc_array("pinned", (nall,), [f"migrate_disabled[{n}]" for n in tnames],
                             0, 4 if rt else 0, VarKind.WORLD, 0)
    irq_pc = lay.alloc_array("irq_pc", (c,), [f"irq_pc[{n}]" for n in cnames], NONE,
                             max(irq_pcs - 1, NONE), VarKind.PC, NONE)
    budget = lay.alloc("irq_budget", 0, lay.config.irqs, VarKind.WORLD, lay.config.irqs)
    owner = lay.alloc_array("lock_owner", (max(1, len(prog.locks)),),
                            [f"owner({n})" for n in prog.locks] or ["owner(-)"], NONE,
                            nall - 1, VarKind.WORLD, NONE, ("none", *tnames))
    pnames = [q.name for q in prog.ptes] or ["pte"]
    inits = [q.init for q in prog.ptes] or [0]
    mem = lay.alloc_array("pte_mem", (p,), [f"pte[{n}]" for n in pnames], 0, ir.PTEVAL_MAX,
                          VarKind.WORLD, inits)
    hw = lay.alloc_array("pte_hw", (p,), [f"hw[{n}]" for n in pnames], 0, ir.PTEVAL_MAX,
                         VarKind.WORLD, inits)
    stored = lay.alloc_array("stored", (c, p), [f"stored[{cn}][{n}]" for cn in cnames
                                                for n in pnames], 0, 1, VarKind.WORLD, 0,
                             ("false", "true"))
    nflags = max(1, len(prog.flags))
    fnames = list(prog.flags) or ["-"]
    flags = lay.alloc_array("flags", (nflags, nall), [f"{f}[{n}]" for f in fnames
                                                       for n in tnames], 0, 1,
                            VarKind.STATE, 0, ("false", "true"))
    wflag, wval, depth, paused, entry, viol = _monitor_ghosts(lay, pnames, cnames)
    # only its own task reads or writes bh_off[t] (in_interrupt() in task context):
    # to the fusion of steps it is as private as a local variable, unless a softirq
    # handler's arrival reads it (world.py): then it is shared like irqs_off
    softirqs = any(f.is_softirq for f in prog.functions)
    bh_off = lay.alloc_array("bh_off", (nall,), [f"bh_disabled[{n}]" for n in tnames], 0,
                             BH_MAX, VarKind.WORLD if softirqs else VarKind.LOCAL, 0)
    isb_owed, born = _optional_world(lay, tnames)
    return World(curr, cpu_of, pcount, irqs_off, pinned, irq_pc, budget, owner, mem, hw,
                 stored, flags, wflag, wval, depth, paused, entry, viol, bh_off, isb_owed,
                 born)


def _optional_world(lay: Layout, tnames: tuple[str, ...]) -> tuple[int, int]:
    """The per-task state only some programs need: isb_owed (isb()), born (fork())."""
    nall = lay.nall
    isb_owed = NONE
    if lay.uses_isb:  # arm64's emit_pte_barriers(): see Exec.isb()
        isb_owed = lay.alloc_array("isb_owed", (nall,), [f"isb_owed[{n}]" for n in tnames],
                                   0, 1, VarKind.STATE, 0, ("false", "true"))
    born = NONE
    children = lay.fork_children
    if children:  # fork(): a child runs only once its parent forked it (Exec.fork)
        born = lay.alloc_array("born", (nall,), [f"born[{n}]" for n in tnames], 0, 1,
                               VarKind.WORLD, [int(t >= lay.ntasks or lay.config.tasks[t]
                                                   not in children) for t in range(nall)],
                               ("false", "true"))
    return isb_owed, born


def _monitor_ghosts(lay: Layout, pnames: list[str], cnames: list[str]
                    ) -> tuple[int, int, int, int, int, int]:
    """The property monitors' ghost state: per writer, per PTE; then the violation."""
    p = lay.nptes
    w = lay.nwriters
    wnames = [lay.task_name(t) for t in range(lay.ntasks)] + [f"irq@{n}" for n in cnames]
    wflag = lay.alloc_array("wflag", (w, p), [f"pending({wn},{n})" for wn in wnames
                                               for n in pnames], 0, 1, VarKind.GHOST, 0)
    wval = lay.alloc_array("wval", (w, p), [f"pending_val({wn},{n})" for wn in wnames
                                             for n in pnames], 0, ir.PTEVAL_MAX,
                           VarKind.GHOST, 0)
    depth = lay.alloc_array("depth", (w,), [f"depth({wn})" for wn in wnames], 0, DEPTH_MAX,
                            VarKind.GHOST, 0)
    paused = lay.alloc_array("paused", (w,), [f"paused({wn})" for wn in wnames], 0,
                             DEPTH_MAX, VarKind.GHOST, 0)
    entry = lay.alloc_array("entry_pc", (w,), [f"entry_pc({wn})" for wn in wnames], 0,
                            ir.PREEMPT_MAX, VarKind.GHOST, 0)
    viol = lay.alloc("violation", 0, 1 << 20, VarKind.GHOST, 0)
    return wflag, wval, depth, paused, entry, viol


def model_vars(lay: Layout) -> None:
    """Allocate every declared global, per-CPU and per-task variable."""
    for sym in lay.program.vars:
        lo, hi, labels = type_domain(sym.type, lay)
        dims: list[tuple[str, int]] = []
        if sym.storage == "percpu":
            dims.append(("cpu", lay.ncpus))
        elif sym.storage == "pertask":
            dims.append(("task", lay.nall))
        for d in sym.dims:
            size = {ir.Dim.PTE: lay.nptes, ir.Dim.CPU: lay.ncpus, ir.Dim.TASK: lay.nall,
                    ir.Dim.FIXED: d.size}[d.dim]
            dims.append((d.dim.value.replace("_t", ""), size))
        shape = tuple(n for _, n in dims)
        names = [sym.name + s for s in lay.index_names(dims)] if dims else [sym.name]
        lay.alloc_array(sym.name, shape, names, lo, hi, VarKind.STATE, sym.init, labels)
