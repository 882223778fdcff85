"""The compiled search (``verify --compiled``, lazycheck/engines/compiled.py) gives the
Python search's results: on every zoo target at its own configuration, on
arm64-nested and xen-nested at 2 CPUs x 2 tasks, at a state limit and at a
depth bound, the verdict, state and transition counts, depth, violation, trace,
fired actions, witnesses and watched properties are those of the unreduced
Python search.  Skipped without numba (the ``[compiled]`` extra)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lazycheck.engines import compiled
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.semantics import Packing
from lazycheck.system import System
from lazycheck.targets import target_names
from tests.engines.compiled_cases import ROOT, facts, target_system

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def _same(system: System, limits: Limits) -> Result:
    plain = dataclasses.replace(limits, symmetry=False, compiled=False)
    py = ExplicitEngine().check(system, plain)
    fast = compiled.check(system, dataclasses.replace(plain, compiled=True))
    assert fast is not None
    assert facts(fast) == facts(py)
    return fast


@pytest.mark.parametrize("name", target_names(ROOT))
def test_every_target_at_its_configuration(name: str) -> None:
    system, bound = target_system(name)
    _same(system, Limits(bound, 2_000_000, 600.0))


@pytest.mark.parametrize("name", ["arm64-nested", "xen-nested"])
def test_nested_at_two_by_two(name: str) -> None:
    system, bound = target_system(name, cpus=2, tasks=2)
    assert _same(system, Limits(bound, 2_000_000, 600.0)).verdict is Verdict.PASS


def test_state_limit_and_depth_bound() -> None:
    system, bound = target_system("xen-nested")
    assert _same(system, Limits(bound, 5_000, 600.0)).verdict is Verdict.UNKNOWN
    r = _same(system, Limits(7, 2_000_000, 600.0))
    assert r.verdict is Verdict.PASS and not r.stats.exhausted


def test_the_engine_hook_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Limits.compiled`` reaches the compiled search through ExplicitEngine."""
    system, bound = target_system("xen-nesting-counter")
    limits = Limits(bound, 2_000_000, 600.0, symmetry=False, compiled=False)
    ran: list[Result | None] = []
    real = compiled.check

    def spy(s: System, lim: Limits, after: int | None = None) -> Result | None:
        ran.append(real(s, lim, after))
        return ran[-1]

    monkeypatch.setattr(compiled, "check", spy)
    off = ExplicitEngine().check(system, limits)
    assert not ran
    on = ExplicitEngine().check(system, dataclasses.replace(limits, compiled=True))
    assert len(ran) == 1 and ran[0] is on
    assert facts(on) == facts(off)
    assert on.verdict is Verdict.FAIL and on.trace


def test_tiering_up_midway_changes_nothing(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    """Recompiling at the higher level during the search (here past 2,000 states, into an
    empty code cache) gives the same result, and the next run starts at that level."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(compiled, "TIER_STATES", 2_000)
    system, bound = target_system("xen-nested")
    limits = Limits(bound, 2_000_000, 600.0, symmetry=False, compiled=False)
    search = compiled.CompiledSearch(system, limits, Packing.of(system))
    assert search.opt == (0, 0)
    fast = search.run()
    assert fast is not None and search.opt == compiled.TIER
    assert facts(fast) == facts(ExplicitEngine().check(system, limits))
    again = compiled.CompiledSearch(system, limits, Packing.of(system))
    assert again.opt == compiled.TIER


def test_memory_limit_ends_unknown() -> None:
    """``--max-memory`` in the compiled search: UNKNOWN with the states explored."""
    system, bound = target_system("xen-nested", cpus=2, tasks=2)
    limits = Limits(bound, 2_000_000, 600.0, max_memory=1, symmetry=False, compiled=True)
    r = compiled.check(system, limits)
    assert r is not None and r.verdict is Verdict.UNKNOWN
    assert r.reason is not None and r.reason.startswith("memory limit of")
    assert 4_096 <= r.stats.states < 42_840


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize(("name", "cpus", "tasks", "max_states", "after"),
                         [("xen-nested", 2, 2, 2_000_000, 0),
                          ("xen-nested", 2, 2, 2_000_000, 50),
                          ("arm64-nested", 2, 3, 2_000_000, 100_000),
                          ("xen-nested", 2, 2, 3_000, 0),
                          ("xen-nesting-counter", None, None, 2_000_000, 0),
                          ("kasan-depopulate-no-pause-xen", None, None, 2_000_000, 0)])
def test_threads_give_the_one_thread_result(workers: int, name: str, cpus: int | None,
                                            tasks: int | None, max_states: int,
                                            after: int) -> None:
    """``-j 2``/``-j 3`` on the compiled search: every field as ``-j 1`` (PASS reduced from
    the start and switched midway, a state limit, FAILs with their traces)."""
    system, bound = target_system(name, cpus, tasks)
    one = Limits(bound, max_states, 600.0, compiled=True)
    a = compiled.check(system, one, symmetry_after=after)
    b = compiled.check(system, dataclasses.replace(one, workers=workers), symmetry_after=after)
    assert a is not None and b is not None
    assert facts(a) == facts(b) and a.stats.symmetry == b.stats.symmetry


def test_threads_with_small_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 64 states and buffers of twice the actions' rows: parts stop early and the
    next chunk goes on from there; still every field as ``-j 1``."""
    monkeypatch.setattr(compiled, "CHUNK", 64)
    monkeypatch.setattr(compiled, "ROWS_PER_STATE", 0)
    stopped: list[int] = []
    real = compiled.CompiledSearch.part

    def part(self: compiled.CompiledSearch, t: int, lo: int, hi: int, buf: object
             ) -> tuple[int, int]:
        n, done = real(self, t, lo, hi, buf)  # type: ignore[arg-type]
        stopped.append(done < hi)
        return n, done

    monkeypatch.setattr(compiled.CompiledSearch, "part", part)
    system, bound = target_system("xen-nested", 2, 2)
    one = Limits(bound, 2_000_000, 600.0, compiled=True)
    a = compiled.check(system, one, symmetry_after=50)
    b = compiled.check(system, dataclasses.replace(one, workers=2), symmetry_after=50)
    assert a is not None and b is not None and facts(a) == facts(b)
    assert any(stopped)
