"""``lazycheck ci``'s rows: one per target, built from an :class:`Outcome` or a load error.

A row is plain data (it crosses process boundaries); :mod:`lazycheck.views.ci_formats`
writes JUnit XML, KTAP, Markdown and SARIF from rows, and the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lazycheck import confine
from lazycheck.diagnostics import excerpt, render_all
from lazycheck.errors import LazycheckError, ModelError, ReplayError
from lazycheck.outcome import Outcome, TargetError, Verdict
from lazycheck.system import ActionKind
from lazycheck.targets import confined_target_path, expect_line
from lazycheck.views.report import verdict_line, verify_report
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
    executed: tuple[tuple[str, int], ...] = ()  # every statement the trace ran, in order
    internal: bool = False  # the ERROR is a bug in lazycheck, not bad input
    why: str = ""  # why a PASS or FAIL does not count as the expected verdict ("" = it does)
    config: str = ""  # the claimed configuration, when the target claims several ("rt")

    @property
    def found(self) -> str:
        """What was found: ``FAIL no-bug``, ``PASS``, ``UNKNOWN`` (for "expected X, got Y")."""
        return self.verdict + (f" {self.property_id}" if self.property_id else "")

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


def _toml_where(name: str, root: Path) -> tuple[str, int]:
    """The target's TOML relative to root and its expected-verdict line, read only if safe."""
    try:
        toml = confined_target_path(name, root)
        confine.check_regular(toml, name, confine.MAX_TOML_BYTES)
    except ModelError:
        return f"specs/targets/{excerpt(name, 0, 80)}.toml", 0
    return _rel(toml, root), expect_line(toml)


def gate_problem(o: Outcome) -> str:
    """Why ``o`` does not count for ``ci`` although its verdict is the expected one ("" if it does).

    A PASS must be exhausted or proved unless the target opts into a bounded
    claim (``[check] bounded = "reason"``); a FAIL with ``[expect] at`` must
    fire there, so deleting a check that another one still catches is noticed.
    """
    s, exp = o.result.stats, o.target.expect_for(o.config)
    if o.verdict is Verdict.PASS and not (s.exhausted or s.proved) and not o.target.bounded:
        return (f"a bounded PASS (depth {s.depth}, space not exhausted, nothing proved) is "
                "not a check: raise the bound, or add bounded = \"<reason>\" under [check]")
    if o.verdict is Verdict.FAIL and exp.at:
        v = o.system.violation(o.result.violation_code)
        where = v.span.short if v.span is not None else "?"
        if where != exp.at:
            return f"{exp.property} fired at {where}, the target expects it at {exp.at}"
    return ""


def ci_row(name: str, root: Path, got: Outcome | TargetError) -> CiRow:
    """The row of target ``name``: its verdict against the expected one, or the load error."""
    toml_rel, exp_line = _toml_where(name, root)
    if isinstance(got, TargetError):
        return _error_row(name, root, got, toml_rel, exp_line)
    o = got
    claim = o.target.claim_for(o.config)
    label = claim.label if claim is not None else ""
    case = f"{name}[{label}]" if label else name
    if claim is not None and claim.override:
        exp_line = expect_line(o.target.path, claim.override)
    s = o.result.stats
    why = gate_problem(o) if o.as_expected else ""
    report = verify_report(o, timings=False)
    if why:
        report = f"{report.rstrip()}\ngate     {why}\n"
    vfile, vline, vcol = "", 0, 0
    steps: tuple[tuple[str, int, str], ...] = ()
    executed: tuple[tuple[str, int], ...] = ()
    if o.result.violation_code:  # a FAIL, or an UNKNOWN at the value that left its range
        v = o.system.violation(o.result.violation_code)
        if v.span is not None:
            vfile, vline, vcol = _rel(v.span.file, root), v.span.line, v.span.col
    if o.result.verdict is Verdict.FAIL:
        steps, executed = _steps(o, root)
    detail = why or " ".join(verdict_line(o).split())  # one complete line (KTAP, JUnit)
    return CiRow(case, str(o.target.expect_for(o.config)), o.status, o.property_id or "",
                 o.as_expected and not why, s.states, s.depth, s.exhausted, s.elapsed_s, detail,
                 report, vfile, vline, vcol, toml_rel, exp_line, steps, executed, why=why,
                 config=label)


def budget_row(name: str, root: Path, case: str = "") -> CiRow:
    """The row of a target (``case``: one claimed configuration of it, ``name[label]``)
    that did not finish within ``ci --budget``: UNKNOWN."""
    toml_rel, exp_line = _toml_where(name, root)
    msg = "not finished within the --budget of the run"
    return CiRow(case or name, "?", "UNKNOWN", "", False, 0, 0, False, 0.0, msg, msg,
                 toml=toml_rel, expect_line=exp_line)


def internal_row(name: str, root: Path, what: str, case: str = "") -> CiRow:
    """The row of a target (or its configuration ``case``) that tripped a bug in
    lazycheck: ERROR, marked internal."""
    toml_rel, exp_line = _toml_where(name, root)
    msg = f"lazycheck: internal error, please report: {what}"
    return CiRow(case or name, "?", "ERROR", "", False, 0, 0, False, 0.0, msg, msg,
                 toml=toml_rel, expect_line=exp_line, internal=True)


def _error_row(name: str, root: Path, got: TargetError, toml_rel: str, exp_line: int) -> CiRow:
    err = got.error
    if isinstance(err, ModelError):
        text = render_all(err.diagnostics, err.sources)
        span = next((d.span for d in err.diagnostics if d.span is not None), None)
        efile, eline, ecol = (_rel(span.file, root), span.line, span.col) if span \
            else ("", 0, 0)
        return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0,
                     text.splitlines()[0], text, efile, eline, ecol, toml_rel, exp_line)
    text = _error_text(err)
    internal = isinstance(err, ReplayError) or type(err).__name__ == "EngineDisagreement"
    if internal:
        text = f"lazycheck: internal error, please report: {text}"
    return CiRow(name, "?", "ERROR", "", False, 0, 0, False, 0.0, text, text,
                 toml=toml_rel, expect_line=exp_line, internal=internal)


def _error_text(err: LazycheckError) -> str:
    """What a non-diagnostic error says, bounded."""
    return f"{type(err).__name__}: {str(err)[:500]}"


def _steps(o: Outcome, root: Path) -> tuple[tuple[tuple[str, int, str], ...],
                                             tuple[tuple[str, int], ...]]:
    """Each trace step at its last statement (a SARIF code flow), and every statement run."""
    trace = build_trace(o.system, o.result.trace)
    out = []
    ran: list[tuple[str, int]] = []
    for st in trace.steps:
        stmts = [x for x in st.statements if x.text not in ("", "{")]
        ran.extend((_rel(x.span.file, root), x.span.line) for x in stmts)
        what = f"step {st.number}, {st.cpu}, {st.actor}: "
        if st.action.kind is ActionKind.SWITCH or not stmts:
            what += st.action.summary or "(internal step)"
        else:
            what += f"{stmts[-1].function}: {' '.join(stmts[-1].text.split())}"
        if stmts:
            out.append((_rel(stmts[-1].span.file, root), stmts[-1].span.line, what))
        else:
            out.append(("", 0, what))
    return tuple(out), tuple(ran)


def _base(row: CiRow) -> str:
    """The target's name without its ``[config]`` suffix."""
    return row.target[: -len(row.config) - 2] if row.config else row.target


def _cell(row: CiRow) -> str:
    """One configuration in the summary: ``full 19`` when it is as expected, else what was found."""
    name = row.config or "default"
    if row.status == "ok":
        return f"{name} {row.states:,}"
    return f"{name} {row.status}: got {row.found}"


def ci_table(rows: list[CiRow], width: int = 100) -> str:
    """``lazycheck ci``'s summary within ``width`` columns: per target, its expected verdict,
    then each claimed configuration with its state count (or what went wrong), wrapped."""
    import textwrap

    groups: dict[tuple[str, str], list[CiRow]] = {}
    for r in rows:
        groups.setdefault((_base(r), r.expected), []).append(r)
    out = ["per target: its expected verdict, then each claimed configuration and its states"]
    for (name, expected), rs in groups.items():
        bad = sum(1 for r in rs if r.status != "ok")
        mark = "ok" if bad == 0 else f"{bad} of {len(rs)} NOT OK"
        out.extend(textwrap.wrap(f"{name}: expect {expected} [{mark}]", width,
                                 subsequent_indent="  ", break_on_hyphens=False))
        cells = ", ".join(_cell(r) for r in rs)
        out.extend(textwrap.wrap(cells, width, initial_indent="    ",
                                 subsequent_indent="    ", break_on_hyphens=False))
    out += [f"\n--- {r.target}: {r.status}\n{r.report.rstrip()}" for r in rows
            if r.status != "ok"]
    return "\n".join(out)
