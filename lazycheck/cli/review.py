"""Review tools on the command line: ``lazycheck replay`` and ``verify --format``.

``lazycheck verify TARGET --format itf --output t.itf.json`` saves a
counterexample; ``lazycheck replay t.itf.json`` re-checks it against the
current models and exits 1 if it still fails, 0 if it no longer reproduces
(the fix works), 2 on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.diagnostics import render_all
from lazycheck.errors import ModelError
from lazycheck.outcome import Outcome, Verdict
from lazycheck.views.report import verify_report

if TYPE_CHECKING:
    from lazycheck.run.replay import Recorded, ReplayResult


def render(o: Outcome, fmt: str) -> str | None:
    """ITF JSON or SVG of the counterexample (None when there is none), or the mail text."""
    if fmt == "mail":
        from lazycheck.views.mail import mail_text

        return mail_text(o)
    if o.result.verdict is not Verdict.FAIL:
        return None
    if fmt == "itf":
        from lazycheck.views import itf

        return itf.dumps(itf.to_itf(o))
    if fmt == "svg":
        from lazycheck.views.svg import trace_svg
        from lazycheck.views.trace import build_trace

        return trace_svg(o, build_trace(o.system, o.result.trace))
    raise ValueError(fmt)


def emit(o: Outcome, fmt: str, output: Path | None, timings: bool,
         full_state: bool, minimized_from: str) -> None:
    """What ``verify`` prints and writes for ``--format`` and ``--output``."""
    text = verify_report(o, timings=timings, full_state=full_state,
                         minimized_from=minimized_from)
    if fmt == "text":
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            click.echo(text.splitlines()[0])
            click.echo(f"report written to {output}")
        return
    doc = render(o, fmt)
    if output is not None or doc is None:
        click.echo(text, nl=False)
    if doc is None:
        click.echo(f"lazycheck: {o.verdict.value}: no counterexample, no {fmt} trace written",
                   err=True)
        return
    if output is None:
        click.echo(doc, nl=False)
    else:
        output.write_text(doc, encoding="utf-8")
        click.echo(f"{fmt} trace written to {output}")


@click.command()
@click.argument("trace_file", metavar="FILE.itf.json",
                type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def replay(root: Path, trace_file: Path) -> None:
    """Re-check a saved ITF counterexample against the current models.

    Rebuilds the system for the recorded target and kernel configuration,
    maps each recorded action name to the current models' action and steps
    through the concrete semantics.  Exit 1 if it still ends in a violation,
    0 if it no longer reproduces (the fix works), 2 on bad input.
    """
    from lazycheck import confine
    from lazycheck.diagnostics import Diagnostic
    from lazycheck.run import replay as rp

    try:
        text = confine.read_text(trace_file, str(trace_file)[:200], confine.MAX_TRACE_BYTES)
        rec = rp.parse(text)
        result = rp.replay(rec, root)
    except rp.ItfError as err:
        code = "LZC410" if isinstance(err, rp.TraceMismatch) else "LZC409"
        click.echo(render_all([Diagnostic(code, f"{str(trace_file)[:200]}: {err}", None,
                                          help="replay a trace written by `lazycheck verify "
                                               "--format itf`, unedited")]), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except ModelError as err:
        click.echo(render_all(err.diagnostics, err.sources), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    for line in describe(rec, result, str(trace_file)):
        click.echo(line)
    sys.exit(ExitCode.FAIL if result.reproduces else ExitCode.PASS)


def describe(rec: Recorded, r: ReplayResult, path: str) -> list[str]:
    """What a reviewer reads after ``lazycheck replay``."""
    lines = [f"replay   {path}: target {rec.target}, {rec.config.describe()}, "
             f"{len(rec.actions)} steps"]
    if r.changed_models:
        lines.append("models   changed since the trace was saved: " + ", ".join(r.changed_models))
    else:
        lines.append("models   unchanged since the trace was saved")
    if r.reproduces and r.same:
        lines.append(f"STILL FAILS  {r.property_id}: {r.message} (after {r.steps} steps, the "
                     "same violation as recorded)")
    elif r.reproduces:
        lines.append(f"STILL FAILS  {r.property_id}: {r.message} (after {r.steps} steps; "
                     f"recorded: {rec.property_id}: {rec.message})")
    else:
        lines.append(f"NO LONGER REPRODUCES  {r.reason}")
        lines.append(f"         recorded: {rec.property_id}: {rec.message}")
        lines.append(f"         confirm with: lazycheck verify {rec.target}")
    return lines


def register(group: click.Group) -> None:
    """Add replay to the command group."""
    group.add_command(replay)
