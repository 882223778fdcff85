"""Parallel BFS for the explicit engine: ``-j/--workers N`` processes, one shard each.

Each packed state is owned by worker ``hash((state,)) % N`` (an int's hash
is its value modulo 2**61 - 1, the same in every process; the 1-tuple mixes
its bits, which the plain value's parity split 35:65 on xen-nested, the
tuple 50:50); the owner keeps
that shard of the visited set.  Level by level, every worker expands its
share of the frontier, keeps the successors it owns and ships the others to
their owners over pipes; owners deduplicate and form their share of the
next level.  The parent only coordinates: it sums counts, applies the
limits between levels and, on a violation, gathers the levels and runs the
same :func:`~lazycheck.engines.explicit.choose_trace` as the sequential
search, so the chosen trace is identical.

Sequential order without a shared list.  The sequential search appends a
new state at its first occurrence: level ``d+1`` is ordered by (position of
the parent in level ``d``, position among the parent's successors).  Each
state here carries the key ``key(parent) * M + position`` (``M`` exceeds
the number of actions), whose integer order is exactly that lexicographic
order, so an owner keeps the smallest key of a state reached twice and
sorts its shard by key.  On a violation the parent takes the smallest
violating key over all shards and each shard counts its new states up to
it, which gives the sequential search's state count at FAIL.  The time,
state and memory limits are checked between levels (and the clock and the
memory every few thousand states), so an UNKNOWN's counts may differ from
a sequential run's; PASS and FAIL are identical.
"""

from __future__ import annotations

import bisect
import dataclasses
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from lazycheck.engines.memory import CHECK_EVERY, MemoryWatch
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import AnyState, OutOfRange, Semantics, compile_expr
from lazycheck.system import FALSE, System


def available() -> bool:
    """Whether worker processes can be forked here (they inherit the compiled actions)."""
    return "fork" in mp.get_all_start_methods()


@dataclass(slots=True)
class _Level:
    """What one worker reports after a level: its new states and why it stopped."""

    new: int
    seen: int
    violation_key: int | None
    stopped: str = ""  # "", "time", "memory" or "range" (OutOfRange)


@dataclass(slots=True)
class _Shard:
    """One worker's part of the search (lives in the worker process)."""

    me: int
    n: int
    sem: Semantics
    system: System
    deadline: float
    memory: MemoryWatch
    peers: dict[int, Connection]
    watch_fns: list[tuple[str, Any]]
    witness_fns: list[tuple[int, Any, str]]
    seen: set[AnyState] = field(default_factory=set)
    levels: list[list[AnyState]] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    fired: set[int] = field(default_factory=set)
    witnessed: set[str] = field(default_factory=set)
    watched: set[str] = field(default_factory=set)
    transitions: int = 0
    cum: list[int] = field(default_factory=list)  # transitions before each expanded state
    expanded_keys: list[int] = field(default_factory=list)
    mult: int = 1

    def expand(self) -> _Level:
        """Expand this shard's last level; exchange; keep the owned new states, by key."""
        mult = self.mult = len(self.system.actions) + 1
        self.expanded_keys, self.cum = self.keys, []
        out: list[dict[AnyState, int]] = [{} for _ in range(self.n)]
        stopped = ""
        try:
            stopped = self._expand_into(out, mult)
        except OutOfRange:
            stopped = "range"
        mine = out[self.me]
        for _peer, batch in self._exchange(out):
            for s, k in zip(batch[0::2], batch[1::2], strict=True):
                old = mine.get(s)
                if old is None or k < old:
                    mine[s] = k
        items = sorted(((k, s) for s, k in mine.items() if s not in self.seen))
        nxt = [s for _, s in items]
        self.keys = [k for k, _ in items]
        self.seen.update(nxt)
        self.levels.append(nxt)
        vkey = next((k for k, s in items if self.sem.violation(s)), None)
        return _Level(len(nxt), len(self.seen), vkey, stopped)

    def _expand_into(self, out: list[dict[AnyState, int]], mult: int) -> str:
        """Successors of the last level into ``out[owner]`` (first key kept); a stop reason."""
        succ, seen, fired, n = self.sem.successor_fn, self.seen, self.fired, self.n
        watches = [w for w in self.watch_fns if w[0] not in self.watched]
        witnesses = [w for w in self.witness_fns if w[2] not in self.witnessed]
        for count, (state, key) in enumerate(zip(self.levels[-1], self.keys, strict=True)):
            if count % CHECK_EVERY == CHECK_EVERY - 1:
                if time.monotonic() > self.deadline:
                    return "time"
                if self.memory.over(len(seen) + count):
                    return "memory"
            for p, fn in watches:
                if p not in self.watched and fn(state):
                    self.watched.add(p)
            for w_idx, w_fn, w_label in witnesses:
                if w_label not in self.witnessed and w_fn(state) \
                        and self.sem.enabled(state, w_idx):
                    self.witnessed.add(w_label)
            base = key * mult
            pairs = succ(state)
            self.cum.append(self.transitions)
            self.transitions += len(pairs)
            for pos, (idx, nxt) in enumerate(pairs):
                fired.add(idx)
                d = out[hash((nxt,)) % n]
                if nxt not in d and nxt not in seen:
                    d[nxt] = base + pos
        return ""

    def _exchange(self, out: list[dict[AnyState, int]]) -> list[tuple[int, list[Any]]]:
        """Send each peer the successors it owns (a flat state, key list); receive theirs."""
        sends = []
        for peer, conn in self.peers.items():
            flat = [x for s, k in out[peer].items() for x in (s, k)]
            t = threading.Thread(target=conn.send, args=(flat,))
            t.start()
            sends.append(t)
        got = [(peer, conn.recv()) for peer, conn in self.peers.items()]
        for t in sends:
            t.join()
        return got

    def count_upto(self, key: int) -> tuple[int, int]:
        """The sequential search's (states, transitions) of this shard when it meets ``key``.

        States: those seen before the last level and the last level's up to ``key``.
        Transitions: all of the earlier levels, and the expanded level's up to the
        successor ``key`` names (its parent's key and position)."""
        states = len(self.seen) - len(self.keys) + bisect.bisect_right(self.keys, key)
        parent, pos = divmod(key, self.mult)
        i = bisect.bisect_left(self.expanded_keys, parent)
        if i == len(self.cum):
            return states, self.transitions
        owned = self.expanded_keys[i] == parent
        return states, self.cum[i] + (pos + 1 if owned else 0)


def _watches(system: System, sem: Semantics) -> list[tuple[str, Any]]:
    return [(p, compile_expr(e, sem.packing)) for p, e in system.watches]


def _witnesses(system: System, sem: Semantics) -> list[tuple[int, Any, str]]:
    return [(i, compile_expr(a.witness, sem.packing), a.witness_label)
            for i, a in enumerate(system.actions) if a.witness != FALSE]


def _serve(shard: _Shard, ctl: Connection) -> None:
    """A worker's loop: answer the parent's commands until ``stop``."""
    while True:
        cmd, arg = ctl.recv()
        if cmd == "expand":
            ctl.send(shard.expand())
        elif cmd == "count":
            ctl.send(shard.count_upto(arg))
        elif cmd == "levels":
            ctl.send(shard.levels[:arg])
        elif cmd == "cover":
            ctl.send((shard.fired, shard.witnessed, shard.watched, shard.transitions))
        else:
            ctl.close()
            return


def _start(system: System, sem: Semantics, limits: Limits, workers: int, start: float
           ) -> tuple[list[Connection], list[Any]]:
    """Fork the workers (they inherit ``sem``); the init state goes to its owner."""
    ctx = mp.get_context("fork")
    peers: list[dict[int, Connection]] = [{} for _ in range(workers)]
    for a in range(workers):
        for b in range(a + 1, workers):
            peers[a][b], peers[b][a] = ctx.Pipe()
    ctls: list[Connection] = []
    procs: list[Any] = []
    budget = limits.max_memory // workers if limits.max_memory > 0 else 0
    watches, witnesses = _watches(system, sem), _witnesses(system, sem)
    for w in range(workers):
        shard = _Shard(w, workers, sem, system, start + limits.timeout_s,
                       MemoryWatch(budget), peers[w], watches, witnesses)
        mine = [sem.init] if hash((sem.init,)) % workers == w else []
        shard.seen.update(mine)
        shard.levels.append(mine)
        shard.keys = [0] * len(mine)
        parent_end, child_end = ctx.Pipe()
        p = ctx.Process(target=_serve, args=(shard, child_end), daemon=True)
        p.start()
        child_end.close()
        ctls.append(parent_end)
        procs.append(p)
    return ctls, procs


class ParallelSearch:
    """The parent's side: runs the levels on the workers and builds the :class:`Result`."""

    def __init__(self, system: System, limits: Limits, sem: Semantics, workers: int) -> None:
        self.system, self.limits, self.sem, self.workers = system, limits, sem, workers
        self.start = time.monotonic()
        self.states = 1

    def run(self) -> Result:
        """The whole search; raises :class:`OutOfRange` if a value outgrew its field."""
        sem = self.sem
        if sem.violation(sem.init):
            return Result(Verdict.FAIL, self._stats(False, 0), sem.violation(sem.init), ())
        ctls, procs = _start(self.system, sem, self.limits, self.workers, self.start)
        try:
            return self._levels(ctls)
        finally:
            for c in ctls:
                c.send(("stop", None))
            for p in procs:
                p.join()

    def _levels(self, ctls: Sequence[Connection]) -> Result:
        limits, depth = self.limits, 0
        while True:
            if limits.progress is not None:
                limits.progress(Progress("explicit", depth, self.states,
                                         time.monotonic() - self.start))
            if depth >= limits.bound:
                return self._covered(ctls, Result(Verdict.PASS, self._stats(False, depth)))
            reports = _ask(ctls, "expand")
            stop = self._check(ctls, reports, depth)
            if stop is not None:
                return stop
            if not any(r.new for r in reports):
                return self._covered(ctls, Result(Verdict.PASS, self._stats(True, depth)))
            depth += 1

    def _check(self, ctls: Sequence[Connection], reports: list[_Level], depth: int
               ) -> Result | None:
        """A FAIL, an UNKNOWN at a limit, or None to go on."""
        if any(r.stopped == "range" for r in reports):
            raise OutOfRange
        keys = [r.violation_key for r in reports if r.violation_key is not None]
        self.states = sum(r.seen for r in reports)
        if keys and not any(r.stopped for r in reports):
            return self._fail(ctls, min(keys), depth)
        reason = ""
        if any(r.stopped == "memory" for r in reports):
            reason = f"memory limit of {MemoryWatch(self.limits.max_memory).describe()}"
        elif any(r.stopped == "time" for r in reports) \
                or time.monotonic() - self.start > self.limits.timeout_s:
            reason = f"time limit of {self.limits.timeout_s:g} s"
        elif self.states > self.limits.max_states:
            reason = f"state limit of {self.limits.max_states:,}"
        if reason:
            return Result(Verdict.UNKNOWN, self._stats(False, depth),
                          reason=f"{reason} reached at depth {depth + 1}")
        return None

    def _fail(self, ctls: Sequence[Connection], key: int, depth: int) -> Result:
        """The sequential search's FAIL: its state count and the chosen trace."""
        from lazycheck.engines.explicit import choose_trace

        counts = _ask(ctls, "count", key)
        self.states = sum(c[0] for c in counts)
        shards = _ask(ctls, "levels", depth + 1)
        levels = [[s for shard in shards for s in shard[k]] for k in range(depth + 1)]
        code, trace = choose_trace(self.system, self.sem, levels)
        stats = dataclasses.replace(self._stats(False, depth + 1),
                                    transitions=sum(c[1] for c in counts))
        return Result(Verdict.FAIL, stats, code, trace)

    def _covered(self, ctls: Sequence[Connection], r: Result) -> Result:
        """``r`` with the union of the workers' coverage and their transition count."""
        fired: set[int] = set()
        witnessed: set[str] = set()
        watched: set[str] = set()
        transitions = 0
        for f, w, wa, t in _ask(ctls, "cover"):
            fired |= f
            witnessed |= w
            watched |= wa
            transitions += t
        stats = dataclasses.replace(r.stats, transitions=transitions)
        return dataclasses.replace(r, stats=stats, fired=frozenset(fired),
                                   witnessed=frozenset(witnessed), coverage_known=True,
                                   watched=frozenset(watched))

    def _stats(self, exhausted: bool, reached: int) -> Stats:
        return Stats(engine="explicit", states=self.states, transitions=0, depth=reached,
                     bound=self.limits.bound, exhausted=exhausted,
                     elapsed_s=time.monotonic() - self.start)


def _ask(ctls: Sequence[Connection], cmd: str, arg: object = None) -> list[Any]:
    """Send ``cmd`` to every worker, then collect their answers in worker order."""
    for c in ctls:
        c.send((cmd, arg))
    return [c.recv() for c in ctls]
