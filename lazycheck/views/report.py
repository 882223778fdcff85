"""Text reports: verdicts, coverage and traces, byte-stable and within 100 columns."""

from __future__ import annotations

import textwrap

from lazycheck.outcome import Outcome, Verdict
from lazycheck.properties import BY_ID, PropertyId
from lazycheck.system import ActionKind, SourceStep, Violation
from lazycheck.views.trace import (
    Trace,
    TraceStep,
    build_trace,
    deferred_writes,
    initial_tasks,
)

WIDTH = 100


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def verdict_line(o: Outcome) -> str:
    """The report's first line: PASS/FAIL/UNKNOWN/VACUOUS and how far the check went."""
    r = o.result
    if r.verdict is Verdict.FAIL:
        v = o.system.violation(r.violation_code)
        where = f" ({v.span.short})" if v.span else ""
        return f"FAIL  {v.property_id}: {v.message}{where}"
    if r.verdict is Verdict.UNKNOWN:
        return f"UNKNOWN  {r.reason}"
    if o.vacuous:
        return ("VACUOUS  PASS proves nothing: the scenario did not exercise what the target "
                "claims (see coverage)")
    s = r.stats
    if s.proved:
        how = "proved for every depth"
    elif s.exhausted:
        how = f"state space exhausted at depth {s.depth}"
    else:
        how = f"no violation up to depth {s.bound} (space not exhausted)"
    if o.system.bounded_by:  # run/bounding.py: the verdict holds only within the bound
        how += " " + o.system.bounds_text()
    idle = {p for p, _ in o.coverage.unwatched} if o.coverage is not None else set()
    props = [f"{p} (VACUOUS)" if p in idle else p for p in o.system.checked]
    return f"PASS  {', '.join(props)}: {how}"


def coverage(o: Outcome, timings: bool = True) -> list[str]:
    """The header lines: target, config, what was covered, the expected verdict."""
    s = o.result.stats
    t = o.target
    lines = [
        f"target   {t.name}: {t.arch} {t.generation} ({t.source})",
        f"config   {o.config.describe()}, bound {o.bound}",
    ]
    counts = f"{s.states:,} states, {s.transitions:,} transitions, " if s.states else ""
    if s.symmetry > 1:  # engines/symmetry.py: one state per orbit
        counts = f"{s.states:,} states up to a symmetry group of {s.symmetry}, " \
                 f"{s.transitions:,} transitions, "
    cov = (f"covered  {counts}depth {s.depth}{', exhausted' if s.exhausted else ''}"
           f"{', proved for every depth' if s.proved else ''}, {s.engine} engine")
    if timings:
        cov += f", {s.elapsed_s:.2f} s"
    lines.append(cov)
    for other in o.others:
        so = other.stats
        line = (f"covered  {so.engine} engine: {other.verdict.value}, depth {so.depth}"
                f"{', exhausted' if so.exhausted else ''}{', proved' if so.proved else ''}"
                f"{', trace of ' + str(len(other.trace)) + ' steps' if other.trace else ''}")
        if timings:
            line += f", {so.elapsed_s:.2f} s"
        if other.verdict is Verdict.UNKNOWN:  # --engine both: ran out of the shared budget
            lines.append(line + f" (no verdict: {other.reason})")
        else:
            lines.append(line + " (agrees)")
    cv = o.coverage
    if cv is not None:
        hit = cv.statements - len(cv.unreached)
        line = f"reached  {hit}/{cv.statements} scenario statements"
        if cv.witnessed:
            line += "; " + "; ".join(sorted(cv.witnessed))
        lines.append(line)
        for span, text in cv.unreached:
            lines.append(f"         unreached {span}: {_clip(text, 60)}")
        for m in cv.missing:
            lines.append(f"         never happened: {m} (the target requires it)")
        for p, what in cv.unwatched:
            lines.append(f"         vacuous: {p} (never in any state: {what})")
    want = t.expect_for(o.config)
    exp = "as expected" if o.as_expected else f"UNEXPECTED: expected {want}, got {o.found}"
    lines.append(f"expect   {want} ({exp})")
    claim = t.claim_for(o.config)
    if claim is not None and claim.reason:
        lines.extend(_fit(f"because  {claim.reason}", 9))
    return lines


def config_table(outcomes: tuple[Outcome, ...], title: str = "configurations") -> str:
    """The verdict in each configuration checked: one line each, the primary marked."""
    if not outcomes:
        return ""
    t = outcomes[0].target
    rows = []
    for o in outcomes:
        got = f"FAIL:{o.property_id}" if o.status == "FAIL" else o.status
        claim = t.claim_for(o.config)
        mark = "*" if o.config == t.config else " "
        ok = ("ok" if o.as_expected else "UNEXPECTED") if claim is not None else "not claimed"
        rows.append((mark + o.config.describe(), got, str(t.expect_for(o.config))
                     if claim is not None else "-", ok, _engines(o)))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    both = any(o.others for o in outcomes)  # --engine both: each engine's verdict too
    out = [f"{title} of {t.name} (* the target's own; {len(rows)} checked):"]
    for r in rows:
        out.append(f"  {r[0]:<{w[0]}}  {r[1]:<{w[1]}}  expect {r[2]:<{w[2]}}  {r[3]}")
        if both:  # under the verdict: it is the explicit engine's, the others must agree
            out.append(f"  {'':<{w[0]}}  {r[4]}")
    return "\n".join(out) + "\n"


def _engines(o: Outcome) -> str:
    """Each engine's verdict on one configuration, e.g. ``explicit FAIL/19, bmc FAIL/19``."""
    parts = []
    for r in (o.result, *o.others):
        if r.verdict is Verdict.FAIL:
            what = f"FAIL/{len(r.trace)}"
        elif r.verdict is Verdict.PASS:
            what = "PASS" + ("*" if r.stats.exhausted or r.stats.proved else "")
        else:
            what = "UNKNOWN"
        parts.append(f"{r.stats.engine} {what}")
    return ", ".join(parts)


def lane_width(cpus: int) -> int:
    """Columns per CPU lane: the acting CPU's text starts at its lane and runs right."""
    return {1: 12, 2: 12, 3: 10}.get(cpus, 8)


_LEAD = 5  # ">123 " : the violating-step marker and the step number


def ascii_only(text: str) -> str:
    """Traces go into plain-text mail: anything outside ASCII becomes '?'."""
    return text.encode("ascii", "replace").decode("ascii")


class _Timeline:
    """Rows of the per-CPU timeline; every row fits in :data:`WIDTH` columns."""

    def __init__(self, cpus: int) -> None:
        self.cpus = cpus
        self.lw = lane_width(cpus)
        self.rows: list[str] = []

    def start(self, cpu: int) -> int:
        """The column where ``cpu``'s lane begins."""
        return _LEAD + min(cpu, self.cpus - 1) * self.lw

    def rails(self, cpu: int) -> str:
        """Lanes left of ``cpu``: '|' says that CPU keeps running its task."""
        return "".join("|".ljust(self.lw) for _ in range(min(cpu, self.cpus - 1)))

    def line(self, lead: str, cpu: int, indent: int, text: str, src: str = "") -> None:
        """One timeline row: the lead, the CPU rails, ``text`` in ``cpu``'s lane, the source."""
        head = f"{lead:<{_LEAD}}{self.rails(cpu)}{' ' * indent}"
        room = WIDTH - len(head) - (len(src) + 1 if src else 0)
        if src and room < 24:  # too narrow: the source goes on a line of its own
            self.rows.append((head + _clip(text, WIDTH - len(head))).rstrip())
            pad = f"{'':<{_LEAD}}{self.rails(cpu)}"
            self.rows.append(pad + src.rjust(WIDTH - len(pad)))
            return
        body = _clip(text, room)
        row = head + body
        if src:
            row = row.ljust(WIDTH - len(src)) + src
        self.rows.append(row.rstrip())

    def wrapped(self, cpu: int, indent: int, text: str) -> None:
        """``text`` in ``cpu``'s lane, wrapped to the report's width."""
        head = f"{'':<{_LEAD}}{self.rails(cpu)}{' ' * indent}"
        for part in textwrap.wrap(text, WIDTH - len(head), break_on_hyphens=False):
            self.rows.append(head + part)


def _headline(st: TraceStep) -> tuple[str, str, list[SourceStep]]:
    """The first row of a step (text, source) and the statements under it."""
    a = st.action
    stmts = [s for s in st.statements if s.text not in ("", "{")]
    if a.kind is ActionKind.SWITCH:
        return a.summary, "", stmts
    if a.kind is ActionKind.IRQ_ENTRY:
        return a.summary or "interrupt arrives", "", []
    if stmts:
        first = stmts[0]
        return f"{first.function}: {first.text}", first.span.short, stmts[1:]
    return a.summary or "(internal step)", "", []


def trace_text(o: Outcome, trace: Trace) -> list[str]:
    """The per-CPU timeline: one lane per CPU, one block of rows per step."""
    n = len(trace.steps)
    cpus = max([o.config.cpus, *(st.cpu_no + 1 for st in trace.steps)])
    tl = _Timeline(cpus)
    v = o.system.violation(trace.violation_code)
    lines = [f"Shortest counterexample ({n} step{'s' if n != 1 else ''}; one lane per CPU, "
             f"'|' = the CPU keeps running its task;", "state changes in the cone of "
             "influence of the violation; '>' marks the violating step):", ""]
    head = f"{'step':<{_LEAD}}" + "".join(f"cpu{c}".ljust(tl.lw) for c in range(cpus))
    lines.append(head.rstrip().ljust(WIDTH - len("model line")) + "model line")
    init = initial_tasks(o.system, cpus)
    tl.rows.append((f"{'':<{_LEAD}}" + "".join(t.ljust(tl.lw) for t in init)).rstrip()
                   + "   (running at the start)")
    shown_ctx: dict[str, str] = {}
    for st in trace.steps:
        last = st.number == n
        lead = f"{'>' if last else ' '}{st.number:>3}"
        c = st.cpu_no
        text, src, rest = _headline(st)
        switch = st.action.kind is ActionKind.SWITCH
        tl.line(lead, c, 0, text if switch else f"{st.actor} {text}", src)
        ind = 2 if switch else len(st.actor) + 1
        for s in rest:
            tl.line("", c, ind, f"{s.function}: {s.text}", s.span.short)
        detail = [str(ch) for ch in st.changes]
        ctx_key = st.actor if st.action.kind is not ActionKind.SWITCH else (
            st.action.summary.rsplit(" ", 1)[-1])
        ctx = st.context or "preemptible, irqs on"
        if st.action.kind not in (ActionKind.IRQ, ActionKind.IRQ_ENTRY) and (
                last or ctx != shown_ctx.get(ctx_key, "preemptible, irqs on")):
            detail.append(f"[{ctx_key}: {ctx}]")
            shown_ctx[ctx_key] = ctx
        if detail:
            tl.wrapped(c, ind + 2, "; ".join(detail))
        if last:
            tl.wrapped(c, ind, f"!! {v.property_id}: {v.message}")
    lines.extend(tl.rows)
    lines.append("")
    lines.extend(textwrap.wrap(closing_sentence(o, trace), WIDTH, break_on_hyphens=False))
    return [ascii_only(x) for x in lines]


def _who(writer: str) -> str:
    if writer.startswith("irq@"):
        return f"an interrupt on {writer[len('irq@'):]}"
    return writer


_PTE_PROPERTIES = (PropertyId.VISIBLE_AFTER_DISABLE, PropertyId.NO_DEFERRED_WRITE_OUTSIDE_SECTION)
_SITE_PROPERTIES = (PropertyId.NO_BUG, PropertyId.NO_WARN)
_CONTEXT_PROPERTIES = (*_SITE_PROPERTIES, PropertyId.NO_SLEEP_IN_ATOMIC,
                       PropertyId.PREEMPT_BALANCED)


def _during(last: TraceStep) -> str:
    """Where the violating step ran, in kernel terms."""
    a = last.action
    if a.kind is ActionKind.SWITCH:
        during = f"during the {a.summary} on {last.cpu}"
    elif a.kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY):
        during = f"in an interrupt on {last.cpu}"
    else:
        during = f"while {last.actor} ran on {last.cpu}"
    return during + f" (step {last.number})"


def _still_deferred(o: Outcome, trace: Trace, v: Violation) -> str:
    """A write-visibility failure: which writes are still deferred when which call returns."""
    if v.property_id not in _PTE_PROPERTIES or not v.returns:
        return ""
    last = trace.steps[-1]
    pend = [d for d in deferred_writes(o.system, trace) if not v.actor or d.writer == v.actor]
    parts = []
    for d in pend:
        where = "inside its section" if d.in_section else "outside any section"
        made = f" on {d.cpu} (step {d.step})" if d.step else ""
        parts.append(f"PTE {d.pte} = {d.value} written by {_who(d.writer)} {where}{made}")
    if not parts:
        return ""
    whose = f"{_who(pend[0].writer)}'s " if len({d.writer for d in pend}) == 1 else ""
    return (f"What went wrong: {'; '.join(parts)} is still deferred when "
            f"{whose}{v.function}() returns on {last.cpu} (step {last.number})")


def closing_sentence(o: Outcome, trace: Trace) -> str:
    """One sentence in kernel terms: what went wrong, where, and which property says so."""
    v = o.system.violation(trace.violation_code)
    prop = BY_ID.get(v.property_id)
    if not trace.steps:
        return f"What went wrong: {v.message} in the initial state."
    last = trace.steps[-1]
    text = _still_deferred(o, trace, v)
    if not text:
        where = f" in {v.function}()" if v.function and v.property_id in _SITE_PROPERTIES \
            else ""
        text = f"What went wrong: {v.message}{where} {_during(last)}"
        if last.context and v.property_id in _CONTEXT_PROPERTIES:
            text += f", with {last.context}"
    text += "."
    if prop is not None:
        text += f" Property {prop.id}: {prop.description} [{', '.join(prop.hazards)}]."
    return text


def reproduce(o: Outcome, minimized: bool = False) -> str:
    """The command line that gives this outcome again."""
    args = o.args
    if minimized and "--minimize" not in args:
        args = (*args, "--minimize")
    return f"reproduce: {' '.join((f'lazycheck verify {o.target.name}', *args))}"


def _fit(line: str, indent: int) -> list[str]:
    """Wrap a header line at WIDTH columns, continuing under its text."""
    if len(line) <= WIDTH:
        return [line]
    return textwrap.wrap(line, WIDTH, subsequent_indent=" " * indent,
                         break_long_words=True, break_on_hyphens=False)


def verify_report(o: Outcome, timings: bool = True, full_state: bool = False,
                  minimized_from: str = "") -> str:
    """The whole text report of ``verify``: header, coverage, trace, reproduce line."""
    lines = [*_fit(verdict_line(o), 6), *(w for c in coverage(o, timings) for w in _fit(c, 9))]
    if minimized_from:
        lines.extend(_fit(f"minimised from {minimized_from} (same property, still shortest)",
                          9))
    if o.result.verdict is Verdict.FAIL:
        trace = build_trace(o.system, o.result.trace, slice_=not full_state)
        lines.append("")
        lines.extend(trace_text(o, trace))
    lines.append("")
    lines.append(reproduce(o, bool(minimized_from)))
    return "\n".join(lines) + "\n"
