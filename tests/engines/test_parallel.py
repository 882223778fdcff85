"""Parallel BFS (``-j``): the same result as the sequential search, field for field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lazycheck.engines import parallel
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.verify import build
from lazycheck.targets import find_root, load_target

ROOT = find_root(Path(__file__).resolve().parent)

pytestmark = pytest.mark.skipif(not parallel.available(), reason="no fork here")


def _untimed(r: Result) -> Result:
    return dataclasses.replace(r, stats=dataclasses.replace(r.stats, elapsed_s=0.0))


def _both(name: str, workers: int, bound: int | None = None,
          max_states: int = 2_000_000) -> tuple[Result, Result]:
    t = load_target(name, ROOT)
    _, system = build(t, ROOT, t.config)
    lim = Limits(bound or t.bound, max_states, symmetry=False, compiled=False)
    one = ExplicitEngine().check(system, lim)
    many = ExplicitEngine().check(system, dataclasses.replace(lim, workers=workers))
    return _untimed(one), _untimed(many)


# FAIL targets (the parallel search stops at the violating level and the sequential
# one gives the counts and trace) and PASS targets that exhaust
@pytest.mark.parametrize("name,verdict", [
    ("xen-nesting-counter", Verdict.FAIL),
    ("kasan-depopulate-no-pause-xen", Verdict.FAIL),
    ("powerpc-hash-g2-v2-2of7", Verdict.FAIL),
    ("powerpc-hash-g3", Verdict.PASS),
    ("kasan-populate-pause-s390", Verdict.PASS),
])
def test_two_workers_equal_one(name: str, verdict: Verdict) -> None:
    """Verdict, state and transition counts, depth, trace and coverage are identical."""
    one, two = _both(name, 2)
    assert one.verdict is verdict
    assert two == one


def test_three_workers_equal_one() -> None:
    """More than one peer per worker (a full mesh of pipes) changes nothing either."""
    one, three = _both("kasan-depopulate-no-pause-xen", 3)
    assert three == one


def test_bound_cuts_both_alike() -> None:
    """A depth bound stops both at the same level with the same counts, not exhausted."""
    one, two = _both("kasan-populate-pause-s390", 2, bound=6)
    assert one.verdict is Verdict.PASS and not one.stats.exhausted
    assert two == one


def test_state_limit_gives_unknown() -> None:
    """The state limit (checked between levels in parallel) is UNKNOWN, never PASS."""
    _, two = _both("kasan-populate-pause-s390", 2, max_states=100)
    assert two.verdict is Verdict.UNKNOWN and "state limit" in two.reason


# symmetry reduction on the workers: reduced from the start (symmetry_after=0) and
# switched to midway (after 50 states: the unreduced start runs on the parent, which
# hands the canonical states over); FAIL targets end in the sequential search
@pytest.mark.parametrize("after", [0, 50])
@pytest.mark.parametrize("name,verdict", [
    ("arm64-nested", Verdict.PASS),
    ("kasan-populate-pause-s390", Verdict.PASS),
    ("xen-nesting-counter", Verdict.FAIL),
])
def test_symmetry_on_workers_equals_the_sequential_reduced_search(
        name: str, verdict: Verdict, after: int) -> None:
    """Verdict, canonical state and transition counts, depth, group, trace, coverage."""
    t = load_target(name, ROOT)
    _, system = build(t, ROOT, t.config)
    lim = Limits(t.bound, 2_000_000, compiled=False)  # the Python workers, not the threads
    one = _untimed(ExplicitEngine(symmetry_after=after).check(system, lim))
    for workers in (2, 3):
        many = ExplicitEngine(symmetry_after=after).check(
            system, dataclasses.replace(lim, workers=workers))
        assert _untimed(many) == one
    assert one.verdict is verdict
    if verdict is Verdict.PASS:
        assert one.stats.symmetry == 2 and one.stats.exhausted
