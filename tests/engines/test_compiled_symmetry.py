"""The compiled search reduced by symmetry (lazycheck/engines/compiled.py with the group of
lazycheck/engines/symmetry.py) gives the Python reduced search's results: on every target
with a group at its own configuration, reduced from the start, the verdict, canonical
state and transition counts, depth, group order, violation, trace and coverage are equal;
switched to reduced midway too; a reduced FAIL's own trace is the Python one's concrete
run.  Skipped without numba."""

from __future__ import annotations

import dataclasses

import pytest

from lazycheck.engines import compiled, symmetry
from lazycheck.engines.explicit import ExplicitEngine, _Search
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.semantics import Packing
from lazycheck.system import System
from lazycheck.targets import target_names
from tests.engines.compiled_cases import ROOT, facts, target_system

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def _same(system: System, limits: Limits, after: int) -> Result:
    py = ExplicitEngine(symmetry_after=after).check(system,
                                                    dataclasses.replace(limits, compiled=False))
    fast = compiled.check(system, limits, symmetry_after=after)
    assert fast is not None
    assert facts(fast) == facts(py)
    return fast


@pytest.mark.parametrize("name", target_names(ROOT))
def test_every_target_with_a_group_reduced_from_the_start(name: str) -> None:
    system, bound = target_system(name)
    if symmetry.derive(system) is None:
        pytest.skip("no symmetry group")
    r = _same(system, Limits(bound, 2_000_000, 600.0), 0)
    assert r.verdict is Verdict.FAIL or r.stats.symmetry > 1


@pytest.mark.parametrize("name", ["xen-nested", "arm64-nested", "kasan-populate-pause-s390",
                                  "xen-nesting-counter"])
def test_switched_to_reduced_midway(name: str) -> None:
    system, bound = target_system(name)
    _same(system, Limits(bound, 2_000_000, 600.0), 50)


def test_nested_three_tasks() -> None:
    system, bound = target_system("arm64-nested", cpus=2, tasks=3)
    r = _same(system, Limits(bound, 2_000_000, 600.0), 0)
    assert r.verdict is Verdict.PASS and r.stats.symmetry == 4


def test_state_limit_reduced() -> None:
    system, bound = target_system("xen-nested", cpus=2, tasks=2)
    r = _same(system, Limits(bound, 3_000, 600.0), 0)
    assert r.verdict is Verdict.UNKNOWN


@pytest.mark.parametrize("name", ["xen-nesting-counter", "kasan-depopulate-no-pause-xen"])
def test_reduced_fail_is_the_python_concrete_run(name: str) -> None:
    """Without the unreduced rerun: the reduced FAIL's de-canonicalised trace, counts and
    code equal the Python reduced search's."""
    system, bound = target_system(name)
    group = symmetry.derive(system)
    if group is None:
        pytest.skip("no symmetry group")
    limits = Limits(bound, 2_000_000, 600.0)
    packing = Packing.of(system)
    py = _Search(system, limits, packing, group).run()
    fast = compiled.CompiledSearch(system, limits, packing, group=group).run()
    assert fast is not None and py.verdict is Verdict.FAIL
    assert facts(fast) == facts(py)
