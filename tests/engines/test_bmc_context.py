"""The context encoding of BMC (engines/bmc_context.py) and the hybrid, on hand-built systems.

The systems are tests/engines/test_bmc.py's; the expected answers follow
from the encoding's contract: same verdict as explicit, a trace that
replays, never shorter than explicit's shortest nor longer than the bound,
a PASS only once the contexts cover the bound, never an exhaustion claim.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lazycheck.engines.bmc import BmcEncoding, BmcEngine
from lazycheck.engines.bmc_context import ContextBmc
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.verify import run
from lazycheck.smt import Encoder
from lazycheck.smt.encode import actors
from lazycheck.targets import load_target
from lazycheck.views.report import config_table
from tests.engines.test_bmc import (
    _assert_replays,
    counter,
    deep_counter,
    lost_update,
    safe_ring,
)

ROOT = Path(__file__).resolve().parents[2]


def _context(micro: int = 12) -> BmcEngine:
    return BmcEngine(encoding=BmcEncoding.CONTEXT, micro=micro)


def test_counter_is_one_context() -> None:
    system = counter()
    result = _context().check(system, Limits(bound=10))
    assert result.verdict is Verdict.FAIL and result.trace == (0, 0, 0)
    assert result.violation_code == 2
    assert len(result.stats.per_depth_s) == 1  # found in the first context
    _assert_replays(system, result)


def test_lost_update_in_three_contexts_of_the_shortest_length() -> None:
    """A.read | B.read B.write | A.write: three contexts, four steps (explicit's length)."""
    system = lost_update()
    result = _context(micro=2).check(system, Limits(bound=8))
    assert result.verdict is Verdict.FAIL and len(result.trace) == 4
    assert len(result.stats.per_depth_s) == 3
    _assert_replays(system, result)


def test_one_action_per_context_is_the_step_encoding() -> None:
    """With ``micro=1`` the fewest contexts are the fewest steps: explicit's length."""
    for system in (counter(), lost_update()):
        got = _context(micro=1).check(system, Limits(bound=8))
        want = ExplicitEngine().check(system, Limits(bound=8))
        assert got.verdict is want.verdict is Verdict.FAIL
        assert len(got.trace) == len(want.trace)


def test_trace_never_longer_than_the_bound() -> None:
    """counter needs 3 steps: within a bound of 3 it is found, within 2 it is a PASS."""
    assert len(_context().check(counter(), Limits(bound=3)).trace) == 3
    result = _context().check(counter(), Limits(bound=2))
    assert result.verdict is Verdict.PASS and result.stats.depth == 2
    assert not result.stats.exhausted


def test_pass_covers_the_bound_and_is_never_exhausted() -> None:
    """safe_ring has one actor: a run of <= 5 actions is one context, a second cannot start."""
    result = _context().check(safe_ring(), Limits(bound=5))
    assert result.verdict is Verdict.PASS and result.stats.depth == 5
    assert not result.stats.exhausted and len(result.stats.per_depth_s) == 2
    two = _context(micro=1).check(safe_ring(), Limits(bound=3))  # one context per action
    assert two.verdict is Verdict.PASS and len(two.stats.per_depth_s) == 3


def test_pass_before_the_bound_when_no_run_has_more_contexts() -> None:
    """deep_counter stops after 20 actions: two contexts of 12; a third cannot start."""
    result = _context().check(deep_counter(), Limits(bound=50))
    assert result.verdict is Verdict.PASS and result.stats.depth == 50
    assert not result.stats.exhausted and len(result.stats.per_depth_s) == 3


def test_timeout_and_cancel_are_unknown() -> None:
    assert _context().check(lost_update(), Limits(bound=8, timeout_s=0.0)).verdict \
        is Verdict.UNKNOWN
    cancel = threading.Event()
    cancel.set()
    system = lost_update()
    result = ContextBmc(Encoder(system)).check(system, Limits(bound=8), cancel)
    assert result.verdict is Verdict.UNKNOWN and "time limit" in result.reason


def test_actors_group_a_task_with_switches_into_it() -> None:
    system = lost_update()  # A's two actions, then B's
    ids = actors(system)
    assert ids[0] == ids[1] != ids[2] == ids[3]


def test_hybrid_answers_like_explicit() -> None:
    """A counterexample of explicit's length; the ring's PASS from whichever side is first.

    (The step side exhausts the ring, the context side covers the bound: a race.)
    """
    hybrid = BmcEngine(encoding=BmcEncoding.HYBRID)
    got = hybrid.check(lost_update(), Limits(bound=8))
    assert got.verdict is Verdict.FAIL and len(got.trace) == 4
    ring = hybrid.check(safe_ring(), Limits(bound=10))
    assert ring.verdict is Verdict.PASS and (ring.stats.exhausted or ring.stats.depth == 10)
    assert hybrid.check(lost_update(), Limits(bound=8, timeout_s=0.0)).verdict \
        is Verdict.UNKNOWN


def test_engine_both_table_shows_each_engines_verdict() -> None:
    target = load_target("arm64-5fdd05efa1cd-softirq-warn", ROOT)
    outcome = run(target, ROOT, engine="both", timeout_s=60.0)
    table = config_table((outcome,))
    n = len(outcome.result.trace)
    assert f"explicit FAIL/{n}, bmc FAIL/{n}" in table
    assert all(len(line) <= 100 for line in table.splitlines())
