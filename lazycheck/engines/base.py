"""What every engine returns.  Engines never print, exit or read globals."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from lazycheck.system import System


class Verdict(enum.Enum):
    PASS = "PASS"  # no violation up to the bound (or at all: exhausted / proved)
    FAIL = "FAIL"  # a property failed; the result carries a shortest trace
    UNKNOWN = "UNKNOWN"  # a limit was hit or the solver gave up: never a PASS

    @property
    def exit_code(self) -> int:
        return {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.UNKNOWN: 3}[self]


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one run.  ``bound`` is a depth (steps)."""

    bound: int
    max_states: int = 2_000_000
    timeout_s: float = 600.0


@dataclass(frozen=True, slots=True)
class Stats:
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
    verdict: Verdict
    stats: Stats
    violation_code: int = 0
    trace: tuple[int, ...] = ()  # action indices from the initial state
    reason: str = ""  # why UNKNOWN, in words
    fired: frozenset[int] = frozenset()  # actions taken at least once (explicit engine)
    witnessed: frozenset[str] = frozenset()  # witness labels seen (explicit engine)
    coverage_known: bool = False  # fired/witnessed are complete for the explored space


class Engine(Protocol):
    name: str

    def check(self, system: System, limits: Limits) -> Result: ...
