"""``make bench-smt``: the z3 side of issue 12, per target, as one table.

For each target (default: all):

* explicit: verdict and wall time (the reference);
* bmc on a FAIL target: ``BmcEngine.check`` within ``--fail-budget`` seconds
  (the issue's goal: 5 s), the length of its counterexample, and whether it
  agrees with explicit (same verdict, same trace length);
* bmc on a PASS target: the same with ``--preemptions 2`` (the preemption
  bound is a System transform, lazycheck.run.bounding) within ``--pass-budget``
  seconds (the goal: 60 s); ``PASS`` here means "no violation up to the
  target's bound with <= 2 preemptions", ``PASS*`` exhausted;
* houdini on a PASS target: proved or not, the invariant's size, the time
  to prove (goal: 10 s), and the time ``check-proof`` takes to re-check it.

``--per-depth TARGET`` instead prints BMC's solver time per depth for one
target (where z3 spends its time).  Nothing here is a timed test; the
numbers depend on the machine and its load.

Usage: ``python bench/smt.py [--fail-budget S] [--pass-budget S] [--prove-budget S]
[--no-bmc-pass] [--no-prove] [TARGET ...]``, or ``--per-depth TARGET ...``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.bmc import BmcEngine
from lazycheck.engines.explicit import ExplicitEngine
from lazycheck.engines.houdini import HoudiniEngine, recheck
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.bounding import bound_system
from lazycheck.run.verify import build
from lazycheck.system import System
from lazycheck.targets import find_root, load_target, target_names


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    expect: str
    explicit: str
    explicit_s: float
    bmc: str  # verdict, or "-" when not run
    bmc_s: float
    agree: str  # "yes", "NO", or "-" (bmc UNKNOWN / not run)
    proved: str  # "yes" / "no" / "-" (FAIL target)
    clauses: int
    prove_s: float
    recheck_s: float


def _show(r: Result) -> str:
    if r.verdict is Verdict.UNKNOWN:
        what = "timeout" if "time limit" in r.reason or "canceled" in r.reason else "unknown"
        return f"{what}@{r.stats.depth}" if r.stats.engine == "bmc" else what
    if r.verdict is Verdict.FAIL:
        return f"FAIL@{len(r.trace)}"
    return "PASS*" if r.stats.exhausted else "PASS"


def _timed_bmc(system: System, bound: int, budget: float) -> tuple[Result, float]:
    start = time.perf_counter()
    got = BmcEngine().check(system, Limits(bound, timeout_s=budget))
    return got, time.perf_counter() - start


def bench_target(name: str, root: Path, args: argparse.Namespace) -> Row:
    """One row: explicit, bmc (bounded for PASS targets), houdini and its re-check."""
    t = load_target(name, root)
    system = build(t, root, t.config)[1]
    start = time.perf_counter()
    ex = ExplicitEngine().check(system, Limits(t.bound))
    ex_s = time.perf_counter() - start
    bmc, bmc_s, agree = "-", 0.0, "-"
    if ex.verdict is Verdict.FAIL:
        b, bmc_s = _timed_bmc(system, t.bound, args.fail_budget)
        bmc = _show(b)
        if b.verdict is not Verdict.UNKNOWN:
            agree = "yes" if (b.verdict, len(b.trace)) == (ex.verdict, len(ex.trace)) else "NO"
        return Row(name, str(t.expect), _show(ex), ex_s, bmc, bmc_s, agree, "-", 0, 0.0, 0.0)
    if not args.no_bmc_pass:
        bounded = bound_system(system, preemptions=2)
        b, bmc_s = _timed_bmc(bounded, t.bound, args.pass_budget)
        e2 = ExplicitEngine().check(bounded, Limits(t.bound))
        bmc = _show(b)
        if b.verdict is not Verdict.UNKNOWN:
            agree = "yes" if b.verdict is e2.verdict else "NO"
    if args.no_prove:
        return Row(name, str(t.expect), _show(ex), ex_s, bmc, bmc_s, agree, "skip", 0, 0.0, 0.0)
    start = time.perf_counter()
    h = HoudiniEngine().check(system, Limits(t.bound, timeout_s=args.prove_budget))
    prove_s = time.perf_counter() - start
    recheck_s = 0.0
    if h.invariant:
        start = time.perf_counter()
        assert recheck(system, h.invariant, args.prove_budget).holds
        recheck_s = time.perf_counter() - start
    return Row(name, str(t.expect), _show(ex), ex_s, bmc, bmc_s, agree,
               "yes" if h.stats.proved else "no", len(h.invariant), prove_s, recheck_s)


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    """The table, then the counts against the issue's goals."""
    head = (f"{'target':<44} {'expect':<8} | {'explicit':<8} {'s':>6} | {'bmc':<8} {'s':>6} "
            f"{'agree':<5} | {'proved':<6} {'clauses':>7} {'s':>6} {'recheck':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        exp = r.expect.split(":")[0]
        print(f"{r.name:<44} {exp:<8} | {r.explicit:<8} {r.explicit_s:>6.2f} | {r.bmc:<8} "
              f"{r.bmc_s:>6.2f} {r.agree:<5} | {r.proved:<6} {r.clauses:>7} "
              f"{r.prove_s:>6.2f} {r.recheck_s:>7.2f}")
    fails = [r for r in rows if r.proved == "-"]
    passes = [r for r in rows if r.proved != "-"]
    print()
    print("bmc on FAIL targets (budget {:g} s): {} of {} found, {} within 5 s, {} disagree"
          .format(args.fail_budget, sum(r.bmc.startswith("FAIL") for r in fails), len(fails),
                  sum(r.bmc.startswith("FAIL") and r.bmc_s <= 5 for r in fails),
                  sum(r.agree == "NO" for r in fails)))
    if not args.no_bmc_pass:
        print("bmc --preemptions 2 on PASS targets (budget {:g} s): {} of {} PASS, {} within "
              "60 s, {} disagree".format(args.pass_budget,
                                        sum(r.bmc.startswith("PASS") for r in passes),
                                        len(passes),
                                        sum(r.bmc.startswith("PASS") and r.bmc_s <= 60
                                            for r in passes),
                                        sum(r.agree == "NO" for r in passes)))
    if args.no_prove:
        return
    print("houdini on PASS targets (budget {:g} s): {} of {} proved, {} within 10 s, every "
          "certificate re-checked".format(args.prove_budget,
                                          sum(r.proved == "yes" for r in passes), len(passes),
                                          sum(r.proved == "yes" and r.prove_s <= 10
                                              for r in passes)))
    print("parametric proofs (any number of CPUs and tasks): not implemented")


def per_depth(name: str, root: Path, budget: float) -> None:
    """BMC's time per depth on one target (where z3 spends its time), one line."""
    t = load_target(name, root)
    system = build(t, root, t.config)[1]
    r = BmcEngine().check(system, Limits(t.bound, timeout_s=budget))
    times = " ".join(f"{s:.2f}" for s in r.stats.per_depth_s)
    print(f"{name}: {len(system.vars)} vars, {len(system.actions)} actions, bmc {_show(r)} "
          f"in {r.stats.elapsed_s:.1f} s; s per depth 0..: {times}")


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
    for name in args.targets or target_names(root):
        rows.append(bench_target(name, root, args))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print_table(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
