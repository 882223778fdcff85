"""What a check produces: engine results, coverage and the outcome of a target.

Engines return a :class:`Result`; :mod:`lazycheck.run.verify` wraps it with
the target, the models and the system into an :class:`Outcome`; views and
the CLI read outcomes and never run anything.  Nothing here computes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from lazycheck.errors import LazycheckError
from lazycheck.ir import Loaded
from lazycheck.kernel.config import KernelConfig
from lazycheck.system import System
from lazycheck.targets import Target


class Verdict(enum.Enum):
    """An engine's answer for one system."""

    PASS = "PASS"  # no violation up to the bound (or at all: exhausted / proved)
    FAIL = "FAIL"  # a property failed; the result carries a shortest trace
    UNKNOWN = "UNKNOWN"  # a limit was hit or the solver gave up: never a PASS


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one run.  ``bound`` is a depth (steps)."""

    bound: int
    max_states: int = 2_000_000
    timeout_s: float = 600.0


@dataclass(frozen=True, slots=True)
class Stats:
    """How far an engine went: states, depth, whether exhausted or proved, time."""

    engine: str
    states: int = 0
    transitions: int = 0
    depth: int = 0  # deepest level explored completely
    bound: int = 0
    exhausted: bool = False  # every reachable state was explored
    proved: bool = False  # an unbounded proof went through
    elapsed_s: float = 0.0
    per_depth_s: tuple[float, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Result:
    """What an engine returns: the verdict, its stats, and a trace on FAIL."""

    verdict: Verdict
    stats: Stats
    violation_code: int = 0
    trace: tuple[int, ...] = ()  # action indices from the initial state
    reason: str = ""  # why UNKNOWN, in words
    fired: frozenset[int] = frozenset()  # actions taken at least once (explicit engine)
    witnessed: frozenset[str] = frozenset()  # witness labels seen (explicit engine)
    coverage_known: bool = False  # fired/witnessed are complete for the explored space


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the explored space exercised: scenario statements and claimed events."""

    statements: int
    unreached: tuple[tuple[str, str], ...]  # (file:line, statement) never executed
    witnessed: frozenset[str]
    missing: tuple[str, ...]  # requirements of the target never witnessed

    @property
    def vacuous(self) -> bool:
        """Something the target claims to exercise was never reached."""
        return bool(self.unreached or self.missing)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A target checked in one configuration: everything a view needs to report it."""

    target: Target
    config: KernelConfig
    bound: int
    loaded: Loaded
    system: System
    result: Result
    others: tuple[Result, ...] = ()  # with --engine both: the second engine's result
    coverage: Coverage | None = None
    engine: str = "explicit"  # the engine asked for (a registry name, or "both")
    args: tuple[str, ...] = ()  # the verify options that shaped it, for ``reproduce:``

    @property
    def vacuous(self) -> bool:
        """A PASS that never exercised what the target claims to check."""
        return (self.verdict is Verdict.PASS and self.coverage is not None
                and self.coverage.vacuous)

    @property
    def verdict(self) -> Verdict:
        """The verdict of the (first) engine."""
        return self.result.verdict

    @property
    def status(self) -> str:
        """PASS, FAIL, UNKNOWN, or VACUOUS for a PASS that exercised too little."""
        return "VACUOUS" if self.vacuous else self.verdict.value

    @property
    def property_id(self) -> str | None:
        """The id of the property that failed, if one did."""
        if self.result.violation_code:
            return self.system.violation(self.result.violation_code).property_id
        return None

    @property
    def as_expected(self) -> bool:
        """The verdict is the one the target expects (a vacuous PASS never is)."""
        exp = self.target.expect_for(self.config)
        if exp.verdict == "pass":
            return self.verdict is Verdict.PASS and not self.vacuous
        return self.verdict is Verdict.FAIL and self.property_id == exp.property


@dataclass(frozen=True, slots=True)
class TargetError:
    """A target that could not be checked: its models or its TOML are bad input."""

    target: str
    error: LazycheckError
