"""``lazycheck verify``, ``list`` and ``lint``: one target, the catalogue, one model file."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import click

from lazycheck import ir
from lazycheck.cli import limits
from lazycheck.cli.exitcode import ExitCode, for_outcome
from lazycheck.cli.progress import EngineProgress
from lazycheck.diagnostics import Diagnostic, render_all
from lazycheck.engines import DEFAULT_ENGINE, ENGINE_CHOICES, engine_help
from lazycheck.errors import ModelError, ReplayError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.lang.check import check_program
from lazycheck.lang.loader import load, read_models
from lazycheck.lang.patch import read_patch
from lazycheck.outcome import DEFAULT_MAX_STATES, DEFAULT_TIMEOUT_S, Limits, Outcome, Progress
from lazycheck.run import shrink
from lazycheck.run import verify as verify_run
from lazycheck.run.verify import EngineDisagreement, run
from lazycheck.targets import Target, load_target, target_names
from lazycheck.views.report import config_table, verify_report


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
@click.argument("target", required=False)
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Instead of a target: verify this scenario file (e.g. an extracted "
                   "draft, every task at once) on the arch models of --arch.")
@click.option("--arch", default="all", show_default=True,
              help="With --scenario: 'all' arch models the targets combine with the "
                   "scenario's API generation, or one arch model's name.")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=DEFAULT_ENGINE,
              show_default=True, help=engine_help())
@click.option("--cpus", type=limits.SMALL, default=None, help="Override the target's CPU count.")
@click.option("--tasks", type=limits.SMALL, default=None,
              help="Override the task count (task programs are reused in order).")
@click.option("--preempt", type=click.Choice([p.value for p in Preempt]), default=None,
              help="Override the preemption model.")
@click.option("--irqs", type=click.IntRange(min=0), default=None,
              help="Override how many interrupts may arrive (0: interrupts off).")
@click.option("--bound", type=limits.BOUND, default=None, help="Override the depth bound.")
@click.option("--preemptions", type=click.IntRange(min=0), default=None,
              help="Check only behaviours with at most this many involuntary context "
                   "switches (docs/proofs.md); the verdict names the bound.")
@click.option("--interrupts", type=click.IntRange(min=0), default=None,
              help="Check only behaviours with at most this many interrupt arrivals.")
@click.option("--max-states", type=limits.STATES, default=DEFAULT_MAX_STATES, show_default=True,
              help="Give up with UNKNOWN beyond this many states.")
@click.option("--timeout", type=limits.SECONDS, default=DEFAULT_TIMEOUT_S, show_default=True,
              callback=limits.arm,
              help="Give up with UNKNOWN after this many seconds (the whole command, "
                   "trace choice and --minimize included).")
@click.option("--max-memory", "max_memory", metavar="SIZE", default=None,
              help="Give up with UNKNOWN past this resident memory (e.g. 4G; default: 3/4 "
                   "of physical memory).")
@click.option("-j", "--workers", type=limits.SMALL, default=1, show_default=True,
              help="Processes (threads in the compiled search) for one explicit search (a "
                   "parallel BFS, reduced by symmetry as -j 1 is; same verdict, state count "
                   "and trace as -j 1).")
@click.option("--symmetry/--no-symmetry", default=True, show_default=True,
              help="Explicit engine: search one state per orbit of the CPU/task renamings "
                   "checked to be symmetries of the model (none found: no reduction).")
@click.option("--compiled/--no-compiled", default=None,
              help="Explicit engine: run the search as compiled code (numba and LLVM), or "
                   "never; same verdict, state count and trace either way.  Default: past "
                   "100k states, if numba is installed.")
@click.option("--no-timings", is_flag=True, help="Omit times (byte-stable output).")
@click.option("--graph", "graph", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the reachable state graph as GraphML.")
@click.option("--minimize", is_flag=True,
              help="On FAIL, retry with fewer tasks, CPUs and interrupts while the same "
                   "property fails, and show that trace.")
@click.option("--full-state", is_flag=True,
              help="Show every state change, not only the cone of influence.")
@click.option("--format", "fmt", type=click.Choice(["text", "itf", "svg", "mail"]),
              default="text", show_default=True,
              help="text: the report; itf: the counterexample as ITF JSON (Apalache/Quint, "
                   "for `lazycheck replay`); svg: a message sequence chart; mail: the report "
                   "at 72 columns for a commit message or an LKML reply.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the --format output to this file (the text report still goes to "
                   "stdout).")
@click.option("--patch", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Apply this unified diff to the target's model files (in memory; "
                   "paths relative to models/) before checking.")
@click.option("--all-configs", is_flag=True,
              help="Check every preemption model (and interrupts off/on) beyond the claimed "
                   "configurations, and print the verdict matrix.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr (engine, depth, states, states/s, elapsed): a live "
                   "line on a terminal, a plain line every 10 s otherwise.")
@click.option("--parametric", is_flag=True,
              help="Prove the target for every number of CPUs and tasks (a universally "
                   "quantified invariant; docs/proofs.md), or show why not.")
@click.pass_obj
def verify(root: Path, target: str | None, scenario: Path | None, arch: str, engine: str,
           cpus: int | None, tasks: int | None,
           preempt: str | None, irqs: int | None, bound: int | None,
           preemptions: int | None, interrupts: int | None, max_states: int, timeout: float,
           max_memory: str | None, workers: int, no_timings: bool, graph: Path | None,
           minimize: bool,
           full_state: bool, fmt: str, output: Path | None, patch: Path | None,
           all_configs: bool, progress: bool, symmetry: bool,
           parametric: bool = False, compiled: bool | None = None) -> None:
    """Check TARGET (a name or a path to its .toml) in every configuration it claims;
    print the verdict, coverage and any counterexample, and a verdict per configuration.
    With --scenario FILE instead: one verdict per arch model."""
    target = _scenario_mode(root, target, scenario, arch, engine)
    if parametric:
        from lazycheck.cli.parametric import verify_parametric
        verify_parametric(root, target, preempt, timeout, no_timings)
    if compiled:
        _need_numba()
    unwritable = limits.check_writable([output, graph])
    if unwritable is not None:
        fail_input(ModelError([Diagnostic("LZC407", f"cannot write {unwritable}", None,
                                          help="check the output path before the run")]))
    prog = EngineProgress(f"verify {target}", sys.stderr, live=sys.stderr.isatty(),
                          enabled=progress)
    try:
        memory = memory_budget(max_memory)
        with prog:
            t = load_target(target, root)
            single = _override(t, cpus, tasks, preempt, irqs)
            configs = (single,) if single is not None else \
                verify_run.all_configs(t) if all_configs else tuple(c.config for c in t.claims)
            program = _patched(t, root, patch)
            outcomes = tuple(run(t, root, c, bound, engine, max_states, timeout,
                                 program=program, progress=prog, preemptions=preemptions,
                                 interrupts=interrupts, max_memory=memory,
                                 symmetry=symmetry, workers=workers, compiled=compiled)
                             for c in configs)
            outcome, minimized_from = _shown(outcomes), ""
            if minimize:
                outcome, minimized_from = _minimize(outcome, t, root, bound, max_states,
                                                    timeout, prog, preemptions, interrupts,
                                                    memory)
    except ModelError as err:
        fail_input(err)
        return
    except ReplayError as err:
        click.echo(f"lazycheck: internal error, please report: a trace did not replay: "
                   f"{err}", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
    except EngineDisagreement as err:
        click.echo(f"lazycheck: internal error: {err}", err=True)
        sys.exit(ExitCode.ENGINES_DISAGREE)
    _emit(outcome, outcomes, fmt, output, no_timings, full_state, minimized_from, all_configs)
    if graph is not None:
        from lazycheck.engines.explicit import export_graph

        nodes, edges = export_graph(outcome.system,
                                    Limits(outcome.bound, max_states, timeout), str(graph))
        click.echo(f"state graph: {nodes:,} states, {edges:,} transitions -> {graph}")
    sys.exit(for_outcome(outcome))


def _need_numba() -> None:
    """``--compiled`` without numba: a coded error (exit 2), not an ImportError."""
    from lazycheck.engines.compiled import available

    if not available():
        fail_input(ModelError([Diagnostic("LZC411", "--compiled needs numba, which is not "
                                          "installed", None,
                                          help="numba is a dependency of lazycheck: pip install "
                                               "numba (or 'lazycheck[compiled]'), or drop "
                                               "--compiled")]))


def _scenario_mode(root: Path, target: str | None, scenario: Path | None, arch: str,
                   engine: str) -> str:
    """``verify --scenario FILE``: verify it on the arch models and exit; else the target."""
    if scenario is None and target is not None:
        return target
    from lazycheck.cli.scan import verify_scenario

    if scenario is None:
        fail_input(ModelError([Diagnostic("LZC401", "verify needs a TARGET or --scenario "
                                          "FILE", None, help="lazycheck list shows the "
                                          "targets")]))
        return ""
    sys.exit(verify_scenario(root, scenario, arch, engine))


def _override(t: Target, cpus: int | None, tasks: int | None, preempt: str | None,
              irqs: int | None) -> KernelConfig | None:
    """The one configuration --cpus/--tasks/--preempt/--irqs ask for, if any is given."""
    if cpus is None and tasks is None and preempt is None and irqs is None:
        return None
    return t.config.overridden(cpus, tasks, preempt, irqs)


def _patched(t: Target, root: Path, patch: Path | None) -> ir.Program | None:
    """``--patch``: the target's models with the unified diff applied in memory."""
    if patch is None:
        return None
    return load(list(t.models), root, read_patch(patch, root / "models")).program


def _shown(outcomes: tuple[Outcome, ...]) -> Outcome:
    """The outcome the report shows: the first claimed one that is unexpected, else the
    target's own configuration's, else the first."""
    t = outcomes[0].target
    bad = [o for o in outcomes if t.claim_for(o.config) is not None and not o.as_expected]
    own = [o for o in outcomes if o.config == t.config]
    return (bad or own or list(outcomes))[0]


def _minimize(outcome: Outcome, t: Target, root: Path, bound: int | None, max_states: int,
              timeout: float, progress: Callable[[Progress], None],
              preemptions: int | None, interrupts: int | None,
              max_memory: int = 0) -> tuple[Outcome, str]:
    """``--minimize``: the shrunk outcome and what it was shrunk from."""
    shrunk = shrink.minimize(outcome, lambda c, p: run(
        t, root, c, bound, "explicit", max_states, timeout, program=p, progress=progress,
        preemptions=preemptions, interrupts=interrupts, max_memory=max_memory))
    if not shrunk.changed:
        return outcome, ""
    minimized_from = shrunk.original.describe()
    if shrunk.dropped:
        minimized_from += "; without the section " + "; ".join(shrunk.dropped)
    # reproduce: the original flags and --minimize, not the shrunk configuration's
    return dataclasses.replace(shrunk.outcome,
                               args=(*outcome.args, "--minimize")), minimized_from


def _emit(outcome: Outcome, outcomes: tuple[Outcome, ...], fmt: str, output: Path | None,
          no_timings: bool, full_state: bool, minimized_from: str, all_configs: bool) -> None:
    if fmt == "text" and output is None:
        click.echo(verify_report(outcome, timings=not no_timings,
                                 full_state=full_state, minimized_from=minimized_from),
                   nl=False)
    else:
        from lazycheck.cli import review

        review.emit(outcome, fmt, output, not no_timings, full_state,
                    minimized_from)
    if (len(outcomes) > 1 or all_configs) and (fmt == "text" or output is not None):
        # the table follows the text report; a --format on stdout stays machine-readable
        click.echo("\n" + config_table(outcomes, "all configurations" if all_configs
                                       else "configurations"), nl=False)


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
    click.echo(_list_text(rows), nl=False)


def _list_text(rows: list[tuple[str, str, str, str, str]]) -> str:
    """The catalogue within 100 columns: one row per target, its source on the line below."""
    table = [(name, f"{arch}/{api}", exp, src) for name, arch, api, exp, src in rows]
    w = [max([len(h)] + [len(r[i]) for r in table]) for i, h in
         enumerate(("target", "arch/api"))]
    out = [f"{'target':<{w[0]}} {'arch/api':<{w[1]}} expected (source below)"]
    for name, aa, exp, src in table:
        out.append(f"{name:<{w[0]}} {aa:<{w[1]}} {exp}")
        out.append(f"    {src if len(src) <= 96 else src[:93] + '...'}")
    return "\n".join(out) + "\n"


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def lint(root: Path, files: tuple[Path, ...]) -> None:
    """Parse and check model FILES together; exit 2 on any error, 0 when clean."""
    parsed, sources, diags = read_models(list(files), Path.cwd())
    all_diags: list[Diagnostic] = list(diags)
    if not diags:
        _, cdiags = check_program(parsed, lint=True)
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
