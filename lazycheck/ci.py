"""``lazycheck ci``: every target against its expected verdict.

Runs targets (in parallel processes when asked), and returns plain rows;
:mod:`lazycheck.cli` prints them and :mod:`lazycheck.ci_formats` writes
JUnit XML, KTAP and Markdown.  Row order is the target name order whatever
``-j`` is, so the output is byte-stable.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from pathlib import Path

from lazycheck.diagnostics import render_all
from lazycheck.engines.base import Verdict
from lazycheck.errors import LazycheckError, ModelError
from lazycheck.report import verify_report
from lazycheck.targets import load_target
from lazycheck.verify import run


@dataclass(frozen=True, slots=True)
class CiRow:
    target: str
    expected: str
    verdict: str  # PASS | FAIL | UNKNOWN | ERROR
    property_id: str
    matched: bool
    states: int
    depth: int
    exhausted: bool
    elapsed_s: float
    detail: str  # the verdict line, or the error
    report: str  # the full text report (trace included), byte-stable
    violation_file: str = ""
    violation_line: int = 0

    @property
    def status(self) -> str:
        if self.verdict == "ERROR":
            return "error"
        if self.verdict == "UNKNOWN":
            return "unknown"
        return "ok" if self.matched else "MISMATCH"


def run_one(name: str, root: str) -> CiRow:
    rootp = Path(root)
    try:
        t = load_target(name, rootp)
        o = run(t, rootp)
    except ModelError as err:
        text = render_all(err.diagnostics, err.sources)
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0,
                     text.splitlines()[0], text)
    except LazycheckError as err:
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0, str(err), str(err))
    s = o.result.stats
    report = verify_report(o, "explicit", timings=False)
    vfile, vline = "", 0
    if o.result.verdict is Verdict.FAIL:
        v = o.system.violation(o.result.violation_code)
        if v.span is not None:
            vfile, vline = v.span.file, v.span.line
    verdict = "VACUOUS" if o.vacuous else o.verdict.value
    return CiRow(name, str(t.expect), verdict, o.property_id or "", o.as_expected,
                 s.states, s.depth, s.exhausted, s.elapsed_s, report.splitlines()[0],
                 report, vfile, vline)


def run_all(names: list[str], root: Path, jobs: int = 1) -> list[CiRow]:
    if jobs <= 1 or len(names) <= 1:
        return [run_one(n, str(root)) for n in names]
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(run_one, names, [str(root)] * len(names)))
    return rows


def exit_code(rows: list[CiRow]) -> int:
    """0 all matched; 2 bad input; 1 any mismatch; 3 any UNKNOWN (and no mismatch)."""
    if any(r.verdict == "ERROR" for r in rows):
        return 2
    if any(r.verdict != "UNKNOWN" and not r.matched for r in rows):
        return 1
    if any(r.verdict == "UNKNOWN" for r in rows):
        return 3
    return 0
