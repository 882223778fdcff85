"""Parallel BFS for the explicit engine: ``-j/--workers N`` processes, one shard each.

Each packed state is owned by worker ``hash((state,)) % N`` (an int's hash
is its value modulo 2**61 - 1, the same in every process; the 1-tuple mixes
its bits, which the plain value's parity split 35:65 on xen-nested, the
tuple 50:50); the owner keeps that shard of the visited set.  Level by
level, every worker expands its share of the frontier, keeps the successors
it owns and ships the others to their owners over pipes; owners deduplicate
and form their share of the next level.  The parent only coordinates: it
sums counts and applies the limits between levels.

A passing search has the sequential search's state and transition counts,
depth and coverage (they do not depend on the order of a level).  A
violation's state count, transition count and chosen trace do depend on
the sequential order, so when a level holds a violating state the parent
returns ``None`` and the caller runs the sequential search (on the same
compiled actions), which gives exactly its result: ``-j`` pays off on large
passing searches, and costs at most one extra parallel search on a FAIL.
The time, state and memory limits are checked between levels (and the
clock and the memory every few thousand states), so an UNKNOWN's counts
may differ from a sequential run's.

With a symmetry group the workers canonicalise every successor before
hashing it to its owner, so each orbit has one owner and the shards hold
exactly the sequential reduced search's canonical states.  The search may
start from where a sequential one stopped (:class:`Resume`: the explorer
switches to the reduced search past 100k states on one process and hands
the rest over, engines/explicit.py).
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from lazycheck.engines import symmetry
from lazycheck.engines.memory import CHECK_EVERY, MemoryWatch
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import AnyState, OutOfRange, Semantics, compile_expr
from lazycheck.system import System


def available() -> bool:
    """Whether worker processes can be forked here (they inherit the compiled actions)."""
    return "fork" in mp.get_all_start_methods()


@dataclass(slots=True)
class Resume:
    """Where a sequential search stopped: the parallel one goes on from there."""

    seen: set[AnyState]
    frontier: list[AnyState]  # the last level, not expanded yet
    depth: int  # its depth
    transitions: int
    fired: set[int]
    witnessed: set[str]
    watched: set[str]
    elapsed_s: float


@dataclass(slots=True)
class _Level:
    """What one worker reports after a level: its new states and why it stopped."""

    new: int
    seen: int
    violation: bool
    stopped: str = ""  # "", "time", "memory" or "range" (OutOfRange)


@dataclass(slots=True)
class _Shard:
    """One worker's part of the search (lives in the worker process)."""

    me: int
    n: int
    sem: Semantics
    deadline: float
    memory: MemoryWatch
    peers: dict[int, Connection]
    watch_fns: list[tuple[str, Any]]
    witness_fns: list[tuple[int, Any, str]]
    canon: Any  # the symmetry group's canonical form, or None
    seen: set[AnyState] = field(default_factory=set)
    frontier: list[AnyState] = field(default_factory=list)
    fired: set[int] = field(default_factory=set)
    witnessed: set[str] = field(default_factory=set)
    watched: set[str] = field(default_factory=set)
    transitions: int = 0

    def expand(self) -> _Level:
        """Expand this shard's frontier; exchange; keep the owned new states."""
        out: list[set[AnyState]] = [set() for _ in range(self.n)]
        stopped = ""
        try:
            stopped = self._expand_into(out)
        except OutOfRange:
            stopped = "range"
        mine = out[self.me]
        for batch in self._exchange(out):
            mine.update(batch)
        mine.difference_update(self.seen)
        self.seen |= mine
        self.frontier = list(mine)
        violation = any(map(self.sem.violation_fn, self.frontier))
        return _Level(len(mine), len(self.seen), violation, stopped)

    def _expand_into(self, out: list[set[AnyState]]) -> str:
        """Successors of the frontier into ``out[owner]``; a stop reason or ""."""
        succ, seen, fired, n = self.sem.successor_fn, self.seen, self.fired, self.n
        canon = self.canon
        watches = [w for w in self.watch_fns if w[0] not in self.watched]
        witnesses = [w for w in self.witness_fns if w[2] not in self.witnessed]
        for count, state in enumerate(self.frontier):
            if count % CHECK_EVERY == CHECK_EVERY - 1:
                if time.monotonic() > self.deadline:
                    return "time"
                if self.memory.over(len(seen) + count):
                    return "memory"
            if watches or witnesses:
                self._cover(state, watches, witnesses)
            pairs = succ(state)
            self.transitions += len(pairs)
            if canon is not None:
                pairs = [(i, canon(t)) for i, t in pairs]
            for idx, nxt in pairs:
                fired.add(idx)
                if nxt not in seen:
                    out[hash((nxt,)) % n].add(nxt)
        return ""

    def _cover(self, state: AnyState, watches: list[tuple[str, Any]],
               witnesses: list[tuple[int, Any, str]]) -> None:
        """The watched properties and witnessed events of ``state``."""
        for p, fn in watches:
            if p not in self.watched and fn(state):
                self.watched.add(p)
        for w_idx, w_fn, w_label in witnesses:
            if w_label not in self.witnessed and w_fn(state) and self.sem.enabled(state, w_idx):
                self.witnessed.add(w_label)

    def _exchange(self, out: list[set[AnyState]]) -> list[list[AnyState]]:
        """Send each peer the successors it owns; receive theirs."""
        sends = []
        for peer, conn in self.peers.items():
            t = threading.Thread(target=conn.send, args=(list(out[peer]),))
            t.start()
            sends.append(t)
        got = [conn.recv() for conn in self.peers.values()]
        for t in sends:
            t.join()
        return got


def _watches(system: System, sem: Semantics) -> list[tuple[str, Any]]:
    return [(p, compile_expr(e, sem.packing)) for p, e in system.watches]


def _witnesses(system: System, sem: Semantics) -> list[tuple[int, Any, str]]:
    return [(i, compile_expr(e, sem.packing), label) for i, e, label in system.witness_points()]


def _serve(shard: _Shard, ctl: Connection) -> None:
    """A worker's loop: answer the parent's commands until ``stop``."""
    while True:
        cmd = ctl.recv()
        if cmd == "expand":
            ctl.send(shard.expand())
        elif cmd == "cover":
            ctl.send((shard.fired, shard.witnessed, shard.watched, shard.transitions))
        else:
            ctl.close()
            return


def _start(system: System, sem: Semantics, limits: Limits, workers: int, start: float,
           canon: Any, resume: Resume) -> tuple[list[Connection], list[Any]]:
    """Fork the workers (they inherit ``sem``); each gets the states it owns."""
    ctx = mp.get_context("fork")
    peers: list[dict[int, Connection]] = [{} for _ in range(workers)]
    for a in range(workers):
        for b in range(a + 1, workers):
            peers[a][b], peers[b][a] = ctx.Pipe()
    ctls: list[Connection] = []
    procs: list[Any] = []
    budget = limits.max_memory // workers if limits.max_memory > 0 else 0
    watches, witnesses = _watches(system, sem), _witnesses(system, sem)
    seen: list[set[AnyState]] = [set() for _ in range(workers)]
    for s in resume.seen:
        seen[hash((s,)) % workers].add(s)
    for w in range(workers):
        shard = _Shard(w, workers, sem, start + limits.timeout_s, MemoryWatch(budget),
                       peers[w], watches, witnesses, canon, seen[w])
        shard.frontier = [s for s in resume.frontier if hash((s,)) % workers == w]
        shard.witnessed, shard.watched = set(resume.witnessed), set(resume.watched)
        parent_end, child_end = ctx.Pipe()
        p = ctx.Process(target=_serve, args=(shard, child_end), daemon=True)
        p.start()
        child_end.close()
        ctls.append(parent_end)
        procs.append(p)
    return ctls, procs


class ParallelSearch:
    """The parent's side: runs the levels on the workers and builds the :class:`Result`."""

    def __init__(self, system: System, limits: Limits, sem: Semantics, workers: int,
                 group: symmetry.Group | None = None, resume: Resume | None = None) -> None:
        self.system, self.limits, self.sem, self.workers = system, limits, sem, workers
        self.group = group
        self.canon = symmetry.canonicalizer(group, sem.packing) if group is not None else None
        init = self.canon(sem.init) if self.canon is not None else sem.init
        self.resume = resume if resume is not None else Resume(
            {init}, [init], 0, 0, set(), set(), set(), 0.0)
        self.start = time.monotonic() - self.resume.elapsed_s
        self.states = len(self.resume.seen)

    def run(self) -> Result | None:
        """The whole search; None if it meets a violation (run the sequential search
        for its counts and trace); raises :class:`OutOfRange` if a value outgrew its field."""
        if self.sem.violation(self.sem.init):
            return None
        ctls, procs = _start(self.system, self.sem, self.limits, self.workers, self.start,
                             self.canon, self.resume)
        try:
            return self._levels(ctls)
        finally:
            for c in ctls:
                c.send("stop")
            for p in procs:
                p.join()

    def _levels(self, ctls: Sequence[Connection]) -> Result | None:
        limits, depth = self.limits, self.resume.depth
        while True:
            if limits.progress is not None:
                limits.progress(Progress("explicit", depth, self.states,
                                         time.monotonic() - self.start))
            if depth >= limits.bound:
                return self._covered(ctls, Result(Verdict.PASS, self._stats(False, depth)))
            reports = _ask(ctls, "expand")
            if any(r.violation for r in reports) and not any(r.stopped for r in reports):
                return None
            stop = self._check(reports, depth)
            if stop is not None:
                return stop
            if not any(r.new for r in reports):
                return self._covered(ctls, Result(Verdict.PASS, self._stats(True, depth)))
            depth += 1

    def _check(self, reports: list[_Level], depth: int) -> Result | None:
        """An UNKNOWN at a limit, or None to go on."""
        if any(r.stopped == "range" for r in reports):
            raise OutOfRange
        self.states = sum(r.seen for r in reports)
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

    def _covered(self, ctls: Sequence[Connection], r: Result) -> Result:
        """``r`` with the union of the workers' coverage and their transition count."""
        fired, transitions = set(self.resume.fired), self.resume.transitions
        witnessed, watched = set(self.resume.witnessed), set(self.resume.watched)
        for f, w, wa, t in _ask(ctls, "cover"):
            fired |= f
            witnessed |= w
            watched |= wa
            transitions += t
        if self.group is not None:
            fired = self.group.close_fired(fired)
        stats = dataclasses.replace(r.stats, transitions=transitions)
        return dataclasses.replace(r, stats=stats, fired=frozenset(fired),
                                   witnessed=frozenset(witnessed), coverage_known=True,
                                   watched=frozenset(watched))

    def _stats(self, exhausted: bool, reached: int) -> Stats:
        return Stats(engine="explicit", states=self.states, transitions=0, depth=reached,
                     bound=self.limits.bound, exhausted=exhausted,
                     elapsed_s=time.monotonic() - self.start,
                     symmetry=self.group.order if self.group is not None else 1)


def _ask(ctls: Sequence[Connection], cmd: str) -> list[Any]:
    """Send ``cmd`` to every worker, then collect their answers in worker order."""
    for c in ctls:
        c.send(cmd)
    return [c.recv() for c in ctls]
