"""``verify --format mail``: the report wrapped at 72 columns for a commit message or LKML.

The per-CPU timeline of the text report is 100 columns wide; a mail body
is 72.  Here the trace is a list: one block per step (number, CPU, who),
every statement it ran with its own ``file:line``, the state changes that
matter, the violation, the closing sentence, then the ``reproduce:`` line
and the source commit of each model.  Byte-stable, ASCII only.  Nothing
here prints.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from lazycheck.outcome import Outcome, Verdict
from lazycheck.system import ActionKind
from lazycheck.views.report import ascii_only, closing_sentence, coverage, reproduce, verdict_line
from lazycheck.views.trace import TraceStep, build_trace

WIDTH = 72
_IND = 6  # statements under a step


def _wrap(text: str, indent: int = 0, first: int = 0, keep: bool = False) -> list[str]:
    """``text`` wrapped at :data:`WIDTH`: the first line at ``first``, the rest at ``indent``.

    ``keep`` keeps runs of spaces (the aligned ``target   ...`` header)."""
    return textwrap.wrap(text if keep else " ".join(text.split()), WIDTH,
                         initial_indent=" " * first,
                         subsequent_indent=" " * indent, break_on_hyphens=False,
                         break_long_words=True) or [""]


def _with_location(text: str, where: str) -> list[str]:
    """A statement and its ``file:line``: on one line when both fit, else the location below."""
    one = " " * _IND + " ".join(text.split())
    if len(one) + 2 + len(where) <= WIDTH:
        return [one.ljust(WIDTH - len(where)) + where]
    return [*_wrap(text, _IND + 2, _IND), where.rjust(WIDTH)]


def _step(st: TraceStep, last: bool) -> list[str]:
    a = st.action
    who = a.summary if a.kind is ActionKind.SWITCH else (
        f"irq: {a.summary or 'interrupt arrives'}" if a.kind is ActionKind.IRQ_ENTRY
        else st.actor)
    lead = f"{'>' if last else ' '}{st.number:>3} "
    lines = [lead + x[len(lead):] for x in _wrap(lead.replace(" ", "_") + f"{st.cpu}  {who}",
                                                  len(lead) + 2)]
    for s in st.statements:
        if s.text in ("", "{"):
            continue
        lines.extend(_with_location(f"{s.function}: {s.text}", s.span.short))
    detail = [str(ch) for ch in st.changes]
    if st.context:
        detail.append(f"[{st.context}]")
    if detail:
        lines.extend(_wrap("; ".join(detail), _IND + 4, _IND + 2))
    return lines


def _shown(path: str) -> str:
    """A model path from ``models/`` on (byte-stable across checkouts)."""
    parts = Path(path).parts
    if "models" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("models"):])
    return Path(path).name


def mail_text(o: Outcome, minimized_from: str = "") -> str:
    """The whole report at 72 columns: verdict, coverage, trace, sentence, reproduce, sources."""
    lines = _wrap(verdict_line(o), 6, keep=True)
    for c in coverage(o, timings=False):
        lines.extend(_wrap(c, 9, keep=True))
    if minimized_from:
        lines.extend(_wrap(f"minimised from {minimized_from}", 9))
    if o.result.verdict is Verdict.FAIL:
        trace = build_trace(o.system, o.result.trace)
        n = len(trace.steps)
        v = o.system.violation(trace.violation_code)
        lines += ["", f"Shortest counterexample ({n} step{'s' if n != 1 else ''}, "
                      "'>' marks the violating step):", ""]
        for st in trace.steps:
            lines.extend(_step(st, st.number == n))
        lines.extend(_wrap(f"!! {v.property_id}: {v.message}", _IND + 3, _IND))
        lines += ["", *_wrap(closing_sentence(o, trace))]
    lines += ["", *_wrap(reproduce(o, bool(minimized_from)), 4)]
    lines += _wrap(f"source: {o.target.source}", 4)
    for f in o.loaded.program.files:
        lines.extend(_wrap(f"{f.kind} {_shown(f.path)}: {f.source}", 6, 2))
    return "\n".join(ascii_only(x.rstrip()) for x in lines) + "\n"
