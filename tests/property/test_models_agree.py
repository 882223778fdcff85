"""Differential test on generated models: the explicit and z3 engines agree.

:mod:`tests.property.model_gen` writes random well-typed ``.lazy`` model sets
(arch + G0-style api + scenario) with a random kernel configuration and
property subset; they go through the whole front end (parser, checker,
world construction).  For each one:

* ``ExplicitEngine.check`` and ``BmcEngine.check`` at bound :data:`BOUND`
  give the same verdict and, on FAIL, traces of the same length, and each
  trace replays (``Semantics.replay``) to a state whose violation variable
  is the code the engine reported;
* ``bmc exhausted`` implies ``explicit exhausted``;
* when the bounded check passes, ``BmcEngine.prove`` (k-induction, up to
  :data:`PROVE_BOUND`) must not contradict the ground truth: a proof means
  no violation is reachable at all (explicit exhausted, or an explicit run
  with an unreachable bound passes), a FAIL has the shortest length and
  replays.

A BMC time-out (UNKNOWN on the time limit) is counted, not failed: it says
an example is slow, not that an engine is wrong.  Any other exception in
lazycheck is a finding.

CI runs :data:`CI_EXAMPLES` derandomized examples (about 15 s on 2 cores).
``LAZYCHECK_FUZZ_EXAMPLES=N`` (``make fuzz-engines``) runs N examples and,
instead of stopping and shrinking at the first problem, records every one,
prints ``lazycheck model fuzz: N models checked, M disagreements`` and the
smallest reproducers (model text + kernel config), and fails at the end if
there were any.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.semantics import Semantics
from lazycheck.system import System
from tests.property.model_gen import GeneratedModel, models

CI_EXAMPLES = 25
BOUND = 8
PROVE_BOUND = 4
BMC_TIMEOUT_S = 60.0
GROUND_TRUTH = Limits(bound=400, max_states=200_000)
PROGRESS_EVERY = 250  # long run: a progress line every so many models


def fuzz_examples() -> int:
    """Examples to run: ``LAZYCHECK_FUZZ_EXAMPLES`` if set, else the CI count."""
    raw = os.environ.get("LAZYCHECK_FUZZ_EXAMPLES", "")
    return int(raw) if raw.strip() else CI_EXAMPLES


def long_run() -> bool:
    return "LAZYCHECK_FUZZ_EXAMPLES" in os.environ


def _replay_problem(system: System, result: Result, who: str) -> str | None:
    final = Semantics(system).replay(result.trace)[-1]
    got = final[system.violation_var]
    if result.violation_code == 0 or got != result.violation_code:
        return (f"{who} trace {result.trace} replays to violation code {got}, "
                f"reported {result.violation_code}")
    return None


def _timed_out(r: Result) -> bool:
    """UNKNOWN because the budget ran out.  z3 sometimes stops on its own per-call
    timeout a moment before the engine's clock does, and the reason then reads
    "z3 returned unknown ...: canceled" instead of "time limit ... reached"."""
    return r.verdict is Verdict.UNKNOWN and (r.reason.startswith("time limit")
                                             or r.reason.endswith(("canceled", "timeout")))


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    timeouts: int = 0


def check_model(system: System) -> Findings:
    """Every way the engines disagree on ``system`` (no problems: they agree)."""
    out = Findings()
    limits = Limits(bound=BOUND, timeout_s=BMC_TIMEOUT_S)
    explicit = ExplicitEngine().check(system, limits)
    bmc = BmcEngine().check(system, limits)
    if explicit.verdict is Verdict.UNKNOWN:
        out.problems.append(f"explicit UNKNOWN at bound {BOUND}: {explicit.reason}")
        return out
    if _timed_out(bmc):
        out.timeouts += 1
        return out
    if bmc.verdict is not explicit.verdict:
        out.problems.append(f"check verdicts differ: bmc {bmc.verdict.value} "
                            f"{bmc.reason or bmc.trace} vs explicit {explicit.verdict.value} "
                            f"{explicit.trace}")
        return out
    if explicit.verdict is Verdict.FAIL:
        if len(bmc.trace) != len(explicit.trace):
            out.problems.append(f"trace lengths differ: bmc {bmc.trace} vs explicit "
                                f"{explicit.trace}")
        for who, r in (("bmc", bmc), ("explicit", explicit)):
            p = _replay_problem(system, r, who)
            if p:
                out.problems.append(p)
        return out
    if bmc.stats.exhausted and not explicit.stats.exhausted:
        out.problems.append("bmc claims exhaustion, explicit does not")
    # bounded PASS: k-induction against the ground truth
    proof = BmcEngine().prove(system, Limits(PROVE_BOUND, timeout_s=BMC_TIMEOUT_S))
    if _timed_out(proof):
        out.timeouts += 1
        return out
    truth = explicit if explicit.stats.exhausted else ExplicitEngine().check(system,
                                                                             GROUND_TRUTH)
    known = truth.verdict is Verdict.FAIL or truth.stats.exhausted
    if proof.verdict is Verdict.PASS:
        if not proof.stats.proved:
            out.problems.append("prove() returned an unproved PASS")
        if known and truth.verdict is not Verdict.PASS:
            out.problems.append(f"k-induction proved a model that fails: explicit trace "
                                f"{truth.trace}")
    elif proof.verdict is Verdict.FAIL:
        if known and (truth.verdict is not Verdict.FAIL
                      or len(proof.trace) != len(truth.trace)):
            out.problems.append(f"prove() FAIL {proof.trace} vs explicit "
                                f"{truth.verdict.value} {truth.trace}")
        p = _replay_problem(system, proof, "prove()")
        if p:
            out.problems.append(p)
    elif not proof.reason:
        out.problems.append("prove() UNKNOWN without a reason")
    return out


@dataclass
class Tally:
    """Counts for the long run (a local object, not module state)."""

    models: int = 0
    timeouts: int = 0
    failures: list[tuple[GeneratedModel, list[str]]] = field(default_factory=list)


def test_models_agree(capsys: pytest.CaptureFixture[str]) -> None:
    tally = Tally()
    record = long_run()

    @settings(max_examples=fuzz_examples(), deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(models())
    def check(model: GeneratedModel) -> None:
        tally.models += 1
        try:
            found = check_model(model.system())
        except Exception as exc:  # a crash in lazycheck is a finding too
            if not record:
                raise
            found = Findings([f"crash: {type(exc).__name__}: {exc}"])
        tally.timeouts += found.timeouts
        if record:
            if found.problems:
                tally.failures.append((model, found.problems))
            if tally.models % PROGRESS_EVERY == 0:
                with capsys.disabled():
                    print(f"  ... {tally.models} models, {len(tally.failures)} "
                          "disagreements so far", flush=True)
        else:
            assert not found.problems, "\n".join([*found.problems, model.reproducer()])

    check()
    if record:
        with capsys.disabled():
            print(f"\nlazycheck model fuzz: {tally.models} models checked, "
                  f"{len(tally.failures)} disagreements ({tally.timeouts} bmc time-outs "
                  f"of {BMC_TIMEOUT_S:g} s)")
            smallest = sorted(tally.failures, key=lambda f: len(f[0].reproducer()))
            for model, problems in smallest[:3]:
                print("\n".join(problems))
                print(model.reproducer())
        assert not tally.failures
