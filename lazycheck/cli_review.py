"""Review tools on the command line: ``lazycheck replay`` and ``verify --format``.

``lazycheck verify TARGET --format itf --output t.itf.json`` saves a
counterexample; ``lazycheck replay t.itf.json`` re-checks it against the
current models and exits 1 if it still fails, 0 if it no longer reproduces
(the fix works), 2 on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.diagnostics import render_all
from lazycheck.engines.base import Verdict
from lazycheck.errors import ModelError
from lazycheck.report import verify_report
from lazycheck.verify import Outcome

FORMATS = ("text", "itf", "svg")
EXIT_BAD_INPUT = 2


def render(o: Outcome, fmt: str, engine: str = "explicit") -> str | None:
    """The counterexample of ``o`` as ITF JSON or SVG; None when there is none."""
    if o.result.verdict is not Verdict.FAIL:
        return None
    if fmt == "itf":
        from lazycheck import itf

        return itf.dumps(itf.to_itf(o, engine))
    if fmt == "svg":
        from lazycheck.svg import trace_svg
        from lazycheck.trace import build_trace

        return trace_svg(o, build_trace(o.system, o.result.trace))
    raise ValueError(fmt)


def emit(o: Outcome, engine: str, fmt: str, output: Path | None, timings: bool,
         full_state: bool, minimized_from: str) -> None:
    """What ``verify`` prints and writes for ``--format`` and ``--output``."""
    text = verify_report(o, engine, timings=timings, full_state=full_state,
                         minimized_from=minimized_from)
    if fmt == "text":
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            click.echo(text.splitlines()[0])
            click.echo(f"report written to {output}")
        return
    doc = render(o, fmt, engine)
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
    from lazycheck import itf

    try:
        text = trace_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"lazycheck: cannot read {trace_file}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        rec = itf.parse(text)
        result = itf.replay(rec, root)
    except itf.ItfError as err:
        click.echo(f"lazycheck: {trace_file}: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except ModelError as err:
        click.echo(render_all(err.diagnostics, err.sources), err=True)
        sys.exit(EXIT_BAD_INPUT)
    for line in itf.describe(rec, result, str(trace_file)):
        click.echo(line)
    sys.exit(result.exit_code)


def register(group: click.Group) -> None:
    group.add_command(replay)
