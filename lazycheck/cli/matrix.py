"""``lazycheck matrix``: the arch x API-generation table of every target."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.cli.progress import TargetProgress
from lazycheck.targets import target_names


@click.command()
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
              help="Check this many targets in parallel.")
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the table as Markdown to this file.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr: a live line on a terminal, plain lines otherwise.")
@click.pass_obj
def matrix(root: Path, jobs: int, markdown_file: Path | None, progress: bool) -> None:
    """Check every target and print the arch x API-generation matrix.

    Each cell lists its targets with PASS / FAIL:<property> / VACUOUS /
    UNKNOWN and exhausted or bounded.  Exit 0 when every target has its
    expected verdict, 1 otherwise.
    """
    from lazycheck.run.corpus import run_many
    from lazycheck.views import matrix as mx

    names = target_names(root)
    prog = TargetProgress("matrix", names, sys.stderr, live=sys.stderr.isatty(),
                          enabled=progress)
    with prog:
        cells = run_many(names, root, mx.cell, max(1, jobs), on_start=prog.start_target,
                         on_done=lambda c: prog.finish(c.target, "ok" if c.matched
                                                       else "UNEXPECTED"),
                         on_progress=prog.on_engine)
    click.echo(mx.text(cells), nl=False)
    if markdown_file is not None:
        markdown_file.write_text(mx.markdown(cells), encoding="utf-8")
    sys.exit(ExitCode.PASS if all(c.matched for c in cells) else ExitCode.FAIL)


def register(group: click.Group) -> None:
    """Add matrix to the command group."""
    group.add_command(matrix)
