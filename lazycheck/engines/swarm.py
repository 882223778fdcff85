"""Swarm search: many diversified, *non-exhaustive* searches of one configuration.

For a configuration too big to exhaust, ``lazycheck swarm`` runs N of these
on a cluster (after Holzmann's swarm verification for SPIN): each is a
depth-first search with its own random successor order (``seed``) that
remembers states in a bitstate hash (a bit array of ``2**log2_bits`` bits,
two hash functions, as SPIN's ``-DBITSTATE``).  A hash collision makes a
search skip a state it never saw, so a search that finds nothing proves
nothing: the result says how many states it visited, never PASS.  A
violation found is a real execution (the caller replays it) but not a
shortest one.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from lazycheck.outcome import Limits
from lazycheck.semantics import AnyState, OutOfRange, Packing, Semantics
from lazycheck.system import System

_MIX = 0x9E3779B97F4A7C15


@dataclass(frozen=True, slots=True)
class SwarmResult:
    """One swarm member: what it visited and the violation it found, if any."""

    seed: int
    states: int  # states visited (bits newly set)
    max_depth: int
    violation_code: int  # 0: none found (which proves nothing)
    trace: tuple[int, ...]
    elapsed_s: float
    stopped: str  # why it stopped: "done", "state limit", "time limit"


def swarm_search(system: System, limits: Limits, seed: int, log2_bits: int = 24
                 ) -> SwarmResult:
    """One randomised depth-first search with bitstate hashing, up to ``limits``."""
    try:
        return _search(system, Semantics(system, Packing.of(system)), limits, seed, log2_bits)
    except OutOfRange:
        return _search(system, Semantics(system), limits, seed, log2_bits)


def _search(system: System, sem: Semantics, limits: Limits, seed: int, log2_bits: int
            ) -> SwarmResult:
    rng = random.Random(seed)
    mask = (1 << log2_bits) - 1
    bits = bytearray(1 << max(log2_bits - 3, 0))
    start = time.monotonic()

    def mark(s: AnyState) -> bool:
        """Set the state's two bits; False if both were set already (seen, or a collision)."""
        h = hash(s)
        a, b = h & mask, ((h * _MIX) >> 23) & mask
        new = not (bits[a >> 3] >> (a & 7) & 1 and bits[b >> 3] >> (b & 7) & 1)
        bits[a >> 3] |= 1 << (a & 7)
        bits[b >> 3] |= 1 << (b & 7)
        return new

    mark(sem.init)
    visited, deepest = 1, 0
    path: list[int] = []
    stack: list[list[tuple[int, AnyState]]] = [_shuffled(sem, sem.init, rng)]
    stopped = "done"
    while stack:
        if not stack[-1] or len(path) >= limits.bound:
            stack.pop()
            if path:
                path.pop()
            continue
        idx, succ = stack[-1].pop()
        if not mark(succ):
            continue
        visited += 1
        path.append(idx)
        deepest = max(deepest, len(path))
        if sem.violation(succ):
            return SwarmResult(seed, visited, deepest, sem.violation(succ), tuple(path),
                               time.monotonic() - start, "violation")
        if visited >= limits.max_states or time.monotonic() - start > limits.timeout_s:
            stopped = "state limit" if visited >= limits.max_states else "time limit"
            break
        stack.append(_shuffled(sem, succ, rng))
    return SwarmResult(seed, visited, deepest, 0, (), time.monotonic() - start, stopped)


def _shuffled(sem: Semantics, state: AnyState, rng: random.Random
              ) -> list[tuple[int, AnyState]]:
    out = sem.successors(state)
    rng.shuffle(out)
    return out
