"""``make bench-smt`` (second table): proofs from mined invariants, per claimed configuration.

Issue 12, item 3: every PASS target whose configuration the explicit engine
exhausts is PROVED from mined invariants in <= 10 s, with a certificate that
``check-proof`` re-checks.  A target may claim several configurations
(``[configs]``); each one expected to PASS is a row:

* ``states``: the reachable states (``-`` when the explicit engine does not
  exhaust the configuration within ``--explore-budget`` s / ``--max-states``;
  such a row is not counted against the goal, it says why);
* ``proved``: the Houdini engine's answer within ``--prove-budget`` s
  (``yes``; ``no`` = exhausted, no inductive invariant found; ``timeout``);
* ``s``: the Houdini engine's wall time, exploration included; ``cpu s``:
  the CPU time of the same run (on a shared machine the wall time is
  mostly waiting: under load 15-20 on 2 cores it was ~4x the CPU time);
* ``clauses``: the invariant's size;
* ``recheck``: the time :func:`lazycheck.engines.houdini.recheck` (what
  ``lazycheck check-proof`` runs) takes; a certificate that does not
  re-check is an error, never a row.

Nothing here is a timed test; the numbers depend on the machine and its
load (it is shared: the figures in docs/proofs.md say under which load).

Usage: ``python bench/proofs.py [--prove-budget S] [--primary] [TARGET ...]``.

``--parametric`` prints the third table instead (issue 12, item 4): per target
(default: the merged G3 models of arm64, powerpc hash, sparc64, x86 native,
and xen-nested) what ``lazycheck verify T --parametric`` answers, its wall and
CPU time (the goal is <= 10 s each), the invariant's size and the candidates
Houdini started from.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.engines.houdini import HoudiniEngine, explore, recheck
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.verify import build
from lazycheck.targets import Claim, Target, find_root, load_target, target_names


@dataclass(frozen=True, slots=True)
class ProofRow:
    """One claimed configuration of a PASS target and what Houdini made of it."""

    target: str
    config: str
    states: int  # 0: not exhausted
    proved: str
    seconds: float
    cpu_s: float  # the process's CPU time for the same run: what load does not inflate
    clauses: int
    recheck_s: float


def _config_name(t: Target, c: Claim) -> str:
    """``preempt=full 2x2 irqs=1 *`` (``*``: the target's primary configuration)."""
    k = c.config
    irq = f" irqs={k.irqs}" if k.irqs else ""
    return (f"preempt={k.preempt.value} {k.cpus}x{k.ntasks}{irq}"
            f"{' *' if k == t.config else ''}")


def prove_claim(t: Target, c: Claim, root: Path, args: argparse.Namespace) -> ProofRow:
    """Explore the claim's configuration; if exhausted, prove it and re-check the proof."""
    system = build(t, root, c.config)[1]
    name = _config_name(t, c)
    space = explore(system, Limits(t.bound, args.max_states, args.explore_budget))
    if space is None:
        return ProofRow(t.name, name, 0, "-", 0.0, 0.0, 0, 0.0)
    start, cpu = time.perf_counter(), time.process_time()
    r = HoudiniEngine().check(system, Limits(t.bound, args.max_states, args.prove_budget))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if r.verdict is not Verdict.PASS:
        raise AssertionError(f"{t.name} {name}: houdini says {r.verdict} on an exhausted PASS")
    recheck_s = 0.0
    if r.stats.proved:
        start = time.perf_counter()
        if not recheck(system, r.invariant, 600).holds:
            raise AssertionError(f"{t.name} {name}: the certificate does not re-check")
        recheck_s = time.perf_counter() - start
    proved = "yes" if r.stats.proved else ("timeout" if seconds >= args.prove_budget else "no")
    return ProofRow(t.name, name, len(space.states), proved, seconds, cpu, len(r.invariant),
                    recheck_s)


def print_rows(rows: list[ProofRow], args: argparse.Namespace) -> None:
    """The table, then the count against the goal (<= 10 s)."""
    head = (f"{'target':<42} {'config':<28} {'states':>7} | {'proved':<7} {'s':>6} "
            f"{'cpu s':>6} {'clauses':>7} {'recheck':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        states = str(r.states) if r.states else "-"
        print(f"{r.target:<42} {r.config:<28} {states:>7} | {r.proved:<7} "
              f"{r.seconds:>6.2f} {r.cpu_s:>6.2f} {r.clauses:>7} {r.recheck_s:>7.2f}")
    done = [r for r in rows if r.states]
    print()
    print(f"houdini, per claimed PASS configuration (budget {args.prove_budget:g} s, "
          f"load {os.getloadavg()[0]:.1f} at the end): {len(done)} of {len(rows)} exhausted "
          f"by explicit; {sum(r.proved == 'yes' for r in done)} proved, "
          f"{sum(r.proved == 'yes' and r.seconds <= 10 for r in done)} within 10 s wall, "
          f"{sum(r.proved == 'yes' and r.cpu_s <= 10 for r in done)} within 10 s CPU; "
          "every certificate re-checked")


PARAMETRIC = ("arm64-g3", "powerpc-hash-g3", "sparc64-g3", "x86-native-g3", "xen-nested")


def parametric_rows(names: list[str], root: Path, budget: float) -> None:
    """The parametric table: one ``verify --parametric`` per target."""
    from lazycheck.run.parametric import run_parametric

    head = (f"{'target':<24} {'answer':<14} {'s':>7} {'cpu s':>7} {'clauses':>7} "
            f"{'cands':>6}  why not")
    print(head)
    print("-" * len(head))
    for name in names:
        start, cpu = time.perf_counter(), time.process_time()
        r = run_parametric(load_target(name, root), root, timeout_s=budget)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        why = r.reason or (f"breaks violation == 0 at {r.cti_action}" if r.cti_action else "")
        print(f"{name:<24} {r.status:<14} {wall:>7.2f} {cpu:>7.2f} {len(r.invariant):>7} "
              f"{r.candidates:>6}  {why[:60]}", flush=True)
    print(f"\n(load {os.getloadavg()[0]:.1f} at the end; budget {budget:g} s wall)")


def main(argv: list[str] | None = None) -> int:
    """Prove every claimed PASS configuration of the given targets (default: all)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--prove-budget", type=float, default=60.0)
    ap.add_argument("--explore-budget", type=float, default=60.0)
    ap.add_argument("--max-states", type=int, default=1_000_000)
    ap.add_argument("--primary", action="store_true",
                    help="only each target's primary configuration")
    ap.add_argument("--parametric", action="store_true",
                    help="the parametric table (verify --parametric) instead")
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args(argv)
    root = find_root(Path(__file__).resolve().parent.parent)
    if args.parametric:
        parametric_rows(args.targets or list(PARAMETRIC), root, args.prove_budget)
        return 0
    rows = []
    for name in args.targets or target_names(root):
        t = load_target(name, root)
        claims = [c for c in t.claims if c.config == t.config or not args.primary]
        for c in claims:
            if t.expect_for(c.config).verdict == "pass":
                rows.append(prove_claim(t, c, root, args))
                r = rows[-1]
                print(f"  {r.target} {r.config}: {r.proved} {r.seconds:.1f} s",
                      file=sys.stderr, flush=True)
    print_rows(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
