"""The compiled search reduced by symmetry (lazycheck/engines/compiled.py with the group of
lazycheck/engines/symmetry.py) gives the Python reduced search's results: on every target
with a group at its own configuration, reduced from the start, the verdict, canonical
state and transition counts, depth, group order, violation, trace and coverage are equal;
switched to reduced midway too; a reduced FAIL's own trace is the Python one's concrete
run.  Skipped without numba."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lazycheck.engines import compiled, symmetry
from lazycheck.engines.explicit import ExplicitEngine, _Search
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.verify import build
from lazycheck.semantics import Packing
from lazycheck.system import System
from lazycheck.targets import find_root, load_target, target_names

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")

ROOT = find_root(Path(__file__).parent)


def _system(name: str, cpus: int | None = None, tasks: int | None = None
            ) -> tuple[System, int]:
    t = load_target(name, ROOT)
    cfg = t.config.overridden(cpus=cpus, tasks=tasks) if cpus or tasks else t.config
    return build(t, ROOT, cfg)[1], t.bound


def _facts(r: Result) -> tuple[object, ...]:
    s = r.stats
    return (r.verdict, s.states, s.transitions, s.depth, s.exhausted, s.symmetry,
            r.violation_code, r.trace, r.reason, r.fired, r.witnessed, r.watched,
            r.coverage_known)


def _same(system: System, limits: Limits, after: int) -> Result:
    py = ExplicitEngine(symmetry_after=after).check(system,
                                                    dataclasses.replace(limits, compiled=False))
    fast = compiled.check(system, limits, symmetry_after=after)
    assert fast is not None
    assert _facts(fast) == _facts(py)
    return fast


@pytest.mark.parametrize("name", target_names(ROOT))
def test_every_target_with_a_group_reduced_from_the_start(name: str) -> None:
    system, bound = _system(name)
    if symmetry.derive(system) is None:
        pytest.skip("no symmetry group")
    r = _same(system, Limits(bound, 2_000_000, 600.0), 0)
    assert r.verdict is Verdict.FAIL or r.stats.symmetry > 1


@pytest.mark.parametrize("name", ["xen-nested", "arm64-nested", "kasan-populate-pause-s390",
                                  "xen-nesting-counter"])
def test_switched_to_reduced_midway(name: str) -> None:
    system, bound = _system(name)
    _same(system, Limits(bound, 2_000_000, 600.0), 50)


def test_nested_three_tasks() -> None:
    system, bound = _system("arm64-nested", cpus=2, tasks=3)
    r = _same(system, Limits(bound, 2_000_000, 600.0), 0)
    assert r.verdict is Verdict.PASS and r.stats.symmetry == 4


def test_state_limit_reduced() -> None:
    system, bound = _system("xen-nested", cpus=2, tasks=2)
    r = _same(system, Limits(bound, 3_000, 600.0), 0)
    assert r.verdict is Verdict.UNKNOWN


@pytest.mark.parametrize("name", ["xen-nesting-counter", "kasan-depopulate-no-pause-xen"])
def test_reduced_fail_is_the_python_concrete_run(name: str) -> None:
    """Without the unreduced rerun: the reduced FAIL's de-canonicalised trace, counts and
    code equal the Python reduced search's."""
    system, bound = _system(name)
    group = symmetry.derive(system)
    if group is None:
        pytest.skip("no symmetry group")
    limits = Limits(bound, 2_000_000, 600.0)
    packing = Packing.of(system)
    py = _Search(system, limits, packing, group).run()
    fast = compiled.CompiledSearch(system, limits, packing, group=group).run()
    assert fast is not None and py.verdict is Verdict.FAIL
    assert _facts(fast) == _facts(py)
