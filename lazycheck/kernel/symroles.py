"""Who owns each state variable: the CPU and task coordinates symmetry reduction needs.

The explicit engine's symmetry reduction (lazycheck/engines/symmetry.py)
renames CPUs and tasks.  To rename a *state* it must know, for every
variable, which CPU's or task's cell it is (``curr[cpu1]`` belongs to
cpu1, ``preempt_count[T0]`` to T0, a local of T1's program to T1) and what
its values name (``cpu_of`` holds CPU numbers, ``curr`` and lock owners
hold task ids).  This module records that from the layout; it decides
nothing: the engine checks structurally that a renaming maps every action
to an action before it uses it.
"""

from __future__ import annotations

import itertools

from lazycheck import ir
from lazycheck.kernel.layout import Layout, World
from lazycheck.system import Roles, Sort

# the world's arrays: the axis of each dimension (cpu, task, or a plain index)
_WORLD_AXES: dict[str, tuple[str, ...]] = {
    "curr": ("cpu",), "cpu_of": ("task",), "preempt_count": ("task",),
    "irqs_off": ("task",), "pinned": ("task",), "irq_pc": ("cpu",), "lock_owner": ("n",),
    "pte_mem": ("n",), "pte_hw": ("n",), "stored": ("cpu", "n"), "flags": ("n", "task"),
    # ghost writers: each task, then interrupt context on each CPU (row ntasks + c),
    # which renames exactly as the idle task of that CPU does
    "wflag": ("task", "n"), "wval": ("task", "n"), "depth": ("task",),
    "paused": ("task",), "entry_pc": ("task",), "bh_off": ("task",),
    "isb_owed": ("task",),  # only when some function calls isb() (Layout.uses_isb)
    "born": ("task",),  # only when some task fork()s (Layout.fork_children)
}
_WORLD_SORTS = {"curr": Sort.TASK, "cpu_of": Sort.CPU, "lock_owner": Sort.TASK,
                "irq_pc": Sort.IRQPC}
_KIND_SORTS = {ir.Kind.CPU: Sort.CPU, ir.Kind.TASK: Sort.TASK}


def _model_axes(sym: ir.VarSym) -> tuple[str, ...]:
    """The axes of a declared variable: its storage, then its array dimensions."""
    axes = {"percpu": ("cpu",), "pertask": ("task",)}.get(sym.storage, ())
    return axes + tuple({ir.Dim.CPU: "cpu", ir.Dim.TASK: "task"}.get(d.dim, "n")
                        for d in sym.dims)


def _array_slots(key: str, shape: tuple[int, ...], axes: tuple[str, ...]
                 ) -> list[tuple[int, int, str]]:
    """One ``(cpu, task, key)`` per element of an array, row-major."""
    out = []
    for combo in itertools.product(*(range(n) for n in shape)):
        cpu, task, rest = -1, -1, []
        for axis, k in zip(axes, combo, strict=True):
            if axis == "cpu":
                cpu = k
            elif axis == "task":
                task = k
            else:
                rest.append(str(k))
        out.append((cpu, task, f"{key}[{','.join(rest)}]"))
    return out


def roles(lay: Layout, world: World, owners: dict[int, tuple[int, int, str]],
          irq_pcs: tuple[tuple[int, int, int, int], ...]) -> Roles:
    """The :class:`Roles` of every variable ``lay`` allocated.

    ``owners`` gives the coordinates of the variables allocated per program
    instance (locals, return values, pcs); every other variable not in an
    array belongs to no CPU and no task.
    """
    n = len(lay.vars)
    slots: list[tuple[int, int, str]] = [(-1, -1, f"#{i}") for i in range(n)]
    sorts = [Sort.PLAIN] * n
    for sym in lay.program.vars:
        base, shape = lay.arrays[sym.name]
        for k, slot in enumerate(_array_slots(sym.name, shape, _model_axes(sym))):
            slots[base + k] = slot
            sorts[base + k] = _KIND_SORTS.get(sym.type.kind, Sort.PLAIN)
    for key, axes in _WORLD_AXES.items():
        if key not in lay.arrays:
            continue
        base, shape = lay.arrays[key]
        for k, slot in enumerate(_array_slots(key, shape, axes)):
            slots[base + k] = slot
            sorts[base + k] = _WORLD_SORTS.get(key, Sort.PLAIN)
    sorts[world.violation] = Sort.VIOLATION
    for var, slot in owners.items():
        slots[var] = slot
        if lay.vars[var].kind.value == "local":
            sorts[var] = Sort.UNKNOWN
    return Roles(lay.ncpus, lay.ntasks, tuple(slots), tuple(sorts), tuple(lay.config.tasks),
                 irq_pcs)
