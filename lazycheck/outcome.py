"""What a check produces: engine results, coverage and the outcome of a target.

Engines return a :class:`Result`; :mod:`lazycheck.run.verify` wraps it with
the target, the models and the system into an :class:`Outcome`; views and
the CLI read outcomes and never run anything.  Nothing here computes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from lazycheck.errors import LazycheckError
from lazycheck.ir import Loaded
from lazycheck.kernel.config import KernelConfig
from lazycheck.system import Clause, System
from lazycheck.targets import Target


class Verdict(enum.Enum):
    """An engine's answer for one system."""

    PASS = "PASS"  # no violation up to the bound (or at all: exhausted / proved)
    FAIL = "FAIL"  # a property failed; the result carries a shortest trace
    UNKNOWN = "UNKNOWN"  # a limit was hit or the solver gave up: never a PASS


DEFAULT_MAX_STATES = 2_000_000  # ``verify --max-states``
DEFAULT_TIMEOUT_S = 600.0  # ``verify --timeout``
DEFAULT_BMC_SHARE_S = 10.0  # ``--engine both``: BMC's least time per configuration


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an engine has got, reported once per BFS level or BMC depth."""

    engine: str
    depth: int  # the level (explicit) or unrolling depth (bmc) about to be explored
    states: int = 0  # states reached so far (0: the engine does not count states)
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one run.  ``bound`` is a depth (steps).

    ``progress``, when set, is called by the engine with a :class:`Progress`
    once per level; engines never print, the CLI shows it."""

    bound: int
    max_states: int = DEFAULT_MAX_STATES
    timeout_s: float = DEFAULT_TIMEOUT_S
    progress: Callable[[Progress], None] | None = field(default=None, compare=False)
    max_memory: int = 0  # bytes of resident memory; 0: no limit (explicit engine)
    symmetry: bool = True  # explicit engine: reduce by the checked symmetry group, if any
    workers: int = 1  # explicit engine: processes of one parallel BFS (-j/--workers)
    bmc_share_s: float = DEFAULT_BMC_SHARE_S  # --engine both: BMC's least time per config
    # explicit engine: the numba/LLVM search (engines/compiled.py); None: past 100k states
    # if numba is importable
    compiled: bool | None = None


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
    symmetry: int = 1  # order of the symmetry group the search reduced by (1: none)


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
    invariant: tuple[Clause, ...] = ()  # a proof's inductive invariant (houdini engine)
    watched: frozenset[str] = frozenset()  # properties whose watched state held somewhere


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the explored space exercised: scenario statements and claimed events."""

    statements: int
    unreached: tuple[tuple[str, str], ...]  # (file:line, statement) never executed
    witnessed: frozenset[str]
    missing: tuple[str, ...]  # requirements of the target never witnessed
    # (property, the state it watches) for checked properties whose state never held
    unwatched: tuple[tuple[str, str], ...] = ()
    checked: int = 0  # how many properties were checked

    @property
    def vacuous(self) -> bool:
        """Something the target claims to exercise was never reached, or every checked
        property watches a state (kernel/watch.py) that never held: each held trivially."""
        idle = self.checked > 0 and len(self.unwatched) == self.checked
        return bool(self.unreached or self.missing or idle)


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
    def found(self) -> str:
        """What was found, in the words of an unexpected verdict: ``FAIL no-bug``, ``PASS``."""
        return f"FAIL {self.property_id}" if self.status == "FAIL" else self.status

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


@dataclass(frozen=True, slots=True)
class FixStep:
    """A statement of a fix that ran during the replay of a counterexample on the fixed model."""

    function: str
    text: str
    file: str  # the model file, relative to the repository
    line: int
    new_function: bool  # the function does not exist in the failing models
    step: int  # the counterexample step during whose replay it ran
    actor: str  # the task (or irq) that ran it
    cpu: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a fix blocks a counterexample: ``lazycheck explain``'s answer, as data.

    ``blocked_step`` is the step of the failing trace that cannot happen on
    the fixed model (0: the trace still reproduces); ``blocked_how`` is
    ``disabled`` (the step is not enabled), ``missing`` (the fixed model has
    no such action), ``diverges`` (the task takes another path) or
    ``no-violation`` (every step runs, no property fails at the end).
    """

    failing: Outcome
    fixed_target: str
    commit: str  # the fix's commit id or message id (the first word of its source)
    fix_source: str
    fix_statements: tuple[tuple[str, str, str, int], ...]  # (function, text, file, line)
    replayed: int  # failing steps that ran on the fixed model
    blocked_step: int
    blocked_how: str
    blocked_what: str  # "the context switch T0 -> idle0 on cpu0"
    load_bearing: FixStep | None
    why: tuple[tuple[str, str, str], ...] = ()  # (variable, in the trace, on the fixed model)
    still_property: str = ""  # the property that still fails when the trace reproduces
    still_message: str = ""
