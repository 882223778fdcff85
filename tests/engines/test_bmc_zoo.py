"""BMC and the explicit engine agree on every target of the zoo under a preemption bound.

A small depth and ``--preemptions 1`` keep each target to about a second;
the verdicts, the trace lengths (both are shortest) and exhaustion (BMC's
implies explicit's) must agree.  The real targets exercise what the random
models of tests/property cannot: switches with the world's preemption
conditions, interrupts, per-CPU arrays, and the selector/partial-order
encoding over dozens of actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.bounding import bound_system
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics
from lazycheck.targets import load_target, target_names

ROOT = Path(__file__).resolve().parents[2]
DEPTH = 5


@pytest.mark.parametrize("name", target_names(ROOT))
def test_bmc_agrees_with_explicit(name: str) -> None:
    t = load_target(name, ROOT)
    system = bound_system(build(t, ROOT, t.config)[1], preemptions=1)
    ex = ExplicitEngine().check(system, Limits(DEPTH, 500_000, 120))
    bmc = BmcEngine().check(system, Limits(DEPTH, timeout_s=300))  # a shared machine
    assert bmc.verdict is ex.verdict, (bmc.reason, ex.reason)
    assert len(bmc.trace) == len(ex.trace)
    if bmc.verdict is Verdict.FAIL:
        assert Semantics(system).replay(bmc.trace)[-1][system.violation_var] != 0
    if bmc.stats.exhausted:
        assert ex.stats.exhausted
