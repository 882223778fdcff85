"""The verification pipeline: target -> models -> system -> engine -> outcome.

Nothing here prints; the CLI and :mod:`lazycheck.report` do.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck import ir
from lazycheck.engines.base import Limits, Result, Stats, Verdict
from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import LazycheckError, ModelError, ReplayError
from lazycheck.kernel.config import KernelConfig
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import Loaded, load
from lazycheck.properties import MODEL_BOUNDS
from lazycheck.semantics import Semantics
from lazycheck.smt import spacer
from lazycheck.system import ActionKind, System
from lazycheck.targets import REQUIREMENTS, Target, validate_config


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the explored space exercised: scenario statements and claimed events."""

    statements: int
    unreached: tuple[tuple[str, str], ...]  # (file:line, statement) never executed
    witnessed: frozenset[str]
    missing: tuple[str, ...]  # requirements of the target never witnessed

    @property
    def vacuous(self) -> bool:
        return bool(self.unreached or self.missing)


def coverage_of(target: Target, system: System, result: Result) -> Coverage | None:
    """Scenario statements reached and claimed events seen, if the engine knows."""
    if not result.coverage_known:
        return None
    scen = {str(p) for p in target.models[2:]}
    steps: dict[tuple[str, str], bool] = {}
    for i, a in enumerate(system.actions):
        if a.kind not in (ActionKind.TASK, ActionKind.IRQ):
            continue
        for s in a.steps:
            if not any(s.span.file.endswith(Path(p).name) for p in scen):
                continue
            key = (s.span.short, s.text)
            steps[key] = steps.get(key, False) or i in result.fired
    unreached = tuple(sorted((k for k, hit in steps.items()
                              if not hit and k[0] not in target.may_skip),
                             key=lambda k: (k[0].rsplit(":", 1)[0],
                                            int(k[0].rsplit(":", 1)[1]))))
    missing = tuple(r for r in target.requires if REQUIREMENTS[r] not in result.witnessed)
    return Coverage(len(steps), unreached, result.witnessed, missing)


@dataclass(frozen=True, slots=True)
class Outcome:
    target: Target
    config: KernelConfig
    bound: int
    loaded: Loaded
    system: System
    result: Result
    others: tuple[Result, ...] = ()  # with --engine both: the second engine's result
    coverage: Coverage | None = None

    @property
    def vacuous(self) -> bool:
        """A PASS that never exercised what the target claims to check."""
        return (self.verdict is Verdict.PASS and self.coverage is not None
                and self.coverage.vacuous)

    @property
    def exit_code(self) -> int:
        return 1 if self.vacuous else self.verdict.exit_code

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    @property
    def property_id(self) -> str | None:
        if self.result.violation_code:
            return self.system.violation(self.result.violation_code).property_id
        return None

    @property
    def as_expected(self) -> bool:
        exp = self.target.expect
        if exp.verdict == "pass":
            return self.verdict is Verdict.PASS and not self.vacuous
        return self.verdict is Verdict.FAIL and self.property_id == exp.property


ENGINES = ("explicit", "bmc", "both", "pdr")


class EngineDisagreement(LazycheckError):
    """The two engines gave different answers on one system: a bug in one of them."""


def check_bmc(system: System, limits: Limits) -> Result:
    """Bounded check with z3; a bounded PASS then tries k-induction for a proof."""
    bmc = BmcEngine()
    result = bmc.check(system, limits)
    if result.verdict is Verdict.PASS and not result.stats.exhausted:
        left = max(1.0, limits.timeout_s - result.stats.elapsed_s)
        proof = bmc.prove(system, Limits(limits.bound, limits.max_states, left))
        if proof.verdict is Verdict.PASS and proof.stats.proved:
            stats = dataclasses.replace(result.stats, proved=True,
                                        elapsed_s=result.stats.elapsed_s
                                        + proof.stats.elapsed_s)
            return dataclasses.replace(result, stats=stats)
    return result


def check_pdr(system: System, limits: Limits) -> Result:
    """An unbounded proof with z3's Spacer; a reachable violation gets its trace from BMC."""
    start = time.monotonic()
    proof = spacer.prove(system, limits.timeout_s)
    elapsed = time.monotonic() - start
    if proof.status is spacer.ProofStatus.PROVED:
        return Result(Verdict.PASS, Stats(engine="pdr", proved=True, elapsed_s=elapsed,
                                          bound=limits.bound))
    if proof.status is spacer.ProofStatus.REACHABLE:
        left = max(1.0, limits.timeout_s - elapsed)
        return BmcEngine().check(system, Limits(limits.bound, limits.max_states, left))
    return Result(Verdict.UNKNOWN, Stats(engine="pdr", elapsed_s=elapsed, bound=limits.bound),
                  reason=proof.reason)


def run(target: Target, root: Path, config: KernelConfig | None = None,
        bound: int | None = None, engine: str = "explicit",
        max_states: int = 2_000_000, timeout_s: float = 600.0,
        program: ir.Program | None = None) -> Outcome:
    """Check ``target``.  The default engine is explicit: on these models' sizes
    BFS exhausts the space in well under a second, while BMC's cost grows
    about twofold per depth (bench/run.py shows both)."""
    cfg = config or target.config
    b = bound or target.bound
    validate_config(cfg, b)
    loaded = load(list(target.models), root)
    if program is not None:  # a variant of the models (trace minimisation)
        loaded = dataclasses.replace(loaded, program=program)
    try:
        system = instantiate(loaded.program, cfg)
    except ModelError as err:  # keep the sources so diagnostics show their lines
        raise ModelError(err.diagnostics, {**loaded.sources, **err.sources}) from None
    limits = Limits(b, max_states, timeout_s)
    others: tuple[Result, ...] = ()
    if engine == "explicit":
        result = ExplicitEngine().check(system, limits)
    elif engine == "bmc":
        result = check_bmc(system, limits)
    elif engine == "pdr":
        result = check_pdr(system, limits)
    elif engine == "both":
        result = ExplicitEngine().check(system, limits)
        other = check_bmc(system, limits)
        _agree(result, other)
        others = (_settle(system, other),)
    else:
        raise ValueError(engine)
    result = _settle(system, result)
    cov = coverage_of(target, system, result)
    return Outcome(target, cfg, b, loaded, system, result, others, cov)


def _agree(a: Result, b: Result) -> None:
    """Explicit and BMC must give the same verdict and the same trace length."""
    if Verdict.UNKNOWN in (a.verdict, b.verdict):
        return
    if a.verdict is not b.verdict or len(a.trace) != len(b.trace):
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
