"""``lazycheck``: the command line.  Only this module and report.py print.

Exit codes: 0 PASS, 1 FAIL, 2 bad input, 3 UNKNOWN.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from lazycheck import shrink
from lazycheck.diagnostics import Diagnostic, render_all
from lazycheck.engines.base import Limits
from lazycheck.engines.explicit import export_graph
from lazycheck.errors import ModelError, ReplayError
from lazycheck.kernel.config import Preempt
from lazycheck.lang.check import check_program
from lazycheck.lang.loader import read_models
from lazycheck.report import verify_report
from lazycheck.targets import find_root, load_target, target_names
from lazycheck.verify import EngineDisagreement, run

EXIT_BAD_INPUT = 2


def _fail_input(err: ModelError) -> None:
    click.echo(render_all(err.diagnostics, err.sources), err=True)
    sys.exit(EXIT_BAD_INPUT)


class _Group(click.Group):
    """Usage errors exit 2 (click's default too) with one clear line."""


@click.group(cls=_Group)
@click.version_option(package_name="lazycheck")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Repository with models/ and specs/ (default: found from the cwd).")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """A model checker for the Linux kernel's lazy MMU mode."""
    ctx.obj = find_root(root)


@main.command()
@click.argument("target")
@click.option("--engine", type=click.Choice(["explicit", "bmc", "both", "pdr"]),
              default="explicit", show_default=True,
              help="explicit: BFS (exhausts small spaces fast); bmc: z3 bounded model "
                   "checking, then k-induction for a proof; both: run the two, fail if "
                   "they disagree; pdr: an unbounded proof with z3's Spacer (slow).")
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
           no_timings: bool, graph: Path | None, minimize: bool, full_state: bool,
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
        outcome = run(t, root, cfg, bound, engine, max_states, timeout)
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
        _fail_input(err)
        return
    except ReplayError as err:
        click.echo(f"lazycheck: internal error: a trace did not replay: {err}", err=True)
        sys.exit(4)
    except EngineDisagreement as err:
        click.echo(f"lazycheck: internal error: {err}", err=True)
        sys.exit(4)
    if fmt == "text" and output is None:
        click.echo(verify_report(outcome, engine, timings=not no_timings,
                                 full_state=full_state, minimized_from=minimized_from),
                   nl=False)
    else:
        from lazycheck import cli_review

        cli_review.emit(outcome, engine, fmt, output, not no_timings, full_state,
                        minimized_from)
    if graph is not None:
        nodes, edges = export_graph(outcome.system,
                                    Limits(outcome.bound, max_states, timeout), str(graph))
        click.echo(f"state graph: {nodes:,} states, {edges:,} transitions -> {graph}")
    sys.exit(outcome.exit_code)


@main.command(name="list")
@click.pass_obj
def list_targets(root: Path) -> None:
    """List every target with its arch, API generation and expected verdict."""
    rows = []
    try:
        for name in target_names(root):
            t = load_target(name, root)
            rows.append((t.name, t.arch, t.generation, str(t.expect), t.source))
    except ModelError as err:
        _fail_input(err)
    w = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in
         enumerate(("target", "arch", "api", "expected"))]
    click.echo(f"{'target':<{w[0]}}  {'arch':<{w[1]}}  {'api':<{w[2]}}  "
               f"{'expected':<{w[3]}}  source")
    for r in rows:
        click.echo(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  "
                   f"{r[4]}")


@main.command()
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
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} checked: no errors")



def _register_subcommands() -> None:
    """Commands kept in their own modules: ci (the gate), review tools, the matrix."""
    from lazycheck import cli_ci, cli_matrix

    cli_ci.register(main)
    cli_matrix.register(main)
    __import__("lazycheck.cli_scan").cli_scan.register(main)
    from lazycheck import cli_review

    cli_review.register(main)


_register_subcommands()
