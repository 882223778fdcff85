"""Symmetry reduction (lazycheck/engines/symmetry.py) is sound on every target.

For each zoo target at its own configuration (every claimed configuration
with ``LAZYCHECK_SYMMETRY_ALL=1``, ``make symmetry-check``), the explicit
engine runs with and without symmetry: the verdict, the violation, the
trace, the fired actions, the witnesses and the watched properties must be
equal, and on a PASS the orbits of the canonical states the reduced search
stored must add up to exactly the states an unreduced search reaches from
the orbit of the initial state (from the initial state itself when the group
fixes it).  Generated models (tests/property/model_gen.py) get the same check.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from lazycheck.engines import symmetry
from lazycheck.engines.explicit import ExplicitEngine, _Search
from lazycheck.kernel.config import KernelConfig
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.verify import build
from lazycheck.semantics import Packing, Semantics
from lazycheck.system import System
from lazycheck.targets import find_root, load_target, target_names
from tests.property.model_gen import GeneratedModel, models

ROOT = find_root(Path(__file__).parent)
ALL_CONFIGS = os.environ.get("LAZYCHECK_SYMMETRY_ALL", "") == "1"


def _cases() -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for name in target_names(ROOT):
        t = load_target(name, ROOT)
        n = len(t.claims) if ALL_CONFIGS else 1
        out.extend((name, k) for k in range(n))
    return out


def _config(name: str, k: int) -> tuple[KernelConfig, int]:
    t = load_target(name, ROOT)
    return (t.claims[k].config if ALL_CONFIGS else t.config), t.bound


def unreduced_count(system: System, group: symmetry.Group, bound: int) -> int:
    """States an unreduced BFS reaches within ``bound`` steps of the initial state's orbit."""
    sem = Semantics(system)
    level = {group.apply(e, system.init) for e in range(group.order)}
    seen = set(level)
    for _ in range(bound):
        nxt = {t for s in level for _, t in sem.successors(s)} - seen
        if not nxt:
            break
        seen |= nxt
        level = nxt
    return len(seen)


def orbit_count(system: System, group: symmetry.Group, limits: Limits) -> tuple[Result, int]:
    """The reduced search's result and the orbit sizes of its canonical states, summed."""
    packing = Packing.of(system)
    search = _Search(system, limits, packing, group)
    result = search.run()
    orbit = symmetry.orbit_of(group, packing)
    return result, sum(len(orbit(s)) for s in search.seen)


def assert_same(system: System, bound: int, max_states: int = 400_000) -> int:
    """With and without symmetry agree; the group's order (1: no symmetry found)."""
    group = symmetry.derive(system)
    if group is None:
        return 1
    limits = Limits(bound, max_states=max_states)
    plain = ExplicitEngine().check(system, Limits(bound, max_states=max_states, symmetry=False))
    reduced = ExplicitEngine(symmetry_after=0).check(system, limits)
    assert reduced.verdict is plain.verdict
    assert reduced.violation_code == plain.violation_code
    assert reduced.trace == plain.trace
    if plain.verdict is Verdict.UNKNOWN:
        return group.order
    assert reduced.fired == plain.fired
    assert reduced.witnessed == plain.witnessed
    assert reduced.watched == plain.watched
    if plain.verdict is Verdict.FAIL:
        assert_concrete_trace(system, group, limits, plain)
    if plain.verdict is Verdict.PASS:
        assert reduced.stats.symmetry == group.order
        assert reduced.stats.exhausted == plain.stats.exhausted
        _, expanded = orbit_count(system, group, limits)
        if group.fixes_init:
            assert expanded == plain.stats.states
        assert expanded == unreduced_count(system, group, bound)
        assert reduced.stats.states <= plain.stats.states
    return group.order


def assert_concrete_trace(system: System, group: symmetry.Group, limits: Limits,
                          plain: Result) -> None:
    """The reduced search's own trace (de-canonicalised) is a shortest concrete run."""
    packing = Packing.of(system)
    own = _Search(system, limits, packing, group).run()
    assert own.verdict is Verdict.FAIL
    assert len(own.trace) == len(plain.trace)
    final = Semantics(system).replay(own.trace)[-1]
    code = final[system.violation_var]
    assert code == own.violation_code
    assert system.violation(code).property_id == system.violation(plain.violation_code).property_id


@pytest.mark.parametrize(("name", "k"), _cases())
def test_symmetry_agrees_on_target(name: str, k: int) -> None:
    t = load_target(name, ROOT)
    config, bound = _config(name, k)
    _, system = build(t, ROOT, config)
    assert_same(system, bound)


def test_cpus_of_xen_nested_are_interchangeable() -> None:
    t = load_target("xen-nested", ROOT)
    _, system = build(t, ROOT, t.config)
    group = symmetry.derive(system)
    assert group is not None and group.order == 2
    assert group.elements[1].cpus == (1, 0)
    assert not group.fixes_init  # a task that never ran "last ran" on cpu0


def test_three_tasks_running_one_program_are_interchangeable() -> None:
    t = load_target("arm64-nested", ROOT)
    cfg = t.config.overridden(3, 3, None, None)
    _, system = build(t, ROOT, cfg)
    group = symmetry.derive(system)
    assert group is not None
    programs = cfg.tasks
    # the tasks that share a program permute freely, and the CPUs do
    same = max(programs.count(p) for p in set(programs))
    assert group.order == 6 * {1: 1, 2: 2, 3: 6}[same]


def test_kasan_pause_tasks_are_not_interchangeable() -> None:
    """Both tasks run kasan_populate_vmalloc, but ``if (current != 0) page = 2;``."""
    t = load_target("kasan-populate-pause-s390", ROOT)
    _, system = build(t, ROOT, t.config)
    assert t.config.tasks[0] == t.config.tasks[1]
    why = [r for r in symmetry.rejected_renamings(system) if r.startswith("T0<->T1")]
    assert why and "is no action" in why[0]


def test_hand_made_system_has_no_group() -> None:
    from tests.engines.test_explicit import counter_system

    assert symmetry.derive(counter_system(3)) is None


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models())
def test_symmetry_agrees_on_generated_models(model: GeneratedModel) -> None:
    assert_same(model.system(), 8, max_states=50_000)


def test_canonical_form_is_an_orbit_invariant_in_both_encodings() -> None:
    t = load_target("xen-nesting-counter", ROOT)
    _, system = build(t, ROOT, t.config)
    group = symmetry.derive(system)
    assert group is not None and group.order == 4
    packing = Packing.of(system)
    canon_t, orbit_t = symmetry.canonicalizer(group, None), symmetry.orbit_of(group, None)
    canon_p, orbit_p = symmetry.canonicalizer(group, packing), symmetry.orbit_of(group, packing)
    sem = Semantics(system)
    level, states = [system.init], [system.init]
    for _ in range(6):
        level = [s for x in level for _, s in sem.successors(x)][:300]
        states += level
    for s in states:
        orbit = orbit_t(s)
        assert {packing.pack(x) for x in orbit} == orbit_p(packing.pack(s))
        assert {canon_t(x) for x in orbit} == {canon_t(s)}
        assert {canon_p(packing.pack(x)) for x in orbit} == {canon_p(packing.pack(s))}
        assert orbit == {group.apply(e, s) for e in range(group.order)}


def test_write_only_cpu_local_is_renamed_only_while_live() -> None:
    """``cpu_t b = smp_processor_id();`` in xen_mc_flush: reset to 0 ("dead", not cpu0) on exit."""
    t = load_target("xen-nested", ROOT)
    _, system = build(t, ROOT, t.config)
    group = symmetry.derive(system)
    assert group is not None
    b = next(i for i, v in enumerate(system.vars) if v.name == "T0.xen_mc_flush.b")
    live = group.live[b]
    assert live is not None
    pc, rng = live
    dead = next(k for k in range(system.vars[pc].lo, system.vars[pc].hi + 1) if k not in rng)
    for at, renamed in ((min(rng), 1), (dead, 0)):
        state = list(system.init)
        state[pc], state[b] = at, 0
        image = group.apply(1, tuple(state))
        assert image[group.var_maps[1][b]] == renamed
        assert group.apply(1, image) == tuple(state)


@pytest.mark.parametrize("name", ["arm64-nested", "xen-nested", "kasan-populate-pause-s390",
                                  "xen-nesting-counter"])
def test_switching_to_reduced_midway_is_one_search_like_reducing_from_the_start(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``symmetry_after`` states the search goes on reduced from the states it has
    (one search, nothing expanded twice) and reports what a reduced search reports."""
    t = load_target(name, ROOT)
    _, system = build(t, ROOT, t.config)
    limits = Limits(t.bound, max_states=400_000, compiled=False)  # the Python search's switch
    start = ExplicitEngine(symmetry_after=0).check(system, limits)
    runs: list[int] = []
    real_run = _Search.run

    def counted(self: _Search) -> Result:
        runs.append(1)
        return real_run(self)

    monkeypatch.setattr(_Search, "run", counted)
    midway = ExplicitEngine(symmetry_after=50).check(system, limits)
    assert midway.verdict is start.verdict and midway.trace == start.trace
    assert midway.stats.states == start.stats.states
    assert midway.stats.transitions == start.stats.transitions
    assert midway.stats.depth == start.stats.depth
    assert midway.stats.symmetry == start.stats.symmetry
    assert (midway.fired, midway.witnessed, midway.watched) == (
        start.fired, start.witnessed, start.watched)
    if start.verdict is Verdict.PASS:
        assert start.stats.symmetry > 1 and len(runs) == 1
