"""Differential test: the z3 engine and the explicit engine agree.

On random small systems (:mod:`tests.property.strategies`):

* ``BmcEngine.check`` and ``ExplicitEngine.check`` give the same verdict
  at the same bound, the same trace length on FAIL, and both traces replay
  to a violating state;
* the context encoding (``BmcEncoding.CONTEXT``, small contexts so that
  runs span several) gives the same verdict, and on FAIL a trace that
  replays, within the bound, never shorter than explicit's shortest;
* BMC's exhaustion is sound: ``bmc exhausted`` implies ``explicit exhausted``;
* ``BmcEngine.prove`` never contradicts the ground truth (an explicit run
  with an unreachable bound, which always exhausts these tiny spaces):
  a proof means no reachable violation, a FAIL has the shortest length.

CI runs :func:`fuzz_examples` examples (60).  For a long run set
``LAZYCHECK_FUZZ_EXAMPLES`` (e.g. 2000) and use ``-s``: the run then
records every disagreement instead of stopping (and shrinking) at the
first, prints how many models were checked and how many disagreed, and
fails at the end if any did.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings

from lazycheck.engines.bmc import BmcEncoding, BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.semantics import Semantics
from lazycheck.system import System
from tests.property.strategies import bounded_systems, systems

CI_EXAMPLES = 60
BOUND = 8
GROUND_TRUTH = Limits(bound=1_000_000)  # > any state count of the generated systems


def fuzz_examples() -> int:
    """Examples to run: ``LAZYCHECK_FUZZ_EXAMPLES`` if set, else the CI count."""
    raw = os.environ.get("LAZYCHECK_FUZZ_EXAMPLES", "")
    return int(raw) if raw.strip() else CI_EXAMPLES


def long_run() -> bool:
    return "LAZYCHECK_FUZZ_EXAMPLES" in os.environ


def _replays_to_violation(system: System, result: Result) -> bool:
    final = Semantics(system).replay(result.trace)[-1]
    return final[system.violation_var] == result.violation_code != 0


def disagreements(system: System) -> list[str]:
    """Everything the engines disagree on for ``system`` (empty: all agree)."""
    limits = Limits(bound=BOUND)
    explicit = ExplicitEngine().check(system, limits)
    bmc = BmcEngine().check(system, limits)
    truth = ExplicitEngine().check(system, GROUND_TRUTH)
    proof = BmcEngine().prove(system, limits)
    out: list[str] = []
    if truth.verdict is not Verdict.FAIL and not truth.stats.exhausted:
        out.append(f"ground truth did not exhaust: {truth}")
    if bmc.verdict is not explicit.verdict:
        out.append(f"check verdicts differ: bmc {bmc.verdict} vs explicit {explicit.verdict}")
    elif bmc.verdict is Verdict.FAIL:
        if len(bmc.trace) != len(explicit.trace):
            out.append(f"trace lengths differ: bmc {bmc.trace} vs explicit {explicit.trace}")
        if not _replays_to_violation(system, bmc):
            out.append(f"bmc trace {bmc.trace} does not replay to a violation")
        if not _replays_to_violation(system, explicit):
            out.append(f"explicit trace {explicit.trace} does not replay to a violation")
    if bmc.stats.exhausted and not explicit.stats.exhausted:
        out.append("bmc claims exhaustion, explicit does not")
    out.extend(_context_disagreements(system, explicit))
    if proof.verdict is Verdict.PASS:
        if not proof.stats.proved:
            out.append("prove() returned an unproved PASS")
        if truth.verdict is not Verdict.PASS:
            out.append(f"k-induction proved a system that fails: {truth.trace}")
    elif proof.verdict is Verdict.FAIL:
        if truth.verdict is not Verdict.FAIL or len(proof.trace) != len(truth.trace):
            out.append(f"prove() FAIL {proof.trace} vs ground truth {truth.verdict} "
                       f"{truth.trace}")
        elif not _replays_to_violation(system, proof):
            out.append(f"prove() trace {proof.trace} does not replay to a violation")
    elif not proof.reason:
        out.append("prove() UNKNOWN without a reason")
    return out


def _context_disagreements(system: System, explicit: Result) -> list[str]:
    """What the context encoding gets wrong against explicit's (shortest) answer."""
    ctx = BmcEngine(encoding=BmcEncoding.CONTEXT, micro=CONTEXT_MICRO).check(
        system, Limits(bound=BOUND))
    if ctx.verdict is not explicit.verdict:
        return [f"context verdict differs: {ctx.verdict} {ctx.trace} vs explicit "
                f"{explicit.verdict} {explicit.trace}"]
    if ctx.verdict is Verdict.FAIL and not (
            len(explicit.trace) <= len(ctx.trace) <= BOUND and _replays_to_violation(system, ctx)):
        return [f"context trace {ctx.trace} vs explicit {explicit.trace}"]
    return []


CONTEXT_MICRO = 3  # actions per context: random runs of <= BOUND steps span several


@dataclass
class Tally:
    """Counts for the long run (a local object, not module state)."""

    models: int = 0
    failures: list[tuple[System, list[str]]] = field(default_factory=list)


def test_engines_agree(capsys: pytest.CaptureFixture[str]) -> None:
    tally = Tally()
    record = long_run()

    @settings(max_examples=fuzz_examples(), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(systems())
    def check(system: System) -> None:
        tally.models += 1
        try:
            problems = disagreements(system)
        except Exception as exc:  # an engine crash is a disagreement too
            if not record:
                raise
            problems = [f"crash: {exc!r}"]
        if record:
            if problems:
                tally.failures.append((system, problems))
        else:
            assert not problems, problems

    check()
    if record:
        with capsys.disabled():
            print(f"\nlazycheck fuzz: {tally.models} models checked, "
                  f"{len(tally.failures)} disagreements")
            for system, problems in tally.failures[:5]:
                print(f"  {problems}\n    {system}")
        assert not tally.failures


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bounded_systems())
def test_engines_agree_under_preemption_bounds(system: System) -> None:
    """The same agreement on systems with switches and interrupts under random bounds.

    The bound is a transform (lazycheck.run.bounding), so both engines see
    the same ghost counters; this checks that BMC's encoding (selector,
    partial-order reduction, narrow storage of the counters) keeps it.
    """
    assert not disagreements(system)
