"""The compiled search (``verify --compiled``) against the Python search, end to end.

One fresh process per row.  Every row builds the system (``build s``, not
counted in ``total``) and then runs one search; ``compile s`` is the CPU time
of generating the system's LLVM IR and compiling it to machine code, plus
importing numba and loading the BFS kernel from numba's cache (in a ``cold``
row: compiling it into an empty cache), ``search s`` the rest,
``total`` both.  ``st/s`` is states per CPU second of the search alone.
``same`` says whether verdict, states, transitions and depth equal those of
the Python row of the same configuration (which is unreduced: the compiled
search does not reduce by symmetry; ``python+sym`` rows are the Python
search with its default symmetry reduction, states then counted up to it).

Paths: ``cold`` compiles everything into empty caches; ``compiled`` compiles the
system's machine code (numba's kernel from its cache); ``cached`` is the next run
of the same configuration (the machine code from ``~/.cache/lazycheck``);
``-O2`` rows generate the machine code at LLVM's level 2 from the start instead
of at level 0 (which recompiles at level 2 past 1,000,000 states, and loads level
2 from the cache when it is there: the ``cached`` row of a large configuration).

Usage: ``python bench/compiled.py [--big [--slow]] [--one TARGET TASKS CPUS PATH]``;
``--big`` adds the 3 x 3 rows, against the Python search with symmetry
reduction (``--slow``: also the unreduced one, which takes minutes).
CPU seconds are the honest column on a loaded machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.outcome import Limits
from lazycheck.semantics import Packing

ROWS = [("arm64-nested", 2, 2), ("xen-nested", 2, 2), ("arm64-nested", 3, 2),
        ("xen-nested", 3, 2)]
BIG = [("arm64-nested", 3, 3), ("xen-nested", 3, 3)]
# path -> (compiled?, IR pass level, codegen level, symmetry); level (0, 0) tiers up to
# compiled.TIER past compiled.TIER_STATES states
PATHS = {"python": (False, 0, 0, False), "python+sym": (False, 0, 0, True),
         "cold": (True, 0, 0, False), "compiled": (True, 0, 0, False),
         "cached": (True, 0, 0, False), "compiled-O2": (True, 0, 2, False),
         "cached-O2": (True, 0, 2, False)}
# the cache directories of a path: numba's (None: the usual one) and the machine code's
# (a name: shared by the paths of one configuration, so "cached" finds what "compiled" left)
CACHES = {"cold": ("numba", "cold"), "compiled": (None, "O0"), "cached": (None, "O0"),
          "compiled-O2": (None, "O2"), "cached-O2": (None, "O2")}


def one(name: str, tasks: int, cpus: int, path: str) -> dict[str, object]:
    """Measure one search in this process; the numbers as a dict."""
    from speed import built  # bench/speed.py, beside this script

    t, cfg, system, build_s = built(name, tasks, cpus)
    c1 = time.process_time()
    w0 = time.perf_counter()
    on, opt, codegen, sym = PATHS[path]
    limits = Limits(t.bound, 50_000_000, 3600.0, symmetry=sym, compiled=False)
    search_s = 0.0
    if on:
        from lazycheck.engines import compiled

        search = compiled.CompiledSearch(system, limits, Packing.of(system), (opt, codegen))
        search.load_kernel()  # compiled (cold) or loaded from numba's cache
        s0 = time.process_time()
        r = search.run()
        search_s = time.process_time() - s0 - search.tier_cpu  # recompiling is compiling
        assert r is not None
    else:
        r = ExplicitEngine().check(system, limits)
    c2 = time.process_time()
    compile_s = c2 - c1 - search_s if on else 0.0
    return {"target": name, "config": f"{cfg.ntasks}x{cfg.cpus}", "path": path,
            "verdict": r.verdict.value, "states": r.stats.states,
            "transitions": r.stats.transitions, "depth": r.stats.depth, "build": build_s,
            "compile": compile_s, "total": c2 - c1, "wall": time.perf_counter() - w0}


def main(argv: list[str] | None = None) -> int:
    """Run every row in a subprocess and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--big", action="store_true", help="add the 3 x 3 rows")
    ap.add_argument("--slow", action="store_true",
                    help="with --big: also the unreduced Python search at 3 x 3")
    ap.add_argument("--one", nargs=4, metavar=("TARGET", "TASKS", "CPUS", "PATH"))
    args = ap.parse_args(argv)
    if args.one:
        name, tasks, cpus, path = args.one
        print(json.dumps(one(name, int(tasks), int(cpus), path)))
        return 0
    head = (f"{'target':<13} {'cfg':>3} {'path':<11} {'verdict':<7} {'states':>10} "
            f"{'build s':>7} {'compile s':>9} {'search s':>8} {'total s':>7} {'st/s':>9} "
            f"{'vs python':>9} {'same':>4}")
    print(head)
    print("-" * len(head))
    for name, tasks, cpus in ROWS + (BIG if args.big else []):
        big = (tasks, cpus) == (3, 3)
        base: dict[str, object] | None = None
        with tempfile.TemporaryDirectory() as tmp:
            for path in PATHS:
                if (path == "python+sym" and not big) or (path == "python" and big
                                                          and not args.slow):
                    continue  # below 100,000 states the default search is the unreduced one
                d = _row(name, tasks, cpus, path, Path(tmp))
                base = base or d
                print(_line(d, base), flush=True)
    return 0


def _row(name: str, tasks: int, cpus: int, path: str, tmp: Path) -> dict[str, object]:
    """One row, measured in a fresh process with the path's cache directories."""
    env = dict(os.environ)
    numba_dir, code_dir = CACHES.get(path, (None, None))
    if numba_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(tmp / numba_dir)
    if code_dir is not None:
        env["XDG_CACHE_HOME"] = str(tmp / code_dir)
    out = subprocess.run([sys.executable, __file__, "--one", name, str(tasks), str(cpus),
                          path], capture_output=True, text=True, check=True, env=env)
    return dict(json.loads(out.stdout))


def _line(d: dict[str, object], base: dict[str, object]) -> str:
    r = dataclasses.make_dataclass("R", list(d))(**d)
    b = dataclasses.make_dataclass("R", list(base))(**base)
    search = r.total - r.compile
    same = all(getattr(r, k) == getattr(b, k)
               for k in ("verdict", "states", "transitions", "depth"))
    return (f"{r.target:<13} {r.config:>3} {r.path:<11} {r.verdict:<7} {r.states:>10,} "
            f"{r.build:>7.2f} {r.compile:>9.2f} {search:>8.2f} {r.total:>7.2f} "
            f"{r.states / search if search > 0 else 0.0:>9,.0f} "
            f"{b.total / r.total if r.total > 0 else 0.0:>8.2f}x "
            f"{('yes' if same else 'NO') if b.path == 'python' else '-':>4}")


if __name__ == "__main__":
    sys.exit(main())
