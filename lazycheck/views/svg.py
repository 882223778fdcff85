"""A counterexample as a message sequence chart in SVG.

One vertical lane per CPU, steps top to bottom.  A step is a box in the
lane of the CPU it ran on listing every statement it ran, each with its own
``file:line`` and wrapped (never clipped), coloured by the task (idle tasks grey,
interrupts orange); a context switch is a band across its lane saying
``prev -> next``; a task that resumes on another CPU than it last ran on
gets a dashed arrow from its last box (a migration); the violating step is
outlined in red with the property and message under it, and the closing
sentence of the text report is the caption.

The output is byte-stable (no timestamps, fixed float formatting) and
self-contained (no scripts, no external fonts), so it can be attached to a
review or embedded in HTML.  Nothing here prints.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lazycheck.outcome import Outcome
from lazycheck.system import ActionKind, SourceStep
from lazycheck.views.report import closing_sentence
from lazycheck.views.trace import Trace, TraceStep, initial_tasks

_LEFT = 70  # the step-number column
_LANE = 390  # width of one CPU lane
_BOX = 366  # width of a step box
_LINE = 15  # text line height
_TOP = 104  # header height
_CHARS = 48  # characters per line inside a box (7.2 px each at 12 px)

_TASK_COLOURS = ("#dbe9ff", "#dcf5dc", "#fbe3f3", "#fff3c4")
_IDLE = "#eeeeee"
_IRQ = "#ffe0c2"
_SWITCH = "#d9d2f3"


def _fill(actor: str, kind: ActionKind) -> str:
    if kind in (ActionKind.IRQ, ActionKind.IRQ_ENTRY):
        return _IRQ
    if kind is ActionKind.SWITCH:
        return _SWITCH
    if actor.startswith("T") and actor[1:].isdigit():
        return _TASK_COLOURS[int(actor[1:]) % len(_TASK_COLOURS)]
    return _IDLE


def _clip(text: str, n: int = _CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


def _wrap(text: str, n: int = _CHARS, indent: int = 2) -> list[str]:
    """``text`` wrapped to ``n`` characters, continuation lines indented."""
    return textwrap.wrap(" ".join(text.split()), n, subsequent_indent=" " * indent,
                         break_on_hyphens=False) or [""]


def _statement_lines(stmts: list[SourceStep]) -> list[str]:
    """Every statement with its own ``file:line``, wrapped (never clipped)."""
    lines: list[str] = []
    for s in stmts:
        lines.extend(_wrap(f"{s.span.short} {s.function}: {s.text}"))
    return lines


def _box_lines(st: TraceStep) -> list[str]:
    a = st.action
    stmts = [s for s in st.statements if s.text not in ("", "{")]
    if a.kind is ActionKind.SWITCH:
        lines = _wrap(a.summary)
    elif a.kind is ActionKind.IRQ_ENTRY:
        lines = _wrap(f"irq: {a.summary or 'interrupt arrives'}")
    elif stmts:
        lines = [st.actor]
    else:
        lines = _wrap(f"{st.actor}  {a.summary or '(internal step)'}")
    lines += _statement_lines(stmts)
    for ch in st.changes[:2]:
        lines.append(_clip(f"  {ch}"))
    if len(st.changes) > 2:
        lines.append(f"  ... {len(st.changes) - 2} more changes")
    if st.context:
        lines.append(_clip(f"[{st.context}]"))
    return lines


def _x(cpu: int) -> int:
    return _LEFT + cpu * _LANE + _LANE // 2


@dataclass
class _Chart:
    """The chart being drawn: rows so far, the y of the next box, each task's last box."""

    body: list[str] = field(default_factory=list)
    y: int = _TOP
    last_box: dict[str, tuple[int, int]] = field(default_factory=dict)


def _mover(st: TraceStep) -> str:
    """The task that runs (a task step) or comes in (a context switch) at this step."""
    a = st.action
    if a.kind is ActionKind.SWITCH and " -> " in a.summary:
        return a.summary.rsplit(" -> ", 1)[1]
    return st.actor if a.kind is ActionKind.TASK else ""


def _draw_step(ch: _Chart, st: TraceStep, lines: list[str], bad: bool, note: list[str]
               ) -> None:
    """One step's box (and a migration arrow into it); ``note`` lines are drawn in green."""
    a, c = st.action, st.cpu_no
    h = 10 + _LINE * (len(lines) + len(note))
    x0 = _x(c) - _BOX // 2
    mover = _mover(st)
    if mover and mover in ch.last_box and ch.last_box[mover][0] != c:
        pc, py = ch.last_box[mover]
        ch.body.append(f'<line class="migrate" x1="{_x(pc)}" y1="{py}" x2="{_x(c)}" '
                       f'y2="{ch.y}" marker-end="url(#arrow)"/>')
    cls = "step bad" if bad else ("step switch" if a.kind is ActionKind.SWITCH else "step")
    rx = 2 if a.kind is ActionKind.SWITCH else 6
    ch.body.append(f'<g class="{cls}" id="step{st.number}">')
    ch.body.append(f'<rect x="{x0}" y="{ch.y}" width="{_BOX}" height="{h}" rx="{rx}" '
                   f'fill="{_fill(st.actor, a.kind)}"/>')
    ch.body.append(f'<text class="num" x="{_LEFT - 12}" y="{ch.y + 18}">'
                   f'{">" if bad else ""}{st.number}</text>')
    for i, line in enumerate([*lines, *note]):
        cls_attr = ' class="head"' if i == 0 else (' class="fix"' if i >= len(lines) else "")
        ch.body.append(f'<text x="{x0 + 8}" y="{ch.y + 17 + i * _LINE}"{cls_attr} '
                       f'xml:space="preserve">{escape(line)}</text>')
    ch.body.append("</g>")
    if mover:
        ch.last_box[mover] = (c, ch.y + h)
    if a.kind is ActionKind.SWITCH and " -> " in a.summary:
        prev = a.summary.rsplit(" -> ", 1)[0].rsplit(" ", 1)[-1]
        ch.last_box[prev] = (c, ch.y + h)
    ch.y += h + 14


_STYLE = ("<style>"
          ".lane{stroke:#888;stroke-width:1.5;stroke-dasharray:4 4}"
          ".step rect{stroke:#555;stroke-width:1}"
          ".switch rect{stroke:#5b4bb7;stroke-width:1.5}"
          ".bad rect{stroke:#d00000;stroke-width:3}"
          ".bad text{fill:#7a0000}"
          ".head{font-weight:bold}"
          ".fix{fill:#006b1f;font-weight:bold}"
          ".num{text-anchor:end;fill:#333}"
          ".migrate{stroke:#1f5fbf;stroke-width:1.5;stroke-dasharray:6 3}"
          ".title{font-size:14px;font-weight:bold}"
          "</style>")


def _head(o: Outcome, title: str, width: int, height: int) -> list[str]:
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" '
        'font-size="12">',
        _STYLE,
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f5fbf"/></marker></defs>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="title" x="10" y="20">{escape(title)}</text>',
        f'<text x="10" y="38">{escape(o.config.describe())}, bound {o.bound}. Boxes: task '
        'steps (one colour per task); purple: context switch;</text>',
        '<text x="10" y="53">orange: interrupt; dashed arrow: a task resuming on another '
        'CPU; red: the violating step.</text>',
    ]


def trace_svg(o: Outcome, trace: Trace, notes: Mapping[int, Sequence[str]] | None = None,
              caption: str = "") -> str:
    """The message sequence chart of ``trace`` as an SVG document.

    ``notes`` adds green lines to the box of a step (``lazycheck explain``'s
    annotation); ``caption`` replaces the closing sentence under the chart."""
    cpus = max([o.config.cpus, *(st.cpu_no + 1 for st in trace.steps)])
    width = _LEFT + cpus * _LANE + 20
    v = o.system.violation(trace.violation_code)
    n = len(trace.steps)
    ch = _Chart()
    for st in trace.steps:
        lines = _box_lines(st)
        if st.number == n:
            lines += ["", *_wrap(f"!! {v.property_id}: {v.message}", _CHARS, 3)]
        note = [w for x in (notes or {}).get(st.number, ()) for w in _wrap(x)]
        _draw_step(ch, st, lines, st.number == n, note)
    cap = textwrap.wrap(caption or closing_sentence(o, trace), (width - 40) // 7)
    cap_y = ch.y + 10
    height = cap_y + _LINE * len(cap) + 20
    head = _head(o, f"{o.target.name}: FAIL {v.property_id} in {n} step"
                    f"{'s' if n != 1 else ''}", width, height)
    init = initial_tasks(o.system, cpus)
    for c in range(cpus):
        head.append(f'<line class="lane" x1="{_x(c)}" y1="{_TOP - 18}" x2="{_x(c)}" '
                    f'y2="{ch.y}"/>')
        head.append(f'<text class="head" x="{_x(c)}" y="{_TOP - 30}" text-anchor="middle">'
                    f'cpu{c} (starts with {escape(init[c])})</text>')
    foot = [f'<text x="10" y="{cap_y + 12 + i * _LINE}">{escape(line)}</text>'
            for i, line in enumerate(cap)]
    doc = "\n".join([*head, *ch.body, *foot, "</svg>"]) + "\n"
    return doc.encode("ascii", "xmlcharrefreplace").decode("ascii")
