"""``make bench``: the explicit engine's raw speed (issue 10), one fresh process per row.

For each (target, tasks x CPUs, workers): the state count, the search's CPU
time and wall time (the system's construction and code generation are
reported apart as ``setup``), states per CPU second and per wall second,
and the bytes per stored state (resident-size growth during the search
over the states; sequential rows only: the workers' memory is split).  The
CPU columns are what to compare on a loaded machine; the wall column of a
``-j 2`` row only means something on an otherwise idle one.

Rows marked ``sym`` search with symmetry reduction (as ``verify`` does by
default: unreduced up to 100k states, then reduced); their states are
canonical states.

Not a row (it takes minutes of CPU): xen-nested at 4 tasks x 2 CPUs with
symmetry, ``lazycheck verify xen-nested --tasks 4 --cpus 2 --max-memory 16G
--max-states 1000000000``, exhausted 3,898,470 canonical states (group 8) in
182 s of CPU with a peak RSS of 573 MB (2026-11-30, docs/explicit-engine.md).

The second table is the compiled search (``verify --compiled``,
engines/compiled.py; ``-j 2``: two threads), with symmetry: ``total s`` is
the whole check (IR, machine code, numba's import, the group's derivation
and the search, wall), ``search s`` the BFS alone (wall; the group's
derivation at the switch to reduced included), ``cpu s`` its CPU (both
threads), ``st/s`` states per wall second of it and ``ratio`` that over the
``-j 1`` row's (meaningless on a loaded machine: see ``load``); ``crit s``
is the search's critical path in CPU seconds (the CPU time minus, per chunk,
what the threads overlapped: the wall time on two idle cores) and its
``ratio`` the ``-j 1`` CPU over it; ``exp s``/``exp ratio`` the same for the
expansion alone (without the group's derivation and the reduction, which
run once on one thread).  B/state is the whole process's peak resident
growth from before the search (numba's import included) over the states
stored, ``-numba`` the same without numba's import.  The first table is
the Python search (``--no-compiled``).

Usage: ``python bench/speed.py [--quick] [--one TARGET TASKS CPUS WORKERS SYM [C]]``.
``--quick`` skips the 3 x 3 rows (the goal there: <= 30 s each).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.engines.memory import resident_bytes
from lazycheck.kernel.config import KernelConfig
from lazycheck.outcome import Limits
from lazycheck.run.verify import build
from lazycheck.system import System
from lazycheck.targets import Target, find_root, load_target

# (target, tasks, cpus, symmetry); 0 keeps the target's own value; without symmetry
# the rows measure the raw search
ROWS = [("arm64-nested", 0, 0, False), ("xen-nested", 0, 0, False),
        ("arm64-nested", 3, 2, False), ("xen-nested", 3, 2, False),
        ("arm64-nested", 3, 2, True), ("xen-nested", 3, 2, True)]
BIG = [("arm64-nested", 3, 3, True), ("xen-nested", 3, 3, True),
       ("arm64-nested", 3, 3, False)]
# the compiled search, with symmetry (the default), on one and two threads
COMPILED = [("arm64-nested", 3, 3, True), ("xen-nested", 3, 3, True)]


def built(name: str, tasks: int, cpus: int) -> tuple[Target, KernelConfig, System, float]:
    """Target ``name`` at ``tasks`` x ``cpus`` (0: its own), its system, and the CPU
    seconds the build took."""
    root = find_root(Path(__file__).resolve().parent.parent)
    t = load_target(name, root)
    cfg = t.config.overridden(cpus=cpus or None, tasks=tasks or None)
    c0 = time.process_time()
    _, system = build(t, root, cfg)
    return t, cfg, system, time.process_time() - c0


def one(name: str, tasks: int, cpus: int, workers: int, sym: bool = False,
        fast: bool = False) -> dict[str, object]:
    """Measure one search in this process; the numbers as a dict."""
    if fast:
        return one_compiled(name, tasks, cpus, workers, sym)
    t, cfg, system, setup = built(name, tasks, cpus)
    c1 = time.process_time()
    rss0 = resident_bytes()
    w0 = time.perf_counter()
    limits = Limits(t.bound, 50_000_000, 3600.0, symmetry=sym, workers=workers,
                    compiled=False)
    r = ExplicitEngine().check(system, limits)
    wall = time.perf_counter() - w0
    c2 = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"target": name, "config": f"{cfg.ntasks}x{cfg.cpus}", "workers": workers,
            "sym": r.stats.symmetry if sym else 0,
            "verdict": r.verdict.value, "states": r.stats.states, "setup": setup,
            "cpu": c2 - c1 + kids.ru_utime + kids.ru_stime, "wall": wall,
            "bytes": (peak - rss0) / r.stats.states if workers == 1 else 0.0}


def one_compiled(name: str, tasks: int, cpus: int, workers: int, sym: bool
                 ) -> dict[str, object]:
    """Measure one compiled search in this process (the search phase timed alone)."""
    from lazycheck.engines import compiled

    t, cfg, system, setup = built(name, tasks, cpus)
    c1 = time.process_time()
    timed: dict[str, float] = {}
    loop = compiled.CompiledSearch.levels_loop

    def levels_loop(self: compiled.CompiledSearch) -> object:
        w, c = time.perf_counter(), time.process_time()
        try:
            return loop(self)
        finally:
            timed["wall"], timed["cpu"] = time.perf_counter() - w, time.process_time() - c

    compiled.CompiledSearch.levels_loop = levels_loop  # type: ignore[method-assign,assignment]
    overlap = _time_threads(compiled)
    expand = compiled.CompiledSearch.expand
    spent = [0.0]

    def timed_expand(self: Any, *args: Any) -> Any:
        c = time.process_time()
        try:
            return expand(self, *args)
        finally:
            spent[0] += time.process_time() - c

    compiled.CompiledSearch.expand = timed_expand  # type: ignore[method-assign,assignment]
    rss0 = resident_bytes()
    w0 = time.perf_counter()
    limits = Limits(t.bound, 50_000_000, 3600.0, symmetry=sym, workers=workers,
                    compiled=True)
    r = ExplicitEngine().check(system, limits)
    wall = time.perf_counter() - w0
    c2 = time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"target": name, "config": f"{cfg.ntasks}x{cfg.cpus}", "workers": workers,
            "sym": r.stats.symmetry if sym else 0, "verdict": r.verdict.value,
            "states": r.stats.states, "setup": setup, "cpu": c2 - c1, "wall": wall,
            "bytes": (peak - rss0) / r.stats.states, "search_wall": timed["wall"],
            "search_cpu": timed["cpu"], "load": _load(),
            "critical": timed["cpu"] - sum(overlap), "expand": spent[0],
            "expand_critical": spent[0] - sum(overlap), "numba": _numba_bytes(rss0)}


def _numba_bytes(before: int) -> int:
    """What importing numba and loading the kernel added to the resident size (measured
    after the search, from a process that had not imported it: a fresh interpreter)."""
    code = ("from lazycheck.engines.memory import resident_bytes as r; a = r(); "
            "import lazycheck.engines.compiled_kernel; print(r() - a)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return int(out.stdout)


def _time_threads(compiled: Any) -> list[float]:
    """Record, per chunk of a threaded search, the CPU time the threads overlapped (all
    parts but the longest): the search's CPU minus it is its critical path, its wall time
    on idle cores."""
    overlap: list[float] = []
    chunk: list[float] = []
    part, merged = compiled.CompiledSearch.part, compiled.CompiledSearch.merged

    def timed_part(self: Any, *args: Any) -> Any:
        c = time.thread_time()
        try:
            return part(self, *args)
        finally:
            chunk.append(time.thread_time() - c)

    def timed_merged(self: Any, *args: Any) -> Any:
        overlap.append(sum(chunk) - max(chunk, default=0.0))
        chunk.clear()
        return merged(self, *args)

    compiled.CompiledSearch.part = timed_part
    compiled.CompiledSearch.merged = timed_merged
    return overlap


def _load() -> float:
    """The 1-minute load average."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main(argv: list[str] | None = None) -> int:
    """Run every row in a subprocess and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="skip the 3 x 3 rows")
    ap.add_argument("--one", nargs="+", metavar="TARGET TASKS CPUS WORKERS SYM [C]")
    args = ap.parse_args(argv)
    if args.one:
        name, tasks, cpus, workers, sym = args.one[:5]
        print(json.dumps(one(name, int(tasks), int(cpus), int(workers), sym == "1",
                             args.one[5:] == ["C"])))
        return 0
    head = (f"{'target':<14} {'config':>6} {'sym':>4} {'-j':>2} {'verdict':<7} {'states':>10} "
            f"{'setup s':>7} {'cpu s':>7} {'wall s':>7} {'st/cpu-s':>9} {'st/wall-s':>9} "
            f"{'B/state':>7}")
    print(head)
    print("-" * len(head))
    for name, tasks, cpus, sym in ROWS + ([] if args.quick else BIG):
        for workers in (1, 2):
            out = subprocess.run([sys.executable, __file__, "--one", name, str(tasks),
                                  str(cpus), str(workers), "1" if sym else "0"],
                                 capture_output=True, text=True, check=True)
            d = json.loads(out.stdout)
            print(_line(d), flush=True)
    if not args.quick:
        _compiled_rows()
    print("\ncpu s: the search's CPU time, the workers' included (-j 2); B/state: "
          "resident growth during the search / states (-j 1 only); sym: the order of "
          "the symmetry group the search was reduced by (-: unreduced)")
    return 0


def _compiled_rows() -> None:
    """The compiled search's rows: -j 1 and -j 2, the ratio, bytes per state."""
    head = (f"\n{'compiled':<14} {'config':>6} {'sym':>4} {'-j':>2} {'verdict':<7} "
            f"{'states':>10} {'total s':>7} {'search s':>8} {'cpu s':>7} {'st/s':>9} "
            f"{'st/cpu-s':>9} {'ratio':>6} {'crit s':>6} {'ratio':>6} {'exp s':>6} "
            f"{'exp ratio':>9} {'B/state':>7} {'-numba':>6} {'load':>5}")
    print(head)
    print("-" * len(head))
    for name, tasks, cpus, sym in COMPILED:
        base = crit = exp = 0.0
        for workers in (1, 2):
            out = subprocess.run([sys.executable, __file__, "--one", name, str(tasks),
                                  str(cpus), str(workers), "1" if sym else "0", "C"],
                                 capture_output=True, text=True, check=True)
            d = json.loads(out.stdout)
            rate = d["states"] / d["search_wall"] if d["search_wall"] > 0 else 0.0
            base = base or rate
            crit = crit or d["critical"]
            exp = exp or d["expand_critical"]
            own = (d["bytes"] * d["states"] - d["numba"]) / d["states"]
            group = f"{d['sym']:>4}" if d["sym"] else f"{'-':>4}"
            print(f"{d['target']:<14} {d['config']:>6} {group} {workers:>2} "
                  f"{d['verdict']:<7} {d['states']:>10,} {d['wall']:>7.2f} "
                  f"{d['search_wall']:>8.2f} {d['search_cpu']:>7.2f} {rate:>9,.0f} "
                  f"{d['states'] / max(d['search_cpu'], 1e-9):>9,.0f} "
                  f"{rate / base:>5.2f}x {d['critical']:>6.2f} {crit / d['critical']:>5.2f}x "
                  f"{d['expand_critical']:>6.2f} {exp / d['expand_critical']:>8.2f}x "
                  f"{d['bytes']:>7.0f} {own:>6.0f} {d['load']:>5.1f}", flush=True)


def _line(d: dict[str, object]) -> str:
    r = dataclasses.make_dataclass("R", list(d))(**d)
    per_cpu = r.states / r.cpu if r.cpu > 0 else 0.0
    per_wall = r.states / r.wall if r.wall > 0 else 0.0
    size = f"{r.bytes:>7.0f}" if r.bytes else f"{'-':>7}"
    group = f"{r.sym:>4}" if r.sym else f"{'-':>4}"
    return (f"{r.target:<14} {r.config:>6} {group} {r.workers:>2} {r.verdict:<7} {r.states:>10,} "
            f"{r.setup:>7.2f} {r.cpu:>7.2f} {r.wall:>7.2f} {per_cpu:>9,.0f} {per_wall:>9,.0f} "
            f"{size}")


if __name__ == "__main__":
    sys.exit(main())
