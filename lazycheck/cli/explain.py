"""``lazycheck explain FAIL_TARGET --against FIX``: the step of the fix that blocks the bug."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.diagnostics import render_all
from lazycheck.errors import ModelError
from lazycheck.outcome import Verdict


@click.command()
@click.argument("target")
@click.option("--against", "against", required=True, metavar="FIXED_TARGET|PATCH",
              help="The fix: a target whose models carry it, or a patch (git diff or git "
                   "format-patch) to apply to models/ and specs/ for the same target.")
@click.option("--format", "fmt", type=click.Choice(["text", "svg"]), default="text",
              show_default=True, help="text: the report; svg: the counterexample's chart "
                                      "with the fix annotated.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the output to this file instead of stdout.")
@click.pass_obj
def explain(root: Path, target: str, against: str, fmt: str, output: Path | None) -> None:
    """Replay TARGET's counterexample on the fixed models and name the load-bearing step.

    Exit 0 when the fix blocks the counterexample (the report names the
    statement of the fix that does), 1 when it still reproduces, 2 on bad
    input (TARGET does not fail, an unknown target, a patch that does not
    apply).
    """
    from lazycheck.run import explain as ex
    from lazycheck.run.verify import run
    from lazycheck.targets import load_target
    from lazycheck.views.explain import explain_svg, explain_text

    try:
        t = load_target(target, root)
        failing = run(t, root)
        if failing.verdict is not Verdict.FAIL:
            click.echo(f"lazycheck: {target} does not fail ({failing.status}): there is no "
                       "counterexample to explain", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        patch = Path(against)
        if patch.suffix in (".patch", ".diff") or (patch.is_file() and
                                                   patch.suffix != ".toml"):
            e = ex.explain_patch(failing, t, root, patch)
        else:
            e = ex.explain(failing, load_target(against, root), root)
    except ModelError as err:
        click.echo(render_all(err.diagnostics, err.sources), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except ex.ExplainError as err:
        click.echo(f"lazycheck: {err}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    doc = explain_text(e) if fmt == "text" else explain_svg(e)
    if output is None:
        click.echo(doc, nl=False)
    else:
        output.write_text(doc, encoding="utf-8")
        click.echo(f"{fmt} written to {output}")
    sys.exit(ExitCode.PASS if e.blocked_step else ExitCode.FAIL)


def register(group: click.Group) -> None:
    """Add explain to the command group."""
    group.add_command(explain)
