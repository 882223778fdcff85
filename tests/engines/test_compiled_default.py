"""When the explicit engine uses the compiled search by itself (``Limits.compiled`` None,
the default): past ``symmetry_after`` states the Python search hands its levels over to
the compiled one (engines/compiled.py ``take_over``) when numba is importable, with the
same result; without numba, and below the threshold, the Python search runs alone."""

from __future__ import annotations

import dataclasses

import pytest

from lazycheck.engines import compiled
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result
from tests.engines.compiled_cases import facts, target_system


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[Result | None]:
    ran: list[Result | None] = []
    real = compiled.take_over

    def spy(*args: object) -> Result | None:
        ran.append(real(*args))  # type: ignore[arg-type]
        return ran[-1]

    monkeypatch.setattr(compiled, "take_over", spy)
    return ran


@pytest.mark.skipif(not compiled.available(), reason="numba is not installed")
@pytest.mark.parametrize("name", ["xen-nested", "arm64-nested", "xen-nesting-counter",
                                  "kasan-populate-pause-s390"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_handed_over_past_the_threshold(monkeypatch: pytest.MonkeyPatch, name: str,
                                        symmetric: bool) -> None:
    system, bound = target_system(name)
    limits = Limits(bound, 2_000_000, 600.0, symmetry=symmetric, compiled=False)
    py = ExplicitEngine(symmetry_after=50).check(system, limits)
    ran = _spy(monkeypatch)
    auto = ExplicitEngine(symmetry_after=50).check(
        system, dataclasses.replace(limits, compiled=None))
    assert facts(auto) == facts(py)
    assert len(ran) == 1 and ran[0] is not None


def test_small_spaces_stay_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below the threshold (every zoo target at its own configuration) nothing compiles."""
    ran = _spy(monkeypatch)
    system, bound = target_system("xen-nested")
    r = ExplicitEngine().check(system, Limits(bound, 2_000_000, 600.0))
    assert not ran and r.stats.states == 42_840


def test_without_numba_the_python_search_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without numba: the default falls back to the Python search, same result."""
    monkeypatch.setattr(compiled, "available", lambda: False)
    ran = _spy(monkeypatch)
    system, bound = target_system("xen-nested")
    limits = Limits(bound, 2_000_000, 600.0, compiled=None)
    auto = ExplicitEngine(symmetry_after=50).check(system, limits)
    py = ExplicitEngine(symmetry_after=50).check(system, dataclasses.replace(limits,
                                                                              compiled=False))
    assert not ran and facts(auto) == facts(py)
