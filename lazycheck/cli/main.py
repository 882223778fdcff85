"""The ``lazycheck`` command group.  Each command group lives in its own module in ``cli/``.

Only ``lazycheck/cli/`` prints or exits; exit codes are :class:`lazycheck.cli.exitcode.ExitCode`.
"""

from __future__ import annotations

from pathlib import Path

import click

from lazycheck.cli import ci, init, matrix, review, scan, verify
from lazycheck.targets import find_root


@click.group()
@click.version_option(package_name="lazycheck")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory with models/ and specs/targets/ (default: the nearest one above "
                   "the cwd with a lazycheck.toml or models/ and specs/, else the shipped "
                   "zoo).")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """A model checker for the Linux kernel's lazy MMU mode."""
    ctx.obj = root.resolve() if root is not None else find_root()


for _module in (verify, ci, review, matrix, scan, init):
    _module.register(main)
