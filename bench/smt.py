"""``make bench-smt``: the z3 side of issue 12, per target, as one table.

For each target (default: all):

* explicit: verdict and wall time (the reference);
* bmc, once per encoding (``--encodings``: ``step``, one action per depth;
  ``context``, one context of one actor per depth; ``hybrid``, both at once,
  what ``--engine bmc`` runs; lazycheck/engines/bmc.py, bmc_context.py):
  on a FAIL target within ``--fail-budget`` seconds (the issue's goal: 5 s),
  the length of its counterexample, and whether it agrees with explicit
  (same verdict; a trace never shorter than explicit's shortest, and as
  long for ``step``, which promises a shortest one);
* bmc on a PASS target: the same with ``--preemptions 2`` (the preemption
  bound is a System transform, lazycheck.run.bounding) within ``--pass-budget``
  seconds (the goal: 60 s); ``PASS`` here means "no violation up to the
  target's bound with <= 2 preemptions", ``PASS*`` exhausted;
* houdini on a PASS target: proved or not, the invariant's size, the time
  to prove (goal: 10 s), and the time ``check-proof`` takes to re-check it.

Rows are printed as they are measured, the counts against the goals at
the end.  ``--per-depth TARGET`` instead prints BMC's solver time per depth
(step encoding) and per context (context encoding) for one target (where z3
spends its time).  Nothing here is a timed test; the numbers depend on the
machine and its load.

Usage: ``python bench/smt.py [--fail-budget S] [--pass-budget S] [--prove-budget S]
[--encodings step,context,hybrid] [--only fail|pass] [--no-bmc-pass] [--no-prove]
[TARGET ...]``, or ``--per-depth TARGET ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.bmc import BmcEncoding, BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.engines.houdini import HoudiniEngine, recheck
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.bounding import bound_system
from lazycheck.run.verify import build
from lazycheck.system import System
from lazycheck.targets import find_root, load_target, target_names


@dataclass(frozen=True, slots=True)
class Cell:
    """One BMC run: what it said, how long it took, whether it agrees with explicit."""

    show: str  # verdict, or "-" when not run
    secs: float  # wall-clock seconds
    agree: str  # "yes", "NO", or "-" (UNKNOWN / not run)
    cpu: float = 0.0  # CPU seconds of the process (every thread: the hybrid runs two)


NOT_RUN = Cell("-", 0.0, "-")


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    expect: str
    explicit: str
    explicit_s: float
    bmc: tuple[Cell, ...]  # one per encoding in ENCODINGS (PASS targets: --preemptions 2)
    proved: str  # "yes" / "no" / "-" (FAIL target)
    clauses: int
    prove_s: float
    recheck_s: float


# the columns: step (one action per depth), context (one context per depth), and
# hybrid (both at once, what --engine bmc runs)
ENCODINGS = (BmcEncoding.STEP, BmcEncoding.CONTEXT, BmcEncoding.HYBRID)


def _show(r: Result) -> str:
    if r.verdict is Verdict.UNKNOWN:
        what = "timeout" if "time limit" in r.reason or "canceled" in r.reason else "unknown"
        return f"{what}@{r.stats.depth}" if r.stats.engine == "bmc" else what
    if r.verdict is Verdict.FAIL:
        return f"FAIL@{len(r.trace)}"
    return "PASS*" if r.stats.exhausted else "PASS"


def _cell(system: System, bound: int, budget: float, enc: BmcEncoding, ref: Result) -> Cell:
    """BMC with encoding ``enc`` against explicit's ``ref`` (same verdict; no shorter trace,
    and with the step encoding, which promises a shortest one, the same length)."""
    start, cpu = time.perf_counter(), time.process_time()
    got = BmcEngine(encoding=enc).check(system, Limits(bound, timeout_s=budget))
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu
    if got.verdict is Verdict.UNKNOWN:
        return Cell(_show(got), secs, "-", cpu)
    same = got.verdict is ref.verdict
    if same and got.verdict is Verdict.FAIL:
        same = len(got.trace) >= len(ref.trace) and (
            enc is not BmcEncoding.STEP or len(got.trace) == len(ref.trace))
    return Cell(_show(got), secs, "yes" if same else "NO", cpu)


def bench_target(name: str, root: Path, args: argparse.Namespace) -> Row:
    """One row: explicit, bmc per encoding (bounded for PASS targets), houdini, re-check."""
    t = load_target(name, root)
    system = build(t, root, t.config)[1]
    start = time.perf_counter()
    ex = ExplicitEngine().check(system, Limits(t.bound))
    ex_s = time.perf_counter() - start
    encs = [e for e in ENCODINGS if e.value in args.encodings]
    if ex.verdict is Verdict.FAIL:
        cells = tuple(_cell(system, t.bound, args.fail_budget, e, ex) if e in encs else NOT_RUN
                      for e in ENCODINGS)
        return Row(name, str(t.expect), _show(ex), ex_s, cells, "-", 0, 0.0, 0.0)
    cells = (NOT_RUN,) * len(ENCODINGS)
    if not args.no_bmc_pass:
        bounded = bound_system(system, preemptions=2)
        e2 = ExplicitEngine().check(bounded, Limits(t.bound))
        cells = tuple(_cell(bounded, t.bound, args.pass_budget, e, e2) if e in encs
                      else NOT_RUN for e in ENCODINGS)
    if args.no_prove:
        return Row(name, str(t.expect), _show(ex), ex_s, cells, "skip", 0, 0.0, 0.0)
    start = time.perf_counter()
    h = HoudiniEngine().check(system, Limits(t.bound, timeout_s=args.prove_budget))
    prove_s = time.perf_counter() - start
    recheck_s = 0.0
    if h.invariant:
        start = time.perf_counter()
        assert recheck(system, h.invariant, args.prove_budget).holds
        recheck_s = time.perf_counter() - start
    return Row(name, str(t.expect), _show(ex), ex_s, cells,
               "yes" if h.stats.proved else "no", len(h.invariant), prove_s, recheck_s)


def header() -> str:
    """The table's first line."""
    cols = " | ".join(f"{'bmc-' + e.value:<10} {'s':>6} {'cpu':>6} {'agree':<5}"
                      for e in ENCODINGS)
    return (f"{'target':<44} {'expect':<6} | {'explicit':<8} {'s':>6} | {cols} | "
            f"{'proved':<6} {'clauses':>7} {'s':>6} {'recheck':>7}")


def line(r: Row) -> str:
    """One row of the table."""
    cols = " | ".join(f"{c.show:<10} {c.secs:>6.2f} {c.cpu:>6.2f} {c.agree:<5}" for c in r.bmc)
    return (f"{r.name:<44} {r.expect.split(':')[0]:<6} | {r.explicit:<8} {r.explicit_s:>6.2f} | "
            f"{cols} | {r.proved:<6} {r.clauses:>7} {r.prove_s:>6.2f} {r.recheck_s:>7.2f}")


def print_summary(rows: list[Row], args: argparse.Namespace) -> None:
    """The counts against the issue's goals, per encoding."""
    fails = [r for r in rows if r.proved == "-"]
    passes = [r for r in rows if r.proved != "-"]
    print()
    for i, e in enumerate(ENCODINGS):
        if e.value not in args.encodings:
            continue
        f = [r.bmc[i] for r in fails]
        print(f"bmc-{e.value} on FAIL targets (budget {args.fail_budget:g} s): "
              f"{sum(c.show.startswith('FAIL') for c in f)} of {len(f)} found, "
              f"{sum(c.show.startswith('FAIL') and c.secs <= 5 for c in f)} within 5 s, "
              f"{sum(c.show.startswith('FAIL') and c.cpu <= 5 for c in f)} within 5 s of CPU, "
              f"{sum(c.agree == 'NO' for c in f)} disagree")
        if not args.no_bmc_pass:
            p = [r.bmc[i] for r in passes]
            print(f"bmc-{e.value} --preemptions 2 on PASS targets (budget {args.pass_budget:g} "
                  f"s): {sum(c.show.startswith('PASS') for c in p)} of {len(p)} covered "
                  f"(PASS to the bound, or PASS* exhausted), "
                  f"{sum(c.show.startswith('PASS') and c.secs <= 60 for c in p)} within 60 s, "
                  f"{sum(c.show.startswith('PASS') and c.cpu <= 60 for c in p)} within 60 s "
                  f"of CPU, {sum(c.agree == 'NO' for c in p)} disagree")
    if args.no_prove:
        return
    print("houdini on PASS targets (budget {:g} s): {} of {} proved, {} within 10 s, every "
          "certificate re-checked".format(args.prove_budget,
                                          sum(r.proved == "yes" for r in passes), len(passes),
                                          sum(r.proved == "yes" and r.prove_s <= 10
                                              for r in passes)))
    print("parametric proofs (any number of CPUs and tasks): not implemented")


def per_depth(name: str, root: Path, budget: float) -> None:
    """BMC's time per depth on one target (where z3 spends its time), per encoding."""
    t = load_target(name, root)
    system = build(t, root, t.config)[1]
    for enc in (BmcEncoding.STEP, BmcEncoding.CONTEXT):
        cpu = time.process_time()
        r = BmcEngine(encoding=enc).check(system, Limits(t.bound, timeout_s=budget))
        cpu = time.process_time() - cpu
        times = " ".join(f"{s:.2f}" for s in r.stats.per_depth_s)
        unit = "depth (step)" if enc is BmcEncoding.STEP else "context"
        print(f"{name}: {len(system.vars)} vars, {len(system.actions)} actions, bmc-{enc.value} "
              f"{_show(r)} in {r.stats.elapsed_s:.1f} s ({cpu:.1f} s CPU, load {_load()}); "
              f"s per {unit} from 0/1: {times}", flush=True)


def _load() -> str:
    """The 1/5/15-minute load averages (the machine is shared: read the times with them)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the bench over the given targets (default: all) and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--fail-budget", type=float, default=5.0)
    ap.add_argument("--pass-budget", type=float, default=60.0)
    ap.add_argument("--prove-budget", type=float, default=60.0)
    ap.add_argument("--no-bmc-pass", action="store_true",
                    help="skip bmc --preemptions 2 on PASS targets (the slow column)")
    ap.add_argument("--no-prove", action="store_true",
                    help="skip houdini on PASS targets (the proof columns)")
    ap.add_argument("--encodings", default=",".join(e.value for e in ENCODINGS),
                    help="comma-separated BMC encodings to run (step,context,hybrid)")
    ap.add_argument("--only", choices=("fail", "pass"), default=None,
                    help="only the FAIL (or only the PASS) targets")
    ap.add_argument("--per-depth", metavar="TARGET", nargs="+", default=None,
                    help="print BMC's solver time per depth for these targets, then stop")
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args(argv)
    root = find_root(Path(__file__).resolve().parent.parent)
    if args.per_depth:
        for name in args.per_depth:
            per_depth(name, root, args.fail_budget)
        return 0
    rows = []
    print(f"load average at the start: {_load()}; s = wall-clock seconds, cpu = CPU seconds "
          "of this process (all threads)")
    print(header())
    print("-" * len(header()), flush=True)
    for name in args.targets or target_names(root):
        kind = str(load_target(name, root).expect).split(":")[0]
        if args.only is not None and kind != args.only:
            continue
        rows.append(bench_target(name, root, args))
        print(line(rows[-1]), flush=True)
    print_summary(rows, args)
    print(f"load average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
