"""Minimal counterexamples: shrink the configuration and the scenario, then slice.

After the shortest trace is found, :func:`minimize` tries smaller kernel
configurations in a fixed order -- one task fewer (each task in turn), one
CPU fewer, one interrupt fewer -- and then fewer nesting levels: scenario
code with one enter/leave pair of the API removed (a pair is an enter call
and the next leave call at the same level of one scenario function).  It
keeps a candidate only if it still fails the *same* property.  Following
Hypothesis's shrinker rules, a pass makes progress only when the configuration
or the scenario gets smaller, the order is deterministic, and shrinking stops
when no pass makes progress; a candidate that fails a *different* property is
a slip and is not taken.  Every candidate is re-checked from scratch, so the
minimised trace is a real, shortest, replayed trace of the smaller model.

"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lazycheck import ir
from lazycheck.kernel.config import KernelConfig
from lazycheck.outcome import Outcome, Verdict


@dataclass(frozen=True, slots=True)
class Shrunk:
    """A smaller configuration (and scenario) that gives the same verdict."""

    outcome: Outcome
    original: KernelConfig
    tried: int  # candidates checked
    dropped: tuple[str, ...] = ()  # enter/leave pairs removed from the scenario

    @property
    def changed(self) -> bool:
        """Whether shrinking found anything smaller than the original."""
        return self.outcome.config != self.original or bool(self.dropped)


Check = Callable[[KernelConfig, ir.Program | None], Outcome]


def _reachable(program: ir.Program, roots: tuple[str, ...]) -> set[str]:
    """Functions the task and interrupt programs of the config can call."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(ir.calls_in(program.function(name).body))
    return seen


def _section_pairs(program: ir.Program, config: KernelConfig
                   ) -> Iterator[tuple[str, ir.Program]]:
    """Programs with one scenario enter/leave pair removed, innermost first."""
    live = _reachable(program, (*config.tasks, *config.irq_handlers))
    enters = {f for r, f in program.roles if r == "enter"}
    leaves = {f for r, f in program.roles if r == "leave"}

    def pairs(body: tuple[ir.IStmt, ...]) -> Iterator[tuple[int, int]]:
        open_at: list[int] = []
        for k, s in enumerate(body):
            if isinstance(s, ir.SCall) and s.func in enters:
                open_at.append(k)
            elif isinstance(s, ir.SCall) and s.func in leaves and open_at:
                yield open_at.pop(), k

    for fn in program.functions:
        if fn.file_kind != "scenario" or fn.name not in live:
            continue
        for i, j in sorted(pairs(fn.body), key=lambda p: p[1] - p[0]):
            a, b = fn.body[i], fn.body[j]
            body = tuple(s for k, s in enumerate(fn.body) if k not in (i, j))
            new_fn = dataclasses.replace(fn, body=body)
            funcs = tuple(new_fn if f.name == fn.name else f for f in program.functions)
            what = (f"{a.text.rstrip(';')} ({a.span.short}) .. {b.text.rstrip(';')} "
                    f"({b.span.short}) in {fn.name}()")
            yield what, dataclasses.replace(program, functions=funcs)


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


def minimize(outcome: Outcome, check: Check) -> Shrunk:
    """Shrink the configuration, then the nesting, while the same property fails."""
    if outcome.verdict is not Verdict.FAIL:
        return Shrunk(outcome, outcome.config, 0)
    prop = outcome.property_id
    best = outcome
    program = outcome.loaded.program
    dropped: list[str] = []
    tried = 0
    progress = True
    while progress:
        progress = False
        for cand in _candidates(best.config):
            tried += 1
            o = check(cand, program)
            if o.verdict is Verdict.FAIL and o.property_id == prop and \
                    _size(cand) < _size(best.config):
                best = o
                progress = True
                break
        if progress:
            continue
        for what, variant in _section_pairs(program, best.config):
            tried += 1
            o = check(best.config, variant)
            if o.verdict is Verdict.FAIL and o.property_id == prop:
                best, program = o, variant
                dropped.append(what)
                progress = True
                break
    return Shrunk(best, outcome.config, tried, tuple(dropped))
