"""``lazycheck verify``, ``list`` and ``lint``: one target, the catalogue, one model file."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode, for_outcome
from lazycheck.diagnostics import Diagnostic, render_all
from lazycheck.engines import DEFAULT_ENGINE, ENGINE_CHOICES, engine_help
from lazycheck.errors import ModelError, ReplayError
from lazycheck.kernel.config import Preempt
from lazycheck.lang.check import check_program
from lazycheck.lang.loader import read_models
from lazycheck.outcome import Limits
from lazycheck.run import shrink
from lazycheck.run.verify import EngineDisagreement, run
from lazycheck.targets import load_target, target_names
from lazycheck.views.report import verify_report


def memory_budget(text: str | None, workers: int = 1) -> int:
    """Bytes for ``--max-memory`` (the machine's default share when not given)."""
    from lazycheck.engines.memory import default_budget, parse_size

    if text is None:
        return default_budget(workers)
    try:
        return parse_size(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a size such as 512M or 16G",
                                 param_hint="--max-memory") from None


def fail_input(err: ModelError) -> None:
    """Print the diagnostics of bad input and exit 2."""
    click.echo(render_all(err.diagnostics, err.sources), err=True)
    sys.exit(ExitCode.BAD_INPUT)


@click.command()
@click.argument("target")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=DEFAULT_ENGINE,
              show_default=True, help=engine_help())
@click.option("--cpus", type=int, default=None, help="Override the target's CPU count.")
@click.option("--tasks", type=int, default=None,
              help="Override the task count (task programs are reused in order).")
@click.option("--preempt", type=click.Choice([p.value for p in Preempt]), default=None,
              help="Override the preemption model.")
@click.option("--bound", type=int, default=None, help="Override the depth bound.")
@click.option("--max-states", type=int, default=2_000_000, show_default=True,
              help="Give up with UNKNOWN beyond this many states.")
@click.option("--timeout", type=float, default=600.0, show_default=True,
              help="Give up with UNKNOWN after this many seconds.")
@click.option("--max-memory", "max_memory", metavar="SIZE", default=None,
              help="Give up with UNKNOWN past this resident memory (e.g. 4G; default: 3/4 "
                   "of physical memory).")
@click.option("--no-timings", is_flag=True, help="Omit times (byte-stable output).")
@click.option("--graph", "graph", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the reachable state graph as GraphML.")
@click.option("--minimize", is_flag=True,
              help="On FAIL, retry with fewer tasks, CPUs and interrupts while the same "
                   "property fails, and show that trace.")
@click.option("--full-state", is_flag=True,
              help="Show every state change, not only the cone of influence.")
@click.option("--format", "fmt", type=click.Choice(["text", "itf", "svg"]), default="text",
              show_default=True,
              help="text: the report; itf: the counterexample as ITF JSON (Apalache/Quint, "
                   "for `lazycheck replay`); svg: a message sequence chart.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the --format output to this file (the text report still goes to "
                   "stdout).")
@click.pass_obj
def verify(root: Path, target: str, engine: str, cpus: int | None, tasks: int | None,
           preempt: str | None, bound: int | None, max_states: int, timeout: float,
           max_memory: str | None, no_timings: bool, graph: Path | None, minimize: bool,
           full_state: bool,
           fmt: str, output: Path | None) -> None:
    """Check TARGET and print its verdict, coverage and any counterexample."""
    try:
        t = load_target(target, root)
        cfg = t.config
        if cpus is not None:
            cfg = dataclasses.replace(cfg, cpus=cpus)
        if tasks is not None:
            progs = t.config.tasks
            cfg = dataclasses.replace(cfg, tasks=tuple(progs[i % len(progs)]
                                                       for i in range(max(tasks, 0))))
        if preempt is not None:
            cfg = dataclasses.replace(cfg, preempt=Preempt(preempt))
        outcome = run(t, root, cfg, bound, engine, max_states, timeout,
                      max_memory=memory_budget(max_memory))
        minimized_from = ""
        if minimize:
            shrunk = shrink.minimize(outcome, lambda c, p: run(
                t, root, c, bound, "explicit", max_states, timeout, program=p))
            if shrunk.changed:
                minimized_from = shrunk.original.describe()
                if shrunk.dropped:
                    minimized_from += "; without the section " + "; ".join(shrunk.dropped)
                outcome = shrunk.outcome
    except ModelError as err:
        fail_input(err)
        return
    except ReplayError as err:
        click.echo(f"lazycheck: internal error: a trace did not replay: {err}", err=True)
        sys.exit(ExitCode.ENGINES_DISAGREE)
    except EngineDisagreement as err:
        click.echo(f"lazycheck: internal error: {err}", err=True)
        sys.exit(ExitCode.ENGINES_DISAGREE)
    if fmt == "text" and output is None:
        click.echo(verify_report(outcome, timings=not no_timings,
                                 full_state=full_state, minimized_from=minimized_from),
                   nl=False)
    else:
        from lazycheck.cli import review

        review.emit(outcome, fmt, output, not no_timings, full_state,
                        minimized_from)
    if graph is not None:
        from lazycheck.engines.explicit import export_graph

        nodes, edges = export_graph(outcome.system,
                                    Limits(outcome.bound, max_states, timeout), str(graph))
        click.echo(f"state graph: {nodes:,} states, {edges:,} transitions -> {graph}")
    sys.exit(for_outcome(outcome))


@click.command(name="list")
@click.pass_obj
def list_targets(root: Path) -> None:
    """List every target with its arch, API generation and expected verdict."""
    rows = []
    try:
        for name in target_names(root):
            t = load_target(name, root)
            rows.append((t.name, t.arch, t.generation, str(t.expect), t.source))
    except ModelError as err:
        fail_input(err)
    w = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in
         enumerate(("target", "arch", "api", "expected"))]
    click.echo(f"{'target':<{w[0]}}  {'arch':<{w[1]}}  {'api':<{w[2]}}  "
               f"{'expected':<{w[3]}}  source")
    for r in rows:
        click.echo(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  "
                   f"{r[4]}")


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def lint(root: Path, files: tuple[Path, ...]) -> None:
    """Parse and check model FILES together; exit 2 on any error, 0 when clean."""
    parsed, sources, diags = read_models(list(files), Path.cwd())
    all_diags: list[Diagnostic] = list(diags)
    if not diags:
        _, cdiags = check_program(parsed)
        all_diags.extend(cdiags)
    if all_diags:
        click.echo(render_all(all_diags, sources), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} checked: no errors")


def register(group: click.Group) -> None:
    """Add verify, list and lint to the command group."""
    group.add_command(verify)
    group.add_command(list_targets)
    group.add_command(lint)
