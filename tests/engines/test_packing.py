"""Packed states: the layout, its round trip, the fallback to tuples, and the memory limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck import semantics
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.engines.memory import MemoryWatch, parse_size, show_size
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.verify import build
from lazycheck.semantics import OutOfRange, Packing, Semantics
from lazycheck.system import (
    Action,
    ActionKind,
    Assign,
    Binary,
    BinOp,
    Const,
    Select,
    StateVar,
    System,
    Var,
    VarKind,
    eq,
)
from lazycheck.targets import find_root, load_target

ROOT = find_root(Path(__file__).resolve().parent)


def _reachable(sem: Semantics, limit: int) -> list[object]:
    seen = {sem.init}
    order = [sem.init]
    frontier = [sem.init]
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            for _, n in sem.successors(s):
                if n not in seen:
                    seen.add(n)
                    order.append(n)
                    nxt.append(n)
        frontier = nxt
    return order


@pytest.mark.parametrize("name", ["arm64-nested", "xen-nested"])
def test_packed_and_tuple_semantics_step_alike(name: str) -> None:
    """BFS on packed ints visits exactly the unpacked images of BFS on tuples."""
    t = load_target(name, ROOT)
    _, system = build(t, ROOT, t.config)
    packing = Packing.of(system)
    plain = _reachable(Semantics(system), 2000)
    packed = _reachable(Semantics(system, packing), 2000)
    assert [packing.unpack(p) for p in packed] == plain  # type: ignore[arg-type]
    assert all(packing.pack(s) == p for s, p in zip(plain, packed, strict=True))  # type: ignore[arg-type]
    assert packing.bits < 400


def test_a_memo_emptied_when_full_steps_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memos of 8 entries, emptied again and again, give the tuple search's states."""
    monkeypatch.setattr(semantics, "MEMO_CAP", 8)
    t = load_target("xen-nested", ROOT)
    _, system = build(t, ROOT, t.config)
    packing = Packing.of(system)
    plain = _reachable(Semantics(system), 3000)
    packed = _reachable(Semantics(system, packing), 3000)
    assert [packing.unpack(p) for p in packed] == plain  # type: ignore[arg-type]


def _array_system(hi: int, jump: int) -> System:
    """a[0..2] in 0..hi, read through an index variable; ``jump`` may overflow a field."""
    vars_ = (StateVar("i", 0, 2, VarKind.STATE), StateVar("a0", 0, hi, VarKind.STATE),
             StateVar("a1", 0, 1, VarKind.STATE), StateVar("a2", 0, hi, VarKind.STATE),
             StateVar("violation", 0, 3, VarKind.GHOST))
    read = Select(1, 3, Var(0))
    acts = (
        Action("next", ActionKind.TASK, Binary(BinOp.LT, Var(0), Const(2)),
               (Assign(0, Binary(BinOp.ADD, Var(0), Const(1))),), task=0),
        Action("bump", ActionKind.TASK, eq(Var(3), Const(0)),
               (Assign(3, Binary(BinOp.ADD, Var(3), Const(jump))),), task=0),
        Action("bad", ActionKind.TASK, eq(read, Const(7)), (Assign(4, Const(1)),), task=0),
    )
    return System(vars_, (0, 0, 0, 0, 0), acts, 4, (), ())


def test_array_fields_share_lo_and_width() -> None:
    p = Packing.of(_array_system(hi=5, jump=1))
    assert p.width[1] == p.width[2] == p.width[3] == 3
    assert p.off[2] - p.off[1] == p.off[3] - p.off[2] == 3


def test_a_value_outside_its_field_falls_back_to_tuples() -> None:
    """The tuple engine would store a2 = 9 (outside 0..5); packing must not wrap it."""
    s = _array_system(hi=5, jump=9)
    with pytest.raises(OutOfRange):
        sem = Semantics(s, Packing.of(s))
        _reachable(sem, 100)
    r = ExplicitEngine().check(s, Limits(bound=10))
    assert r.verdict is Verdict.PASS and r.stats.exhausted
    assert r.stats.states == 6  # i in 0..2, a2 in {0, 9}


def test_memory_limit_ends_in_unknown_with_the_states_explored() -> None:
    t = load_target("arm64-nested", ROOT)
    _, system = build(t, ROOT, t.config)
    r = ExplicitEngine().check(system, Limits(t.bound, max_memory=1))
    assert r.verdict is Verdict.UNKNOWN
    assert r.reason.startswith("memory limit of 1 B reached")
    assert r.stats.states >= 4096


def test_sizes() -> None:
    assert parse_size("16G") == 16 << 30
    assert parse_size("1.5m") == int(1.5 * (1 << 20))
    assert parse_size("1000") == 1000
    assert show_size(3 << 30) == "3.0 GB"
    assert not MemoryWatch(0).over(10**9)
