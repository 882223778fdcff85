"""``lazycheck ci``'s rows: one per target, built from an :class:`Outcome` or a load error.

A row is plain data (it crosses process boundaries); :mod:`lazycheck.views.ci_formats`
writes JUnit XML, KTAP, Markdown and SARIF from rows, and the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lazycheck.diagnostics import render_all
from lazycheck.errors import ModelError
from lazycheck.outcome import Outcome, TargetError, Verdict
from lazycheck.system import ActionKind
from lazycheck.targets import expect_line, target_path
from lazycheck.views.report import verify_report
from lazycheck.views.trace import build_trace


@dataclass(frozen=True, slots=True)
class CiRow:
    """One target x configuration in ``lazycheck ci``: expected and actual verdict, where,
    and the report.  ``target`` is the case name: ``name[config]`` for one of several."""

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
    config: str = ""  # the claimed configuration, when the target claims several ("rt")

    @property
    def status(self) -> str:
        """ok, MISMATCH, unknown or error."""
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


def ci_row(name: str, root: Path, got: Outcome | TargetError) -> CiRow:
    """The row of target ``name``: its verdict against the expected one, or the load error."""
    toml = target_path(name, root)
    toml_rel, exp_line = _rel(toml, root), expect_line(toml)
    if isinstance(got, TargetError):
        return _error_row(name, root, got, toml_rel, exp_line)
    o = got
    claim = o.target.claim_for(o.config)
    label = claim.label if claim is not None else ""
    case = f"{name}[{label}]" if label else name
    if claim is not None and claim.override:
        exp_line = expect_line(toml, claim.override)
    s = o.result.stats
    report = verify_report(o, timings=False)
    vfile, vline, vcol = "", 0, 0
    steps: tuple[tuple[str, int, str], ...] = ()
    if o.result.verdict is Verdict.FAIL:
        v = o.system.violation(o.result.violation_code)
        if v.span is not None:
            vfile, vline, vcol = _rel(v.span.file, root), v.span.line, v.span.col
        steps = _steps(o, root)
    return CiRow(case, str(o.target.expect_for(o.config)), o.status, o.property_id or "",
                 o.as_expected, s.states, s.depth, s.exhausted, s.elapsed_s,
                 report.splitlines()[0], report, vfile, vline, vcol, toml_rel, exp_line, steps,
                 label)


def _error_row(name: str, root: Path, got: TargetError, toml_rel: str, exp_line: int) -> CiRow:
    err = got.error
    if isinstance(err, ModelError):
        text = render_all(err.diagnostics, err.sources)
        span = next((d.span for d in err.diagnostics if d.span is not None), None)
        efile, eline, ecol = (_rel(span.file, root), span.line, span.col) if span \
            else ("", 0, 0)
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0,
                     text.splitlines()[0], text, efile, eline, ecol, toml_rel, exp_line)
    return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0, str(err), str(err),
                 toml=toml_rel, expect_line=exp_line)


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
