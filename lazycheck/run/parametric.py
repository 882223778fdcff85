"""``verify --parametric``: a target's template instances, handed to the parametric prover."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lazycheck.engines.parametric import Instance, Named, ParametricResult, prove, recheck
from lazycheck.kernel.config import KernelConfig
from lazycheck.run.verify import build
from lazycheck.targets import Target

TEMPLATE_CPUS = 2
BIG_CPUS = 3


def instance(target: Target, root: Path, config: KernelConfig) -> Instance:
    """``config`` compiled, with each task's program number (in the target's order)."""
    _, system = build(target, root, config)
    names = list(dict.fromkeys(target.config.tasks))
    return Instance(system, config.cpus, config.ntasks,
                    tuple(names.index(p) for p in config.tasks))


def run_parametric(target: Target, root: Path, config: KernelConfig | None = None,
                   timeout_s: float = 120.0, shortcut: bool = True) -> ParametricResult:
    """The target's programs on 2 CPUs (mined) and 3 CPUs (filter), proved parametrically.

    The template runs one task per program, two when the target has one
    program (so that clauses relating two tasks are mined); the larger
    instance runs one more task."""
    base = config or target.config
    n = template_tasks(base)
    small = instance(target, root, base.overridden(cpus=TEMPLATE_CPUS, tasks=n))
    big = instance(target, root, base.overridden(cpus=BIG_CPUS, tasks=n + 1))
    return prove(small, big, timeout_s, shortcut=shortcut)


def template_tasks(config: KernelConfig) -> int:
    """One task per program, two when there is one program."""
    return max(len(dict.fromkeys(config.tasks)), 2)


def recheck_parametric(target: Target, root: Path, config: KernelConfig,
                       clauses: Sequence[Named], timeout_s: float) -> ParametricResult:
    """A parametric certificate's clauses re-checked on the template rebuilt from the models."""
    small = instance(target, root, config.overridden(cpus=TEMPLATE_CPUS,
                                                     tasks=template_tasks(config)))
    return recheck(small, clauses, timeout_s)
