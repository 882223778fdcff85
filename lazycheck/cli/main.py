"""The ``lazycheck`` command group.  Each command group lives in its own module in ``cli/``.

Only ``lazycheck/cli/`` prints or exits; exit codes are :class:`lazycheck.cli.exitcode.ExitCode`.
Whatever a command lets escape ends here (:class:`Guarded`): bad input still
as its diagnostics (exit 2), the whole-command time limit as UNKNOWN (exit
3), and anything else as "internal error, please report" (exit 5) -- never
a traceback and never an exit code that reads as a verdict.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from lazycheck.cli import ci, explain, export, init, matrix, proof, review, scan, sweep, verify
from lazycheck.cli.exitcode import ExitCode
from lazycheck.cli.limits import TimeUp
from lazycheck.diagnostics import Diagnostic, render_all
from lazycheck.errors import ModelError
from lazycheck.targets import find_root, is_root


def internal_error(exc: BaseException) -> None:
    """Print the "please report" message for an unexpected exception and exit 5."""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    click.echo(f"lazycheck: internal error, please report: {type(exc).__name__}: "
               f"{str(exc)[:300]}{at}", err=True)
    sys.exit(ExitCode.INTERNAL_ERROR)


STDOUT_CLOSED = 141
"""Exit status when the reader of stdout went away (``| head``): 128 + SIGPIPE, as a shell
reports a C tool killed by SIGPIPE.  Not a verdict, and not an internal error."""


def stdout_closed() -> None:
    """The reader of stdout is gone: end quietly, with no traceback and no flush error."""
    try:  # later flushes (at interpreter exit too) must not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file descriptor (tests): nothing is flushed at exit
    sys.exit(STDOUT_CLOSED)


class Guarded(click.Group):
    """A command group whose commands can end only with a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn what escapes it into a diagnostic or an exit code."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except ModelError as err:
            click.echo(render_all(err.diagnostics, err.sources), err=True)
            sys.exit(ExitCode.BAD_INPUT)
        except TimeUp as err:
            click.echo(f"lazycheck: UNKNOWN: {err} for the whole command (--timeout)",
                       err=True)
            sys.exit(ExitCode.UNKNOWN)
        except BrokenPipeError:
            stdout_closed()
        except RecursionError:
            click.echo(render_all([Diagnostic(
                "LZC005", "input nested too deeply", None,
                help="see the input limits in README.md")]), err=True)
            sys.exit(ExitCode.BAD_INPUT)
        except Exception as exc:
            internal_error(exc)


def _root(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    """``--root``: an existing directory with a lazycheck.toml or specs/targets and models/."""
    if value is None:
        return find_root(None)
    if not value.is_dir() or not is_root(value):
        raise click.BadParameter(f"error[LZC408]: {str(value)[:200]} is not a directory "
                                 "with a lazycheck.toml or specs/targets/ and models/ "
                                 "(`lazycheck init DIR` makes one)", ctx, param)
    return value.resolve()


@click.group(cls=Guarded)
@click.version_option(package_name="lazycheck")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              callback=_root,
              help="Directory with models/ and specs/targets/ (default: the nearest one above "
                   "the cwd with a lazycheck.toml or models/ and specs/, else the shipped "
                   "zoo).")
@click.pass_context
def main(ctx: click.Context, root: Path) -> None:
    """A model checker for the Linux kernel's lazy MMU mode."""
    ctx.obj = root


for _module in (verify, ci, review, matrix, scan, explain, proof, export, sweep, init):
    _module.register(main)
