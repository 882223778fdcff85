"""``make bench``: states explored, states per second and wall time per target.

Speed goals live here, never in timed unit tests.  Prints a table, then the
ratio of each target's time to the fastest target's, so runs on different
machines can be compared by shape.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lazycheck.targets import find_root, load_target, target_names
from lazycheck.verify import run


def main() -> int:
    root = find_root(Path(__file__).resolve().parent.parent)
    rows = []
    for name in target_names(root):
        t = load_target(name, root)
        start = time.perf_counter()
        o = run(t, root)
        wall = time.perf_counter() - start
        s = o.result.stats
        rows.append((name, "explicit", o.verdict.value, s.states, s.transitions, s.depth,
                     s.exhausted, s.elapsed_s, wall))
    head = (f"{'target':<34} {'engine':<8} {'verdict':<7} {'states':>9} {'trans':>9} "
            f"{'depth':>5} {'exh':>3} {'states/s':>9} {'search s':>8} {'wall s':>7}")
    print(head)
    print("-" * len(head))
    for n, eng, v, st, tr, d, ex, el, wall in rows:
        rate = st / el if el > 0 else 0.0
        print(f"{n:<34} {eng:<8} {v:<7} {st:>9,} {tr:>9,} {d:>5} {'yes' if ex else 'no':>3} "
              f"{rate:>9,.0f} {el:>8.2f} {wall:>7.2f}")
    fastest = min((r[8] for r in rows), default=1.0) or 1.0
    print()
    print("wall-time ratio to the fastest target:")
    for r in rows:
        print(f"  {r[0]:<34} {r[8] / fastest:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
