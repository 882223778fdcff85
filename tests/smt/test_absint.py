"""Per-depth value sets over-approximate the states at each depth (BMC prunes with them)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from lazycheck.engines.absint import ValueSets
from lazycheck.run.verify import build
from lazycheck.semantics import Semantics, State
from lazycheck.system import System
from lazycheck.targets import load_target
from tests.property.strategies import systems

ROOT = Path(__file__).resolve().parents[2]


def _check_contains(system: System, depth: int) -> None:
    sem = Semantics(system)
    sets = ValueSets(system)
    level: set[State] = {system.init}
    for _ in range(depth):
        sets.step()
        nxt: set[State] = set()
        for st in level:
            for idx, succ in sem.successors(st):
                assert sets.enabled[idx], system.actions[idx].name
                nxt.add(succ)
        for st in nxt:
            for j, v in enumerate(st):
                vs = sets.state[j]
                assert vs is None or v in vs, system.vars[j].name
        level = nxt


def test_value_sets_contain_every_state_of_a_target() -> None:
    t = load_target("g3v3-xen-disable-while-paused", ROOT)
    _check_contains(build(t, ROOT, t.config)[1], 24)


def test_value_sets_prune_something() -> None:
    t = load_target("g3v3-xen-disable-while-paused", ROOT)
    sets = ValueSets(build(t, ROOT, t.config)[1])
    sets.step()
    assert not all(sets.enabled)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_value_sets_contain_every_state_of_random_systems(system: System) -> None:
    _check_contains(system, 6)
