"""Text reports: verdicts, coverage and traces, byte-stable and within 100 columns."""

from __future__ import annotations

import textwrap

from lazycheck.engines.base import Verdict
from lazycheck.properties import BY_ID
from lazycheck.system import ActionKind
from lazycheck.trace import Trace, TraceStep, build_trace, pending_writes
from lazycheck.verify import Outcome

WIDTH = 100
_STMT = 50  # width of the statement column
_SRC = 31  # width of the source column


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def verdict_line(o: Outcome) -> str:
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
    return f"PASS  {', '.join(o.system.checked)}: {how}"


def coverage(o: Outcome, timings: bool = True) -> list[str]:
    s = o.result.stats
    t = o.target
    lines = [
        f"target   {t.name}: {t.arch} {t.generation} ({t.source})",
        f"config   {o.config.describe()}, bound {o.bound}",
    ]
    counts = f"{s.states:,} states, {s.transitions:,} transitions, " if s.states else ""
    cov = (f"covered  {counts}depth {s.depth}{', exhausted' if s.exhausted else ''}"
           f"{', proved by k-induction' if s.proved else ''}, {s.engine} engine")
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
    exp = "as expected" if o.as_expected else f"UNEXPECTED: target expects {t.expect}"
    lines.append(f"expect   {t.expect} ({exp})")
    return lines


def _step_rows(st: TraceStep, last: bool) -> list[str]:
    rows: list[str] = []
    mark = ">" if last else " "
    head = f"{mark}{st.number:>3} {st.cpu:<5} {st.actor:<6}"
    pad = " " * len(head)
    a = st.action
    first = True

    def row(text: str, src: str) -> None:
        nonlocal first
        lead = head if first else pad
        first = False
        rows.append(f"{lead} {_clip(text, _STMT):<{_STMT}} {src:>{_SRC}}".rstrip())

    if a.kind is ActionKind.SWITCH:
        row(a.summary, "")
        for s in st.statements:
            row(f"  {s.function}: {s.text}", s.span.short)
    elif a.kind is ActionKind.IRQ_ENTRY:
        row(a.summary, "")
    else:
        for s in st.statements:
            if s.text in ("", "{"):
                continue
            row(f"{s.function}: {s.text}", s.span.short)
        if first:
            row(a.summary or "(internal step)", "")
    detail = []
    if st.changes:
        detail.append(", ".join(str(c) for c in st.changes))
    if st.context:
        detail.append(f"[{st.context}]")
    for line in textwrap.wrap("  ".join(detail), WIDTH - len(pad) - 3):
        rows.append(f"{pad}   {line}")
    return rows


def trace_text(o: Outcome, trace: Trace) -> list[str]:
    n = len(trace.steps)
    lines = [f"Shortest counterexample ({n} step{'s' if n != 1 else ''}; state changes in the "
             f"cone of influence of the violation):", "",
             f"{'step':>4} {'cpu':<5} {'task':<6} {'function: statement':<{_STMT}} "
             f"{'model line':>{_SRC}}"]
    for st in trace.steps:
        lines.extend(_step_rows(st, st.number == n))
    lines.append("")
    lines.extend(textwrap.wrap(closing_sentence(o, trace), WIDTH))
    return lines


def closing_sentence(o: Outcome, trace: Trace) -> str:
    v = o.system.violation(trace.violation_code)
    prop = BY_ID.get(v.property_id)
    if not trace.steps:
        return f"What went wrong: {v.message} in the initial state."
    last = trace.steps[-1]
    a = last.action
    fn = last.statements[-1].function + "()" if last.statements else ""
    if a.kind is ActionKind.SWITCH:
        during = f"during the {a.summary} on {last.cpu}"
    elif a.kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY):
        during = f"in an interrupt on {last.cpu}"
    else:
        during = f"while {last.actor} ran on {last.cpu}"
    where = f" in {fn}" if fn and v.property_id == "no-bug" else ""
    text = f"What went wrong: {v.message}{where} {during}"
    pend = [(w, p, val) for w, p, val in pending_writes(o.system, trace.states[-1])
            if f"by {w} " in v.message]
    if v.property_id in ("visible-after-disable", "no-deferred-write-outside-section") and pend:
        ws = "; ".join(f"PTE {p} = {val} written by {w} is not yet visible to the hardware"
                       for w, p, val in pend)
        text += f": {ws}"
    text += "."
    if prop is not None:
        text += f" Property {prop.id}: {prop.description} [{', '.join(prop.hazards)}]."
    return text


def reproduce(o: Outcome, engine: str, minimized: bool = False) -> str:
    t = o.target
    cmd = f"lazycheck verify {t.name}"
    if minimized:
        return f"reproduce: {cmd} --minimize"
    if engine != "explicit":
        cmd += f" --engine {engine}"
    if o.config != t.config:
        cmd += f" --cpus {o.config.cpus} --tasks {o.config.ntasks}"
        cmd += f" --preempt {o.config.preempt.value}"
    if o.bound != t.bound:
        cmd += f" --bound {o.bound}"
    return f"reproduce: {cmd}"


def verify_report(o: Outcome, engine: str, timings: bool = True, full_state: bool = False,
                  minimized_from: str = "") -> str:
    lines = [verdict_line(o), *coverage(o, timings)]
    if minimized_from:
        lines.append(f"minimised from {minimized_from} (same property, still shortest)")
    if o.result.verdict is Verdict.FAIL:
        trace = build_trace(o.system, o.result.trace, slice_=not full_state)
        lines.append("")
        lines.extend(trace_text(o, trace))
    lines.append("")
    lines.append(reproduce(o, engine, bool(minimized_from)))
    return "\n".join(lines) + "\n"
