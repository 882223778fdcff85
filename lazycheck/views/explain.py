"""``lazycheck explain``'s outputs: the sentence for the commit message, a text report, an SVG.

Everything is built from the fields of an :class:`~lazycheck.outcome.Explanation`;
byte-stable, within 100 columns.  Nothing here prints.
"""

from __future__ import annotations

import textwrap

from lazycheck.outcome import Explanation, FixStep
from lazycheck.views.report import WIDTH, ascii_only, trace_text
from lazycheck.views.svg import trace_svg
from lazycheck.views.trace import build_trace

MAX_FIX_LINES = 8  # statements of the fix listed in the report


def _stmt(f: FixStep) -> str:
    return f.text.rstrip(";").strip()


def _added(f: FixStep) -> str:
    where = f"in the new {f.function}()" if f.new_function else f"added to {f.function}()"
    return f"the {_stmt(f)} {where}"


def sentence(e: Explanation) -> str:
    """The one sentence a reviewer puts in the commit message."""
    if not e.blocked_step:
        return (f"{e.commit} does not block this counterexample: on the fixed model it "
                f"still ends in {e.still_property}: {e.still_message} (after "
                f"{e.replayed} steps).")
    lb = e.load_bearing
    fix = _added(lb) if lb is not None else "the fix"
    step = f"step {e.blocked_step}"
    if e.blocked_how in ("disabled", "missing"):
        return f"{e.commit}: {fix} makes the {e.blocked_what} at {step} impossible."
    if e.blocked_how == "diverges":
        return (f"{e.commit}: {fix} sends the trace down another path at {step}, where "
                f"the counterexample runs {e.blocked_what}.")
    prop = e.failing.property_id or "the property"
    return (f"{e.commit}: with {fix}, every step of the counterexample still runs but "
            f"{prop} no longer fails at {step}.")


def _header(e: Explanation) -> list[str]:
    o = e.failing
    n = len(o.result.trace)
    lines = [f"explain  {o.target.name}: FAIL {o.property_id} in {n} step"
             f"{'s' if n != 1 else ''}",
             f"config   {o.config.describe()}, bound {o.bound}",
             f"against  {e.fixed_target} ({e.fix_source})"]
    fix = e.fix_statements
    lines.append(f"fix      {len(fix)} statement{'s' if len(fix) != 1 else ''} the failing "
                 "models do not have:")
    for fn, text, file, line in fix[:MAX_FIX_LINES]:
        lines.append(f"         {file.rsplit('/', 1)[-1]}:{line}  {fn}: {text}")
    if len(fix) > MAX_FIX_LINES:
        lines.append(f"         ... and {len(fix) - MAX_FIX_LINES} more")
    return lines


def _replay_lines(e: Explanation) -> list[str]:
    if not e.blocked_step:
        return [f"replay   every step runs on the fixed model; {e.still_property} still "
                "fails"]
    k = e.blocked_step
    ran = f"steps 1-{k - 1} run" if k > 2 else ("step 1 runs" if k == 2 else "no step runs")
    how = {"disabled": "it is not enabled", "missing": "the fixed model has no such step",
           "diverges": "the task takes another path",
           "no-violation": "no property fails after it"}[e.blocked_how]
    if e.blocked_how == "no-violation":
        lines = [f"replay   all {k} steps run on the fixed model; {how}"]
    else:
        lines = [f"replay   {ran} on the fixed model; step {k} ({e.blocked_what}) cannot: "
                 f"{how}"]
    for var, was, now in e.why:
        lines.append(f"         {var} is {now} on the fixed model ({was} in the "
                     "counterexample)")
    lb = e.load_bearing
    if lb is not None:
        lines.append(f"load     {lb.function}: {lb.text}")
        lines.append(f"         {lb.file}:{lb.line}, run by {lb.actor}"
                     f"{' on ' + lb.cpu if lb.cpu else ''} at step {lb.step}")
    return lines


def _fit(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if len(line) <= WIDTH:
            out.append(line)
        else:
            out.extend(textwrap.wrap(line, WIDTH, subsequent_indent=" " * 9,
                                     break_on_hyphens=False))
    return out


def explain_text(e: Explanation) -> str:
    """The report: what was replayed, where it stops, the load-bearing statement, the trace."""
    lines = _fit([*_header(e), *_replay_lines(e)])
    lines += ["", *textwrap.wrap(sentence(e), WIDTH, break_on_hyphens=False), ""]
    o = e.failing
    lines.append("The counterexample on the failing model:")
    lines.extend(trace_text(o, build_trace(o.system, o.result.trace)))
    return "\n".join(ascii_only(x) for x in lines) + "\n"


def explain_svg(e: Explanation) -> str:
    """The counterexample's chart with the fix annotated at the blocked and load-bearing steps."""
    o = e.failing
    notes: dict[int, list[str]] = {}
    lb = e.load_bearing
    if lb is not None:
        notes.setdefault(lb.step, []).append(
            f"fix {e.commit}: {lb.file.rsplit('/', 1)[-1]}:{lb.line} {lb.function}: "
            f"{lb.text}")
    if e.blocked_step:
        notes.setdefault(e.blocked_step, []).append(
            f"x with {e.commit} this step cannot happen ({e.blocked_how})")
    return trace_svg(o, build_trace(o.system, o.result.trace), notes, sentence(e))
