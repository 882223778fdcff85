"""Minimal counterexamples: shrink the configuration, then slice the trace.

After the shortest trace is found, :func:`minimize` tries smaller kernel
configurations in a fixed order -- one task fewer (each task in turn), one
CPU fewer, one interrupt fewer -- and keeps a candidate only if it still
fails the *same* property.  Following Hypothesis's shrinker rules, a pass
makes progress only when the configuration gets smaller, the order is
deterministic, and shrinking stops when no pass makes progress; a candidate
that fails a *different* property is a slip and is not taken.  Every
candidate is re-checked from scratch, so the minimised trace is a real,
shortest, replayed trace of the smaller configuration.

:func:`cone_of_influence` computes the dynamic slice of a trace: the state
variables whose values flowed into the violation.  Reports show only their
changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lazycheck.engines.base import Verdict
from lazycheck.kernel.config import KernelConfig
from lazycheck.semantics import State
from lazycheck.system import System, free_vars
from lazycheck.verify import Outcome


@dataclass(frozen=True, slots=True)
class Shrunk:
    outcome: Outcome
    original: KernelConfig
    tried: int  # candidates checked


def _size(cfg: KernelConfig) -> tuple[int, int, int]:
    return (cfg.ntasks, cfg.cpus, cfg.irqs)


def _candidates(cfg: KernelConfig) -> Iterator[KernelConfig]:
    for i in range(cfg.ntasks):
        if cfg.ntasks > 1:
            yield dataclasses.replace(cfg, tasks=cfg.tasks[:i] + cfg.tasks[i + 1:])
    if cfg.cpus > 1:
        yield dataclasses.replace(cfg, cpus=cfg.cpus - 1)
    if cfg.irqs > 0:
        yield dataclasses.replace(cfg, irqs=cfg.irqs - 1)


def minimize(outcome: Outcome, check: Callable[[KernelConfig], Outcome]) -> Shrunk:
    """Shrink ``outcome``'s configuration while it fails the same property."""
    if outcome.verdict is not Verdict.FAIL:
        return Shrunk(outcome, outcome.config, 0)
    prop = outcome.property_id
    best = outcome
    tried = 0
    progress = True
    while progress:
        progress = False
        for cand in _candidates(best.config):
            tried += 1
            o = check(cand)
            if o.verdict is Verdict.FAIL and o.property_id == prop and \
                    _size(cand) < _size(best.config):
                best = o
                progress = True
                break
    return Shrunk(best, outcome.config, tried)


def cone_of_influence(system: System, states: tuple[State, ...], actions: tuple[int, ...]
                      ) -> set[int]:
    """Variables whose values flowed, step by step, into the final violation."""
    if not actions:
        return set()
    relevant = {system.violation_var}
    for k in range(len(actions) - 1, -1, -1):
        pre, post = states[k], states[k + 1]
        a = system.actions[actions[k]]
        for u in a.updates:
            if u.var in relevant and pre[u.var] != post[u.var]:
                free_vars(u.value, relevant)
    return relevant
