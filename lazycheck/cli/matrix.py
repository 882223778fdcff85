"""``lazycheck matrix``: the arch x API-generation table of every target."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.targets import target_names


@click.command()
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
              help="Check this many targets in parallel.")
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the table as Markdown to this file.")
@click.pass_obj
def matrix(root: Path, jobs: int, markdown_file: Path | None) -> None:
    """Check every target and print the arch x API-generation matrix.

    Each cell lists its targets with PASS / FAIL:<property> / VACUOUS /
    UNKNOWN and exhausted or bounded.  Exit 0 when every target has its
    expected verdict, 1 otherwise.
    """
    from lazycheck.run.corpus import run_many
    from lazycheck.views import matrix as mx

    cells = run_many(target_names(root), root, mx.cell, max(1, jobs))
    click.echo(mx.text(cells), nl=False)
    if markdown_file is not None:
        markdown_file.write_text(mx.markdown(cells), encoding="utf-8")
    sys.exit(ExitCode.PASS if all(c.matched for c in cells) else ExitCode.FAIL)


def register(group: click.Group) -> None:
    """Add matrix to the command group."""
    group.add_command(matrix)
