"""``lazycheck ci``: every target against its expected verdict.

Runs targets (in parallel processes when asked), and returns plain rows;
:mod:`lazycheck.cli_ci` prints them and :mod:`lazycheck.ci_formats` writes
JUnit XML, KTAP, Markdown and SARIF.  Row order is the order of the names
asked for (target name order by default) whatever ``-j`` is, so the output
is byte-stable; ``on_done`` is told of each row as it completes, for a
progress display.
"""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lazycheck.diagnostics import render_all
from lazycheck.engines.base import Verdict
from lazycheck.errors import LazycheckError, ModelError
from lazycheck.report import verify_report
from lazycheck.system import ActionKind
from lazycheck.targets import load_target
from lazycheck.trace import build_trace
from lazycheck.verify import Outcome, run


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
    violation_file: str = ""  # where the violation (or the load error) is, relative to root
    violation_line: int = 0
    violation_col: int = 0
    toml: str = ""  # the target's TOML, relative to root
    expect_line: int = 0  # the line of its expected verdict in the TOML
    steps: tuple[tuple[str, int, str], ...] = ()  # the trace: (file, line, what happened)

    @property
    def status(self) -> str:
        if self.verdict == "ERROR":
            return "error"
        if self.verdict == "UNKNOWN":
            return "unknown"
        return "ok" if self.matched else "MISMATCH"


def _rel(path: str | Path, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix()


def _expect_line(toml: Path) -> int:
    """The line of ``verdict = ...`` under ``[expect]`` (1 if not found)."""
    try:
        lines = toml.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    section = ""
    for i, line in enumerate(lines, 1):
        m = re.match(r"\s*\[([^\]]+)\]", line)
        if m:
            section = m.group(1).strip()
        elif section == "expect" and re.match(r"\s*verdict\s*=", line):
            return i
    return 1


def run_one(name: str, root: str) -> CiRow:
    rootp = Path(root)
    toml = rootp / "specs" / "targets" / f"{name}.toml"
    toml_rel, exp_line = _rel(toml, rootp), _expect_line(toml)
    try:
        t = load_target(name, rootp)
        o = run(t, rootp)
    except ModelError as err:
        text = render_all(err.diagnostics, err.sources)
        span = next((d.span for d in err.diagnostics if d.span is not None), None)
        efile, eline, ecol = (_rel(span.file, rootp), span.line, span.col) if span \
            else ("", 0, 0)
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0,
                     text.splitlines()[0], text, efile, eline, ecol, toml_rel, exp_line)
    except LazycheckError as err:
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0, str(err), str(err),
                     toml=toml_rel, expect_line=exp_line)
    s = o.result.stats
    report = verify_report(o, "explicit", timings=False)
    vfile, vline, vcol = "", 0, 0
    steps: tuple[tuple[str, int, str], ...] = ()
    if o.result.verdict is Verdict.FAIL:
        v = o.system.violation(o.result.violation_code)
        if v.span is not None:
            vfile, vline, vcol = _rel(v.span.file, rootp), v.span.line, v.span.col
        steps = _steps(o, rootp)
    verdict = "VACUOUS" if o.vacuous else o.verdict.value
    return CiRow(name, str(t.expect), verdict, o.property_id or "", o.as_expected,
                 s.states, s.depth, s.exhausted, s.elapsed_s, report.splitlines()[0],
                 report, vfile, vline, vcol, toml_rel, exp_line, steps)


def _steps(o: Outcome, root: Path) -> tuple[tuple[str, int, str], ...]:
    """Each trace step at its last statement: what a SARIF code flow shows."""
    trace = build_trace(o.system, o.result.trace)
    out = []
    for st in trace.steps:
        stmts = [x for x in st.statements if x.text not in ("", "{")]
        what = f"step {st.number}, {st.cpu}, {st.actor}: "
        if st.action.kind is ActionKind.SWITCH or not stmts:
            what += st.action.summary or "(internal step)"
        else:
            what += f"{stmts[-1].function}: {' '.join(stmts[-1].text.split())}"
        if stmts:
            out.append((_rel(stmts[-1].span.file, root), stmts[-1].span.line, what))
        else:
            out.append(("", 0, what))
    return tuple(out)


def run_all(names: list[str], root: Path, jobs: int = 1,
            on_done: Callable[[CiRow], None] | None = None,
            on_start: Callable[[str], None] | None = None) -> list[CiRow]:
    """Rows in the order of ``names``; ``on_start``/``on_done`` follow progress."""
    if jobs <= 1 or len(names) <= 1:
        rows = []
        for n in names:
            if on_start is not None:
                on_start(n)
            r = run_one(n, str(root))
            if on_done is not None:
                on_done(r)
            rows.append(r)
        return rows
    done: dict[str, CiRow] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_one, n, str(root)): n for n in names}
        if on_start is not None:
            for n in names[:jobs]:
                on_start(n)
        started = min(jobs, len(names))
        for fut in concurrent.futures.as_completed(futures):
            row = fut.result()
            done[futures[fut]] = row
            if on_done is not None:
                on_done(row)
            if on_start is not None and started < len(names):
                on_start(names[started])
                started += 1
    return [done[n] for n in names]


def exit_code(rows: list[CiRow]) -> int:
    """0 all matched; 2 bad input; 1 any mismatch; 3 any UNKNOWN (and no mismatch)."""
    if any(r.verdict == "ERROR" for r in rows):
        return 2
    if any(r.verdict != "UNKNOWN" and not r.matched for r in rows):
        return 1
    if any(r.verdict == "UNKNOWN" for r in rows):
        return 3
    return 0
