"""The explicit engine's BFS compiled with numba (``verify --compiled``; issue 10, item 5).

Opt-in and optional: numba is the ``[compiled]`` extra and is imported only
here, only when asked for.  The same generated code as the Python path
(:class:`lazycheck.semantics._Codegen` in tuple mode) becomes one numba
module: every action a function ``a<i>(s, n) -> bool`` over a state held as
an ``int64`` array of values (``s``: pre-state, ``n``: successor), one
``successors`` dispatching on :func:`lazycheck.semantics.action_index`, and
the BFS itself (:data:`_KERNEL`): a visited set of states packed by the same
:class:`~lazycheck.semantics.Packing` (so ``ceil(bits / 64)`` words a state,
open addressing), stored in discovery order, so the store is also the BFS
queue and a level is a range of it.

Identical results.  States are expanded in the Python search's order and
successors in action order, so verdict, state and transition counts (also at
a FAIL, which stops at the first violating state as the Python search does),
depth, fired actions, witnesses and watched properties are the Python
search's without ``--symmetry`` (the compiled search is unreduced).  A trace
is chosen by the Python code (:func:`lazycheck.engines.explicit.choose_trace`)
from the stored levels turned back into packed ints.  A value that does not
fit its field ends the compiled search and the Python path runs instead.

The generated source is written under the user's cache directory, named by
its hash, and compiled with ``cache=True``: a second run of the same system
loads the machine code instead of compiling it (numba's own cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from lazycheck.engines.memory import MemoryWatch
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import OutOfRange, Packing, Semantics, _Codegen, _rename, action_index
from lazycheck.system import FALSE, TRUE, Expr, System

# states a kernel call expands before it returns to Python for the clock and memory
BUDGET = 4096

# kernel status codes
_DONE, _PAUSE, _GROW, _FAIL, _LIMIT, _RANGE = range(6)


def available() -> bool:
    """Whether numba can be imported (the ``[compiled]`` extra is installed)."""
    return importlib.util.find_spec("numba") is not None


def _action_source(i: int, guard: Expr, targets: tuple[int, ...],
                   values: tuple[Expr, ...]) -> list[str]:
    """``a<i>(s, n)``: False if disabled, else ``n`` := the successor of ``s``."""
    g = _Codegen((guard, *values))
    gv = g.test(guard)
    g.lines.append(f"    if not {gv}:\n        return False")
    outs = [g.emit(v) for v in values]
    g.lines.append("    n[:] = s")
    g.lines.extend(f"    n[{t}] = {o}" for t, o in zip(targets, outs, strict=True))
    return ["@njit(cache=True)", f"def a{i}(s, n):", *g.lines, "    return True", ""]


def _successors_source(system: System) -> list[str]:
    """``successors(s, out, idx) -> k``: enabled actions' indices and successors, in order."""
    groups, always = action_index(system)
    lines = ["@njit(cache=True)", "def successors(s, out, idx):", "    k = 0"]
    for gk, (gate, var, table) in enumerate(groups):
        g = _Codegen((gate,))
        test = g.test(gate) if gate != TRUE else "True"
        lines.append(f"    c = s[{var}]")
        first = True
        for value in sorted(table):
            lines.append(f"    {'if' if first else 'elif'} c == {value}:")
            first = False
            lines.extend("    " + _rename(ln, gk) for ln in g.lines)
            lines.append(f"        if {_rename(test, gk)}:")
            for i in table[value]:
                lines.append(f"            if a{i}(s, out[k]):")
                lines.append(f"                idx[k] = {i}\n                k += 1")
    for i in always:
        lines.append(f"    if a{i}(s, out[k]):\n        idx[k] = {i}\n        k += 1")
    lines += ["    return k", ""]
    return lines


def _coverage_source(system: System) -> list[str]:
    """``watch(s, w)`` and ``witness(s, idx, k, w)``: the flags of the Python search's
    watched properties and witness labels, set when they hold in an expanded state."""
    lines = ["@njit(cache=True)", "def watch(s, w):"]
    for k, (_, e) in enumerate(system.watches):
        g = _Codegen((e,))
        test = g.test(e)
        lines.append(f"    if not w[{k}]:")
        lines.extend("    " + ln for ln in g.lines)
        lines.append(f"        if {test}:\n            w[{k}] = True")
    lines += ["    return", "", "@njit(cache=True)", "def witness(s, idx, k, w):"]
    labels = _witness_labels(system)
    for i, a in enumerate(system.actions):
        if a.witness == FALSE:
            continue
        g = _Codegen((a.witness,))
        test = g.test(a.witness)
        lines.append(f"    if not w[{labels[a.witness_label]}]:")
        lines.extend("    " + ln for ln in g.lines)
        lines.append(f"        if {test}:")
        lines.append(f"            for j in range(k):\n                if idx[j] == {i}:")
        lines.append(f"                    w[{labels[a.witness_label]}] = True")
    lines += ["    return", ""]
    return lines


def _witness_labels(system: System) -> dict[str, int]:
    """A number for each witness label, in order of first appearance."""
    out: dict[str, int] = {}
    for a in system.actions:
        if a.witness != FALSE:
            out.setdefault(a.witness_label, len(out))
    return out


def module_source(system: System, packing: Packing) -> str:
    """The whole generated numba module for ``system`` (actions, dispatch, BFS kernel)."""
    groups, always = action_index(system)
    spans = sorted((min(i for ix in t.values() for i in ix), max(i for ix in t.values() for i in ix))
                   for _, _, t in groups)
    spans += [(i, i) for i in always]
    ordered = all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    head = ["import numpy as np", "from numba import njit", "",
            f"NV = {len(system.vars)}", f"W = {max(1, (packing.bits + 63) // 64)}",
            f"NA = {len(system.actions)}", f"VIOL = {system.violation_var}",
            f"SORT = {not ordered}",
            f"LO = np.array({list(packing.lo)!r}, dtype=np.int64)",
            f"OFF = np.array({list(packing.off)!r}, dtype=np.int64)",
            f"WID = np.array({list(packing.width)!r}, dtype=np.int64)", ""]
    body: list[str] = []
    for i, a in enumerate(system.actions):
        body += _action_source(i, a.guard, tuple(u.var for u in a.updates),
                               tuple(u.value for u in a.updates))
    return "\n".join(head + body + _successors_source(system) + _coverage_source(system)
                     ) + "\n" + _KERNEL


def cache_dir() -> Path:
    """Where generated modules and numba's machine code are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lazycheck" / "compiled"


def load(source: str, cache: bool = True) -> ModuleType:
    """Import the generated module (from the cache directory, named by its hash)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"lzc_{digest}"
    if not cache:
        source = source.replace("cache=True", "cache=False")
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}{'' if cache else '_nocache'}.py"
    if not path.exists():  # written once: numba's cache keys on the file's mtime
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source, encoding="utf-8")
        tmp.replace(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


_KERNEL = '''
U64 = np.uint64


@njit(cache=True)
def unpack(words, s):
    for v in range(NV):
        w = WID[v]
        if w == 0:
            s[v] = LO[v]
            continue
        o = OFF[v]
        j = o >> 6
        b = o & 63
        x = words[j] >> U64(b)
        if b + w > 64:
            x |= words[j + 1] << U64(64 - b)
        x &= (U64(1) << U64(w)) - U64(1)
        s[v] = np.int64(x) + LO[v]


@njit(cache=True)
def pack(n, words):
    for j in range(W):
        words[j] = U64(0)
    for v in range(NV):
        w = WID[v]
        x = n[v] - LO[v]
        if x < 0 or x >= (np.int64(1) << w):
            return False
        if w == 0:
            continue
        o = OFF[v]
        j = o >> 6
        b = o & 63
        words[j] |= U64(x) << U64(b)
        if b + w > 64:
            words[j + 1] |= U64(x) >> U64(64 - b)
    return True


@njit(cache=True)
def slot(table, words):
    h = U64(14695981039346656037)
    for j in range(W):
        h = (h ^ words[j]) * U64(1099511628211)
        h ^= h >> U64(29)
    return np.int64(h & U64(table.shape[0] - 1))


@njit(cache=True)
def find(store, table, words):
    mask = table.shape[0] - 1
    h = slot(table, words)
    while True:
        e = table[h]
        if e < 0:
            return h, -1
        same = True
        for j in range(W):
            if store[e, j] != words[j]:
                same = False
                break
        if same:
            return h, e
        h = (h + 1) & mask


@njit(cache=True)
def rehash(store, count, table):
    table[:] = -1
    for e in range(count):
        h, _ = find(store, table, store[e])
        table[h] = e


@njit(cache=True)
def expand(store, table, ctr, hi, budget, maxst, fired, watched, witnessed):
    s = np.empty(NV, dtype=np.int64)
    out = np.empty((NA, NV), dtype=np.int64)
    idx = np.empty(NA, dtype=np.int64)
    words = np.empty(W, dtype=np.uint64)
    p = ctr[0]
    count = ctr[1]
    tr = ctr[2]
    status = 0
    done = 0
    while p < hi:
        if count + NA > store.shape[0] or 2 * (count + NA) > table.shape[0]:
            status = 2
            break
        if done >= budget:
            status = 1
            break
        unpack(store[p], s)
        watch(s, watched)
        k = successors(s, out, idx)
        witness(s, idx, k, witnessed)
        order = np.argsort(idx[:k]) if SORT else np.arange(k)
        for jj in range(k):
            j = order[jj]
            tr += 1
            fired[idx[j]] = True
            if not pack(out[j], words):
                status = 5
                break
            h, e = find(store, table, words)
            if e >= 0:
                continue
            table[h] = count
            store[count, :] = words
            count += 1
            if out[j, VIOL] != 0:
                status = 3
                break
        if status:
            break
        p += 1
        done += 1
        if count > maxst:
            status = 4
            break
    ctr[0] = p
    ctr[1] = count
    ctr[2] = tr
    return status
'''


class CompiledSearch:
    """One unreduced BFS on the compiled kernel; ``run()`` gives the Python search's result."""

    def __init__(self, system: System, limits: Limits, packing: Packing,
                 cache: bool = True) -> None:
        import numpy as np

        self.np = np
        self.system, self.limits, self.packing = system, limits, packing
        self.start = time.monotonic()
        self.mod: Any = load(module_source(system, packing), cache)
        self.compiled_at = time.monotonic()
        self.words = int(self.mod.W)
        self.store = np.zeros((1 << 12, self.words), dtype=np.uint64)
        self.table = np.full(1 << 14, -1, dtype=np.int64)
        self.fired = np.zeros(len(system.actions), dtype=np.bool_)
        self.watched = np.zeros(len(system.watches), dtype=np.bool_)
        self.witnessed = np.zeros(max(1, len(_witness_labels(system))), dtype=np.bool_)
        self.ctr = np.zeros(3, dtype=np.int64)  # next state to expand, states, transitions
        self.memory = MemoryWatch(limits.max_memory)
        self.levels: list[int] = [0]  # where each BFS level starts in the store
        self.hi = 1  # where the level being expanded ends

    def stats(self, exhausted: bool, reached: int) -> Stats:
        """How far the search got."""
        return Stats(engine="explicit", states=int(self.ctr[1]),
                     transitions=int(self.ctr[2]), depth=reached, bound=self.limits.bound,
                     exhausted=exhausted, elapsed_s=time.monotonic() - self.start)

    def put_init(self) -> None:
        """Store the initial state."""
        init = self.packing.pack(self.system.init)
        self.store[0, :] = self.np.frombuffer(init.to_bytes(self.words * 8, "little"),
                                              dtype=self.np.uint64)
        self.ctr[1] = 1
        self.mod.rehash(self.store, 1, self.table)

    def grow(self) -> None:
        """Double the store and the table (the kernel asked for room)."""
        np = self.np
        store = np.zeros((self.store.shape[0] * 2, self.words), dtype=np.uint64)
        store[: self.store.shape[0]] = self.store
        self.store = store
        if 2 * (int(self.ctr[1]) + len(self.system.actions)) > self.table.shape[0]:
            self.table = np.full(self.table.shape[0] * 2, -1, dtype=np.int64)
            self.mod.rehash(self.store, int(self.ctr[1]), self.table)

    def packed(self, e: int) -> int:
        """Store entry ``e`` as the Python search's packed int."""
        return int.from_bytes(self.store[e].tobytes(), "little")

    def run(self) -> Result | None:
        """The whole search, level by level; None if a value outgrew its field."""
        limits, system = self.limits, self.system
        code = system.init[system.violation_var]
        if code:
            return Result(Verdict.FAIL, self.stats(False, 0), code, ())
        self.put_init()
        depth = 0
        while True:
            hi = int(self.ctr[1])
            if limits.progress is not None:
                limits.progress(Progress("explicit", depth, hi, time.monotonic() - self.start))
            if depth >= limits.bound:
                return self.covered(Result(Verdict.PASS, self.stats(False, depth)))
            self.hi = hi
            try:
                stop = self.expand(depth, hi)
            except OutOfRange:
                return None
            if stop is not None:
                return stop
            if int(self.ctr[1]) == hi:
                return self.covered(Result(Verdict.PASS, self.stats(True, depth)))
            self.levels.append(hi)
            depth += 1

    def expand(self, depth: int, hi: int) -> Result | None:
        """Expand the level ending at ``hi``; a result if the search ends."""
        limits = self.limits
        while True:
            status = self.mod.expand(self.store, self.table, self.ctr, hi, BUDGET,
                                     limits.max_states, self.fired, self.watched,
                                     self.witnessed)
            if status == _DONE:
                return None
            if status == _GROW:
                self.grow()
                continue
            if status == _FAIL:
                return self.failed(depth)
            if status == _RANGE:
                raise OutOfRange
            if status == _LIMIT:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"state limit of {limits.max_states:,} reached "
                                     f"at depth {depth + 1}")
            if time.monotonic() - self.start > limits.timeout_s:
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"time limit of {limits.timeout_s:g} s reached "
                                     f"at depth {depth + 1}")
            if self.memory.over(int(self.ctr[1])):
                return Result(Verdict.UNKNOWN, self.stats(False, depth),
                              reason=f"memory limit of {self.memory.describe()} reached "
                                     f"at depth {depth + 1}")

    def failed(self, depth: int) -> Result:
        """The FAIL result: the levels back as packed ints, the trace chosen in Python."""
        from lazycheck.engines.explicit import choose_trace

        ends = [*self.levels[1:], self.hi]
        levels = [[self.packed(e) for e in range(a, b)]
                  for a, b in zip(self.levels, ends, strict=True)]
        sem = Semantics(self.system, self.packing)
        code, trace = choose_trace(self.system, sem, levels)
        return Result(Verdict.FAIL, self.stats(False, depth + 1), code, trace)

    def covered(self, r: Result) -> Result:
        """``r`` with the actions fired, the events witnessed and the watches seen."""
        import dataclasses

        labels = list(_witness_labels(self.system))
        return dataclasses.replace(
            r, fired=frozenset(int(i) for i in self.np.flatnonzero(self.fired)),
            witnessed=frozenset(labels[int(i)] for i in self.np.flatnonzero(self.witnessed)
                                if int(i) < len(labels)),
            coverage_known=True,
            watched=frozenset(p for k, (p, _) in enumerate(self.system.watches)
                              if self.watched[k]))
