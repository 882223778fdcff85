"""``make bench``: the explicit engine with and without symmetry reduction.

For xen-nested and arm64-nested (by default) at CPUs x tasks = 2x2, 3x2 and
3x3 (``--cpus``/``--tasks`` as ``lazycheck verify`` takes them), one search
reduced by the checked symmetry group (lazycheck/engines/symmetry.py; forced
from the first state) and one unreduced: verdict, states stored, the group's
order, wall and CPU seconds, and the ratios.  Each search is capped at
``--timeout`` seconds (a capped run shows ``UNKNOWN`` and its states so far).

Usage: ``python bench/symmetry.py [--timeout S] [--configs 2x2,3x2,3x3] [TARGET ...]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines import symmetry
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits, Result
from lazycheck.run.verify import build
from lazycheck.targets import find_root, load_target

TARGETS = ("xen-nested", "arm64-nested")
CONFIGS = ((2, 2), (3, 2), (3, 3))


@dataclass(frozen=True, slots=True)
class Run:
    """One search: its result, wall and CPU seconds (the group derivation included)."""

    result: Result
    wall_s: float
    cpu_s: float


def one(name: str, cpus: int, tasks: int, reduce: bool, timeout_s: float) -> Run:
    """Search ``name`` at ``cpus`` x ``tasks``, reduced or not."""
    root = find_root(Path(__file__).parent)
    t = load_target(name, root)
    _, system = build(t, root, t.config.overridden(cpus, tasks, None, None))
    limits = Limits(t.bound, max_states=50_000_000, timeout_s=timeout_s, symmetry=reduce,
                    compiled=False)
    w0, c0 = time.monotonic(), time.process_time()
    r = ExplicitEngine(symmetry_after=0).check(system, limits)
    return Run(r, time.monotonic() - w0, time.process_time() - c0)


def row(name: str, cpus: int, tasks: int, timeout_s: float) -> str:
    """One table row: reduced beside unreduced."""
    red = one(name, cpus, tasks, True, timeout_s)
    full = one(name, cpus, tasks, False, timeout_s)
    rs, fs = red.result.stats, full.result.stats
    ratio = fs.states / rs.states if rs.states else 0.0
    speed = full.cpu_s / red.cpu_s if red.cpu_s else 0.0
    return (f"{name:<14} {cpus}x{tasks}  {rs.symmetry:>5}  "
            f"{red.result.verdict.value:<7} {rs.states:>10,} {red.wall_s:>8.1f} "
            f"{red.cpu_s:>8.1f} | "
            f"{full.result.verdict.value:<7} {fs.states:>10,} {full.wall_s:>8.1f} "
            f"{full.cpu_s:>8.1f} | {ratio:>5.2f}x {speed:>5.2f}x")


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--configs", default=",".join(f"{c}x{t}" for c, t in CONFIGS))
    ap.add_argument("targets", nargs="*", default=list(TARGETS))
    a = ap.parse_args()
    configs = [tuple(int(x) for x in c.split("x")) for c in a.configs.split(",")]
    print(f"symmetry reduction (engines/symmetry.py, group limit {symmetry.MAX_GROUP}); "
          "CPUs x tasks; seconds wall / CPU")
    print(f"{'target':<14} {'cfg':<4} {'group':>5}  {'reduced':<7} {'states':>10} "
          f"{'wall':>8} {'cpu':>8} | {'plain':<7} {'states':>10} {'wall':>8} {'cpu':>8} | "
          f"states  cpu")
    for name in a.targets:
        for cpus, tasks in configs:
            print(row(name, cpus, tasks, a.timeout), flush=True)


if __name__ == "__main__":
    main()
