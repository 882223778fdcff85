"""Kernel configuration of one check: CPUs, tasks, preemption model, interrupts."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class Preempt(enum.Enum):
    """CONFIG_PREEMPT_*: where the scheduler may switch a task out."""

    NONE = "none"  # only at explicit scheduling points (cond_resched, schedule, sleeping)
    VOLUNTARY = "voluntary"  # as none; might_sleep() is a scheduling point too
    FULL = "full"  # at any statement with preempt_count == 0 and IRQs on
    RT = "rt"  # as full; spinlocks do not disable preemption, they pin the CPU


@dataclass(frozen=True, slots=True)
class KernelConfig:
    """The kernel configuration one check runs: CPUs, task programs, preemption, irqs."""

    cpus: int
    tasks: tuple[str, ...]  # the program each task runs, by function name
    preempt: Preempt = Preempt.FULL
    irq_handlers: tuple[str, ...] = ()  # interrupt programs that may arrive
    irqs: int = 0  # how many interrupts may arrive in one run, in all
    properties: tuple[str, ...] = ()

    @property
    def ntasks(self) -> int:
        """How many tasks run (idle tasks not counted)."""
        return len(self.tasks)

    def overridden(self, cpus: int | None = None, tasks: int | None = None,
                   preempt: str | Preempt | None = None, irqs: int | None = None
                   ) -> KernelConfig:
        """This configuration with the command line's overrides (``--cpus`` etc.).

        ``tasks`` is a count: the task programs are reused in order, so ``--tasks 3``
        over ``(a, b)`` runs ``(a, b, a)``."""
        cfg = self
        if cpus is not None:
            cfg = dataclasses.replace(cfg, cpus=cpus)
        if tasks is not None:
            cfg = dataclasses.replace(cfg, tasks=tuple(self.tasks[i % len(self.tasks)]
                                                       for i in range(max(tasks, 0))))
        if preempt is not None:
            cfg = dataclasses.replace(cfg, preempt=Preempt(preempt))
        if irqs is not None:
            cfg = dataclasses.replace(cfg, irqs=irqs)
        return cfg

    def describe(self) -> str:
        """The configuration in one line for reports, e.g. ``2 CPUs x 2 tasks, preempt=full``."""
        irq = f", {self.irqs} irq" if self.irqs else ""
        return (f"{self.cpus} CPU{'s' if self.cpus != 1 else ''} x {self.ntasks} "
                f"task{'s' if self.ntasks != 1 else ''}, preempt={self.preempt.value}{irq}")
