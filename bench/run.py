"""``make bench``: the explicit engine and BMC side by side, per target.

Speed goals live here, never in timed unit tests.  For each target:

* explicit: verdict, states explored, states per second, wall time;
* bmc (``BmcEngine.check`` at the target's bound, no k-induction) with a
  per-target time budget (``--bmc-budget``, default 60 s): its verdict
  ("timeout" when the budget ran out), the depth it completed, the depth of
  its counterexample on FAIL, wall time, and the bmc/explicit wall-time
  ratio.

Then the ratio of each target's explicit time to the fastest target's, so
runs on different machines can be compared by shape.  With the default
budget the whole run takes at most about a minute per target.

First, though, lazycheck beside SPIN on the exported Promela models
(:mod:`bench.spin`): verdicts, state counts (equal on exhausted targets),
end-to-end times, states/s, the frame size of the generated actions and
the ratio.  The BMC table runs only with ``--bmc``.

Usage: ``python bench/run.py [--bmc] [--bmc-budget SECONDS] [--no-spin] [TARGET ...]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.bmc import BmcEngine
from lazycheck.outcome import Limits, Result, Verdict
from lazycheck.run.verify import run
from lazycheck.targets import find_root, load_target, target_names

DEFAULT_BMC_BUDGET_S = 60.0


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    bound: int
    verdict: str
    depth: int  # explicit: counterexample length on FAIL, else the depth reached
    states: int
    rate: float
    explicit_s: float
    bmc_verdict: str
    bmc_depth: int
    bmc_cex: int | None
    bmc_s: float

    @property
    def ratio(self) -> float:
        return self.bmc_s / self.explicit_s if self.explicit_s > 0 else float("inf")


def _bmc_verdict(r: Result) -> str:
    if r.verdict is Verdict.UNKNOWN:
        # z3 may stop on its per-call timeout just before the engine's own clock
        # runs out; it then says "canceled" rather than "time limit ... reached"
        timed_out = r.reason.startswith("time limit") or r.reason.endswith(
            ("canceled", "timeout"))
        return "timeout" if timed_out else "unknown"
    if r.verdict is Verdict.PASS and r.stats.exhausted:
        return "PASS*"
    return str(r.verdict.value)


def bench_target(name: str, root: Path, budget_s: float) -> Row:
    t = load_target(name, root)
    start = time.perf_counter()
    o = run(t, root, engine="explicit")
    explicit_s = time.perf_counter() - start
    s = o.result.stats
    rate = s.states / s.elapsed_s if s.elapsed_s > 0 else 0.0
    start = time.perf_counter()
    b = BmcEngine().check(o.system, Limits(o.bound, timeout_s=budget_s))
    bmc_s = time.perf_counter() - start
    verdict = o.verdict.value + ("*" if s.exhausted else "")
    return Row(name, o.bound, verdict, s.depth, s.states, rate, explicit_s, _bmc_verdict(b),
               b.stats.depth, len(b.trace) if b.verdict is Verdict.FAIL else None, bmc_s)


def print_table(rows: list[Row], budget_s: float) -> None:
    head = (f"{'target':<44} {'bound':>5} | {'explicit':<8} {'depth':>5} {'states':>9} "
            f"{'states/s':>9} "
            f"{'wall s':>7} | {'bmc':<7} {'depth':>5} {'cex@':>4} {'wall s':>7} | "
            f"{'bmc/expl':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        cex = str(r.bmc_cex) if r.bmc_cex is not None else "-"
        more = ">" if r.bmc_verdict == "timeout" else " "
        print(f"{r.name:<44} {r.bound:>5} | {r.verdict:<8} {r.depth:>5} {r.states:>9,} "
              f"{r.rate:>9,.0f} {r.explicit_s:>7.2f} | {r.bmc_verdict:<7} {r.bmc_depth:>5} "
              f"{cex:>4} {r.bmc_s:>7.2f} | {more}{r.ratio:>6.1f}x")
    print()
    print("* = state space exhausted.  bmc: BmcEngine.check at the target's bound, "
          f"budget {budget_s:g} s per target; depth = deepest level completed; "
          "cex@ = depth of its counterexample; explicit depth = its counterexample's "
          "length on FAIL.  '>' = bmc timed out: the ratio is a lower bound.")
    fastest = min((r.explicit_s for r in rows), default=1.0) or 1.0
    print()
    print("explicit wall-time ratio to the fastest target:")
    for r in rows:
        print(f"  {r.name:<44} {r.explicit_s / fastest:>7.1f}x")
    done = [r for r in rows if r.bmc_verdict != "timeout"]
    print()
    print(f"bmc/explicit wall-time ratio: {len(done)} of {len(rows)} targets within the bmc "
          "budget" + (f", median {sorted(r.ratio for r in done)[len(done) // 2]:.0f}x"
                      if done else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--bmc-budget", type=float, default=DEFAULT_BMC_BUDGET_S,
                    help="seconds BMC may spend per target (default %(default)g)")
    ap.add_argument("--bmc", action="store_true", help="also the explicit-vs-BMC table")
    ap.add_argument("--no-spin", action="store_true", help="skip the SPIN table")
    ap.add_argument("targets", nargs="*", help="targets to run (default: all)")
    args = ap.parse_args(argv)
    root = find_root(Path(__file__).resolve().parent.parent)
    names = args.targets or target_names(root)
    if not args.no_spin:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from spin import bench_spin, print_spin_table

        spin_rows = []
        for name in names:
            spin_rows.append(bench_spin(name, root))
            print(f"  {name}: lazycheck {spin_rows[-1].lazy_s:.2f} s, "
                  f"spin {spin_rows[-1].spin_s:.2f} s", file=sys.stderr, flush=True)
        print_spin_table(spin_rows)
        print()
    if not args.bmc:
        return 0
    rows = []
    for name in names:
        rows.append(bench_target(name, root, args.bmc_budget))
        print(f"  {name}: explicit {rows[-1].explicit_s:.2f} s, bmc {rows[-1].bmc_s:.2f} s",
              file=sys.stderr, flush=True)
    print_table(rows, args.bmc_budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
