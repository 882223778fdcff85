"""The verification pipeline: target -> models -> system -> engine -> outcome.

Nothing here prints; the CLI and :mod:`lazycheck.report` do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.base import Limits, Result, Stats, Verdict
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.errors import ReplayError
from lazycheck.kernel.config import KernelConfig
from lazycheck.kernel.world import instantiate
from lazycheck.lang.loader import Loaded, load
from lazycheck.properties import MODEL_BOUNDS
from lazycheck.semantics import Semantics
from lazycheck.system import System
from lazycheck.targets import Target, validate_config


@dataclass(frozen=True, slots=True)
class Outcome:
    target: Target
    config: KernelConfig
    bound: int
    loaded: Loaded
    system: System
    result: Result

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
            return self.verdict is Verdict.PASS
        return self.verdict is Verdict.FAIL and self.property_id == exp.property


def engine_for(name: str) -> ExplicitEngine:
    if name == "explicit":
        return ExplicitEngine()
    raise ValueError(name)


def run(target: Target, root: Path, config: KernelConfig | None = None,
        bound: int | None = None, engine: str = "explicit",
        max_states: int = 2_000_000, timeout_s: float = 600.0) -> Outcome:
    cfg = config or target.config
    b = bound or target.bound
    validate_config(cfg, b)
    loaded = load(list(target.models), root)
    system = instantiate(loaded.program, cfg)
    result = engine_for(engine).check(system, Limits(b, max_states, timeout_s))
    result = _settle(system, result)
    return Outcome(target, cfg, b, loaded, system, result)


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


def empty_stats(engine: str) -> Stats:
    return Stats(engine=engine)
