"""``lazycheck export --promela TARGET``: a target's transition system for another checker."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.errors import LazycheckError, ModelError
from lazycheck.kernel.config import Preempt


@click.command()
@click.argument("target")
@click.option("--promela", "fmt", flag_value="promela", default=True,
              help="Promela for SPIN (the only format so far).")
@click.option("--cpus", type=int, default=None, help="Override the target's CPU count.")
@click.option("--tasks", type=int, default=None, help="Override the task count.")
@click.option("--preempt", type=click.Choice([p.value for p in Preempt]), default=None,
              help="Override the preemption model.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of stdout.")
@click.pass_obj
def export(root: Path, target: str, fmt: str, cpus: int | None, tasks: int | None,
           preempt: str | None, output: Path | None) -> None:
    """Write TARGET's transition system (its own config unless overridden) as Promela."""
    from lazycheck.cli.verify import fail_input
    from lazycheck.run.verify import build
    from lazycheck.targets import load_target
    from lazycheck.views.promela import promela

    try:
        t = load_target(target, root)
        cfg = t.config.overridden(cpus, tasks, preempt)
        _, system = build(t, root, cfg)
    except ModelError as err:
        fail_input(err)
        return
    except LazycheckError as err:
        click.echo(f"lazycheck export: {err}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    text = promela(system, f"{t.name}: {cfg.cpus} CPUs x {cfg.ntasks} tasks, "
                           f"preempt={cfg.preempt.value} ({fmt})")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def register(group: click.Group) -> None:
    """Add ``export`` to the command group."""
    group.add_command(export)
