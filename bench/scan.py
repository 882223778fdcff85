"""Scan throughput: lines of C per second on a synthetic tree built from the fixtures.

``make bench-scan`` (``python bench/scan.py [--lines N] [--jobs J]``).  The
tree is >= 1M lines by default: the fixture files repeated under numbered
directories, plus filler functions without lazy MMU calls (most of a real
kernel), so both the full analysis and the cheap-summary path are timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "scan" / "fixtures"
FILLER = """
static int filler_{n}(struct page *page, unsigned long addr, int flags)
{{
	int ret = 0;

	if (!page)
		return -EINVAL;
	for (; addr < PAGE_SIZE; addr += 8) {{
		if (flags & 1)
			ret += do_one(page, addr);
		else
			ret -= undo_one(page, addr);
	}}
	mutex_lock(&filler_lock);
	ret = finish(page, ret);
	mutex_unlock(&filler_lock);
	return ret;
}}
"""


def build_tree(root: Path, lines: int) -> int:
    """Write fixture copies and filler until ``lines`` lines; return the line count."""
    sources = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.c"))]
    total, i = 0, 0
    while total < lines:
        d = root / f"d{i // 50:04d}"
        d.mkdir(exist_ok=True)
        text = sources[i % len(sources)] + "".join(FILLER.format(n=k) for k in range(60))
        (d / f"f{i:05d}.c").write_text(text, encoding="utf-8")
        total += text.count("\n")
        i += 1
    return total


def throughput(lines: int = 1_000_000, jobs: int = 2) -> tuple[int, float]:
    """(lines scanned, seconds) for a fresh synthetic tree."""
    sys.path.insert(0, str(REPO))
    from lazycheck.scan import scanner

    with tempfile.TemporaryDirectory(prefix="lazycheck-bench-scan-") as tmp:
        total = build_tree(Path(tmp), lines)
        start = time.perf_counter()
        result = scanner.combine(scanner.scan_files(scanner.collect([Path(tmp)]), jobs))
        took = time.perf_counter() - start
    assert result.lines == total
    return total, took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    total, took = throughput(args.lines, args.jobs)
    rate = total / took
    print(f"scan: {total:,} lines in {took:.1f} s on {args.jobs} processes: "
          f"{rate:,.0f} lines/s (goal 100,000)")
    return 0 if rate >= 100_000 else 1


if __name__ == "__main__":
    sys.exit(main())
