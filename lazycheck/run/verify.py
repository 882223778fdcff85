"""The verification pipeline: target -> models -> system -> engine -> outcome.

Nothing here prints; the CLI and the views in :mod:`lazycheck.views` do.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from lazycheck import ir
from lazycheck.diagnostics import Diagnostic
from lazycheck.engines import BOTH, BOTH_PAIR, DEFAULT_ENGINE, ENGINES
from lazycheck.errors import LazycheckError, ModelError, ReplayError
from lazycheck.ir import Loaded
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.kernel.watch import WATCHED
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import load
from lazycheck.outcome import (
    DEFAULT_BMC_SHARE_S,
    DEFAULT_MAX_STATES,
    DEFAULT_TIMEOUT_S,
    Coverage,
    Limits,
    Outcome,
    Progress,
    Result,
    Verdict,
)
from lazycheck.properties import MODEL_BOUNDS
from lazycheck.run.bounding import bound_system
from lazycheck.semantics import Semantics
from lazycheck.system import ActionKind, System, is_reach_label, reach_label
from lazycheck.targets import REQUIREMENTS, Target, validate_config


def coverage_of(target: Target, system: System, result: Result,
                program: ir.Program | None = None,
                config: KernelConfig | None = None) -> Coverage | None:
    """Scenario statements reached and claimed events seen, if the engine knows."""
    if not result.coverage_known:
        return None
    config = config or target.config
    scen = {str(p) for p in target.models[2:]}
    steps: dict[tuple[str, str], bool] = {}
    for i, a in enumerate(system.actions):
        if a.kind is not ActionKind.TASK and (a.kind is not ActionKind.IRQ
                                              or config.irqs == 0):
            continue  # an interrupt handler is only claimed where interrupts may arrive
        for s in a.steps:
            if not any(s.span.file.endswith(Path(p).name) for p in scen):
                continue
            key = (s.span.short, s.text)
            steps[key] = steps.get(key, False) or i in result.fired
    unreached = tuple(sorted((k for k, hit in steps.items()
                              if not hit and k[0] not in target.may_skip),
                             key=lambda k: (k[0].rsplit(":", 1)[0],
                                            int(k[0].rsplit(":", 1)[1]))))
    missing = tuple(r for r in target.requires_for(config)
                    if REQUIREMENTS[r] not in result.witnessed)
    missing += tuple(reach_label(r) for r in target.reach
                     if reach_label(r) not in result.witnessed)
    if program is not None:
        missing += unpaired_roles(program)
    unwatched = tuple((p, WATCHED[p]) for p, _ in system.watches if p not in result.watched)
    events = frozenset(w for w in result.witnessed if not is_reach_label(w))
    return Coverage(len(steps), unreached, events, missing, unwatched,
                    len(system.checked))


ROLE_PAIRS = (("enter", "leave"), ("pause", "resume"))


def unpaired_roles(program: ir.Program) -> tuple[str, ...]:
    """A ``lazy_mmu_api`` role bound without its partner (enter/leave, pause/resume).

    The section properties are monitored where the roles return
    (kernel/monitors.py): with ``leave`` unbound, visible-after-disable and
    mode-off-after-outermost lose their leave sites, with ``pause`` unbound
    the pause site; every kernel API pairs them (docs/lazy-mmu-semantics.md),
    so a PASS over such an API has not checked what it claims (issue 9)."""
    bound = {r for r, _ in program.roles}
    return tuple(f"lazy_mmu_api binds {a if a in bound else b} but no {b if a in bound else a}"
                 for a, b in ROLE_PAIRS if (a in bound) != (b in bound))


class EngineDisagreement(LazycheckError):
    """The two engines gave different answers on one system: a bug in one of them."""


def build(target: Target, root: Path, config: KernelConfig,
          program: ir.Program | None = None) -> tuple[Loaded, System]:
    """Load the target's models and instantiate them for ``config``."""
    loaded = load(list(target.models), root)
    if program is not None:  # a variant of the models (trace minimisation)
        loaded = dataclasses.replace(loaded, program=program)
    try:
        return loaded, instantiate(loaded.program, config)
    except ModelError as err:  # keep the sources so diagnostics show their lines
        diags = [_at_toml(d, target) for d in err.diagnostics]
        toml = {d.span.file: target.path.read_text(encoding="utf-8") for d in diags
                if d.code == "LZC307" and d.span is not None and d.span.file.endswith(".toml")}
        raise ModelError(diags, {**loaded.sources, **err.sources, **toml}) from None


def _at_toml(d: Diagnostic, target: Target) -> Diagnostic:
    """An unknown task or irq program is the TOML's mistake: point at its line there."""
    if d.code != "LZC307" or d.span is not None:
        return d
    name = d.message.split("'")[1] if "'" in d.message else ""
    for key in ("tasks", "irq_handlers"):
        progs = target.config.tasks if key == "tasks" else target.config.irq_handlers
        if name in progs:
            span = target.span_of("kernel", key)
            return dataclasses.replace(d, span=span) if span else d
    return d


def reproduce_args(target: Target, config: KernelConfig, bound: int, engine: str,
                   limits: Limits | None = None, result: Result | None = None,
                   bounded_by: tuple[tuple[str, int], ...] = ()) -> tuple[str, ...]:
    """The ``lazycheck verify`` options that shaped this outcome, beyond the target's own.

    A state or time limit shaped it when it differs from the default and the
    run hit it (UNKNOWN) or went past the default (it needed the raise)."""
    args: list[str] = []
    if engine != DEFAULT_ENGINE:
        args += ["--engine", engine]
    if config != target.config:
        args += ["--cpus", str(config.cpus), "--tasks", str(config.ntasks),
                 "--preempt", config.preempt.value]
        if config.irqs != target.config.irqs:
            args += ["--irqs", str(config.irqs)]
    if bound != target.bound:
        args += ["--bound", str(bound)]
    if limits is not None and result is not None:
        unknown = result.verdict is Verdict.UNKNOWN
        s = result.stats
        if limits.max_states != DEFAULT_MAX_STATES and (
                unknown or s.states > DEFAULT_MAX_STATES):
            args += ["--max-states", str(limits.max_states)]
        if limits.timeout_s != DEFAULT_TIMEOUT_S and (
                unknown or s.elapsed_s > DEFAULT_TIMEOUT_S):
            args += ["--timeout", f"{limits.timeout_s:g}"]
    for what, k in bounded_by:  # run/bounding.py: PREEMPTIONS, INTERRUPTS
        args += [f"--{what}", str(k)]
    return tuple(args)


def run(target: Target, root: Path, config: KernelConfig | None = None,
        bound: int | None = None, engine: str = DEFAULT_ENGINE,
        max_states: int = DEFAULT_MAX_STATES, timeout_s: float = DEFAULT_TIMEOUT_S,
        program: ir.Program | None = None,
        progress: Callable[[Progress], None] | None = None,
        preemptions: int | None = None, interrupts: int | None = None,
        max_memory: int = 0, symmetry: bool = True, workers: int = 1,
        bmc_share_s: float = DEFAULT_BMC_SHARE_S, compiled: bool | None = None
        ) -> Outcome:
    """Check ``target`` with ``engine`` (a name in :data:`ENGINES`, or ``both``).

    The default engine is explicit: on these models' sizes BFS exhausts the
    space in well under a second, while BMC's cost grows about twofold per
    depth (bench/run.py shows both).  ``progress`` is handed to the engines
    (:attr:`Limits.progress`); nothing here prints."""
    cfg = config or target.config
    b = bound or target.bound
    validate_config(cfg, b)
    loaded, system = build(target, root, cfg, program)
    system = bound_system(system, preemptions, interrupts)
    limits = Limits(b, max_states, timeout_s, progress, max_memory, symmetry, workers,
                    bmc_share_s, compiled)
    others: tuple[Result, ...] = ()
    if engine == BOTH:
        result, other = _both(system, limits)
        _agree(result, other)
        others = (_settle(system, other),)
    else:
        result = ENGINES[engine].make().check(system, limits)
    result = _settle(system, result)
    cov = coverage_of(target, system, _with_coverage(system, result, limits), loaded.program,
                      cfg)
    return Outcome(target, cfg, b, loaded, system, result, others, cov, engine,
                   reproduce_args(target, cfg, b, engine, limits, result,
                                  system.bounded_by))


def _with_coverage(system: System, result: Result, limits: Limits) -> Result:
    """A PASS from an engine that records no coverage (bmc, pdr) gets it from explicit.

    No green without a check: the explicit engine explores the same bound and
    its fired actions and witnesses become the PASS's coverage, so a bounded
    PASS that never reached the scenario is VACUOUS whatever the engine.  An
    explicit FAIL within that bound is an engine disagreement.
    """
    if result.verdict is not Verdict.PASS or result.coverage_known:
        return result
    bound = result.stats.bound or limits.bound
    if result.stats.proved:
        bound = limits.bound
    probe = ENGINES["explicit"].make().check(system, dataclasses.replace(limits, bound=bound))
    if probe.verdict is Verdict.FAIL:
        _agree(result, probe)
    if probe.verdict is Verdict.UNKNOWN or not probe.coverage_known:
        return result
    return dataclasses.replace(result, fired=probe.fired, witnessed=probe.witnessed,
                               coverage_known=True, watched=probe.watched)


def run_claims(target: Target, root: Path, engine: str = DEFAULT_ENGINE,
               max_states: int = DEFAULT_MAX_STATES, timeout_s: float = DEFAULT_TIMEOUT_S,
               configs: tuple[KernelConfig, ...] = ()) -> tuple[Outcome, ...]:
    """Check every configuration ``target`` claims (or ``configs``), one outcome each."""
    todo = configs or tuple(c.config for c in target.claims)
    return tuple(run(target, root, c, None, engine, max_states, timeout_s) for c in todo)


def all_configs(target: Target) -> tuple[KernelConfig, ...]:
    """``--all-configs``: every preemption model x interrupts off/on x the claimed rest."""
    out: list[KernelConfig] = []
    irqs = sorted({0, target.config.irqs}) if target.config.irq_handlers else [0]
    for c in target.claims:
        for p in Preempt:
            for n in irqs:
                cfg = dataclasses.replace(c.config, preempt=p, irqs=n)
                if cfg not in out:
                    out.append(cfg)
    return tuple(out)


def _both(system: System, limits: Limits) -> tuple[Result, Result]:
    """``--engine both``: explicit, then BMC on what is left of the same time budget.

    BMC only has to confirm or refute explicit's answer, so its depth is
    what decides that answer: the length of explicit's (shortest)
    counterexample on FAIL, the depth at which explicit exhausted the space
    on an exhausted PASS, else the bound.  Any ``--preemptions`` or
    ``--interrupts`` bound is already part of ``system``.  BMC gets as much
    time as explicit took (at least ``limits.bmc_share_s``, at most what is
    left of ``--timeout``), so checking every claimed configuration stays within
    the command's budget; a BMC that runs out of its share is UNKNOWN, which is
    reported and never a disagreement.
    """
    first, second = BOTH_PAIR
    start = time.monotonic()
    result = ENGINES[first].make().check(system, limits)
    depth = limits.bound
    if result.verdict is Verdict.FAIL:
        depth = len(result.trace)
    elif result.verdict is Verdict.PASS and result.stats.exhausted:
        depth = min(depth, result.stats.depth)
    spent = time.monotonic() - start
    left = max(limits.timeout_s - spent, 0.0)
    share = min(left, max(limits.bmc_share_s, spent))
    other = ENGINES[second].make().check(
        system, dataclasses.replace(limits, bound=depth, timeout_s=share))
    return result, other


def _agree(a: Result, b: Result) -> None:
    """Explicit and BMC must give the same verdict, and no trace shorter than explicit's.

    Explicit's breadth-first counterexample is a shortest one; BMC's context
    encoding (engines/bmc_context.py) finds one with the fewest contexts,
    which may take more steps: a real counterexample all the same.  A trace
    shorter than explicit's means explicit missed a state: a disagreement.
    """
    if Verdict.UNKNOWN in (a.verdict, b.verdict):
        return
    bfs = [len(r.trace) for r in (a, b) if r.stats.engine == "explicit"]
    if a.verdict is not b.verdict or any(len(r.trace) < n for r in (a, b) for n in bfs):
        raise EngineDisagreement(
            f"engines disagree: {a.stats.engine} says {a.verdict.value} "
            f"(trace of {len(a.trace)} steps), {b.stats.engine} says {b.verdict.value} "
            f"(trace of {len(b.trace)} steps)")


def _settle(system: System, result: Result) -> Result:
    """Replay every trace; a model that outgrew its own bounds is UNKNOWN, not FAIL."""
    if result.verdict is not Verdict.FAIL:
        return result
    states = Semantics(system).replay(result.trace)
    if states[-1][system.violation_var] != result.violation_code:
        raise ReplayError("the trace does not end in the reported violation")
    v = system.violation(result.violation_code)
    if v.property_id == MODEL_BOUNDS:
        return dataclasses.replace(
            result, verdict=Verdict.UNKNOWN,
            reason=f"the model left its own finite bounds: {v.message} ({v.span}); widen "
                   "the declared range")
    return result
