"""``lazycheck sweep`` (a grid of configurations) and ``lazycheck swarm`` (one too-big one).

Both run on dask.distributed: a LocalCluster of ``-j`` workers, or the
cluster behind ``--scheduler tcp://HOST:8786``; the output does not depend
on which.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.kernel.config import Preempt
from lazycheck.run.corpus import GridPoint
from lazycheck.targets import target_names
from lazycheck.views.sweep import SweepCell


def _ints(text: str | None, what: str) -> list[int | None]:
    if not text:
        return [None]
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: a comma-separated list of numbers",
                                 param_hint=what) from None
    if any(x < 1 for x in out):
        raise click.BadParameter(f"{text!r}: counts start at 1", param_hint=what)
    return list(out) or [None]


def _preempts(text: str | None) -> list[str | None]:
    if not text:
        return [None]
    names = [x.strip() for x in text.split(",") if x.strip()]
    known = {p.value for p in Preempt}
    for n in names:
        if n not in known:
            raise click.BadParameter(f"{n!r}: one of {', '.join(sorted(known))}",
                                     param_hint="--preempt")
    return list(names) or [None]


_SCHEDULER = click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
                          help="Run on this dask cluster (default: a LocalCluster of -j "
                               "workers; with -j 1 and no scheduler, in this process).")


def _label(g: GridPoint) -> str:
    """``target[full,2cpu,3t]``: a grid point as the progress line names it."""
    parts = [x for x in (g.preempt, f"{g.cpus}cpu" if g.cpus else None,
                         f"{g.tasks}t" if g.tasks else None) if x]
    return f"{g.target}[{','.join(parts)}]" if parts else g.target


def _status(c: SweepCell) -> str:
    """ok for a verdict (a FAIL is a finding), else UNKNOWN or ERROR."""
    return c.verdict if c.verdict in ("UNKNOWN", "ERROR") else "ok"


def check_labelled(item: tuple[str, GridPoint], root: Path, max_memory: int,
                   timeout_s: float) -> tuple[str, SweepCell]:
    """One grid point's cell, with its progress label (a dask worker runs this)."""
    from lazycheck.run.corpus import check_point
    from lazycheck.views.sweep import cell

    return item[0], check_point(item[1], root, cell, max_memory, timeout_s)


@click.command()
@click.argument("targets", nargs=-1)
@click.option("--preempt", "preempts", default=None, metavar="LIST",
              help="Preemption models, comma-separated (default: each target's own).")
@click.option("--cpus", "cpus", default=None, metavar="LIST", help="CPU counts, e.g. 1,2.")
@click.option("--tasks", "tasks", default=None, metavar="LIST", help="Task counts, e.g. 2,3.")
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Local workers.")
@_SCHEDULER
@click.option("--timeout", type=float, default=600.0, show_default=True,
              help="Seconds per configuration before UNKNOWN.")
@click.option("--timings", is_flag=True, help="Add a time column (not byte-stable).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr: a live line on a terminal, plain lines otherwise.")
@click.pass_obj
def sweep(root: Path, targets: tuple[str, ...], preempts: str | None, cpus: str | None,
          tasks: str | None, jobs: int, scheduler: str | None, timeout: float,
          timings: bool, progress: bool) -> None:
    """Check TARGETS (default: all) in every configuration of the grid; print a table.

    Exit 0 when no configuration is UNKNOWN or ERROR (a FAIL is a finding,
    not an error), 3 otherwise.
    """
    from lazycheck.cli.progress import TargetProgress
    from lazycheck.cli.verify import memory_budget
    from lazycheck.run.corpus import map_ordered
    from lazycheck.views.sweep import text

    names = list(targets) or target_names(root)
    grid = [GridPoint(n, p, c, t) for n, p, c, t in itertools.product(
        names, _preempts(preempts), _ints(cpus, "--cpus"), _ints(tasks, "--tasks"))]
    items = [(_label(g), g) for g in grid]
    prog = TargetProgress("sweep", [label for label, _ in items], sys.stderr,
                          live=sys.stderr.isatty(), enabled=progress)
    with prog:
        done = map_ordered(check_labelled, items,
                           (root, memory_budget(None, max(jobs, 1)), timeout),
                           max(jobs, 1), scheduler,
                           on_done=lambda r: prog.finish(r[0], _status(r[1])),
                           on_start=lambda item: prog.start_target(item[0]))
    cells = [c for _, c in done]
    click.echo(text(cells, timings), nl=False)
    bad = any(c.verdict in ("UNKNOWN", "ERROR") for c in cells)
    sys.exit(ExitCode.UNKNOWN if bad else ExitCode.PASS)


@click.command()
@click.argument("target")
@click.option("-n", "members", type=int, default=8, show_default=True,
              help="Diversified searches (seeds 1..N).")
@click.option("--preempt", type=click.Choice([p.value for p in Preempt]), default=None)
@click.option("--cpus", type=int, default=None)
@click.option("--tasks", type=int, default=None)
@click.option("--bits", type=int, default=24, show_default=True,
              help="log2 of each member's bitstate hash size in bits.")
@click.option("--max-states", type=int, default=5_000_000, show_default=True,
              help="States each member may visit.")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds each member may run.")
@click.option("-j", "--jobs", type=int, default=2, show_default=True, help="Local workers.")
@_SCHEDULER
@click.pass_obj
def swarm(root: Path, target: str, members: int, preempt: str | None, cpus: int | None,
          tasks: int | None, bits: int, max_states: int, timeout: float, jobs: int,
          scheduler: str | None) -> None:
    """N randomised bitstate searches of TARGET in one configuration: NOT exhaustive.

    Exit 1 if some member found a violation (replayed), 3 otherwise: finding
    nothing proves nothing.
    """
    from lazycheck.run.corpus import GridPoint, map_ordered, swarm_one

    point = GridPoint(target, preempt, cpus, tasks)
    runs = map_ordered(swarm_one, list(range(1, max(members, 1) + 1)),
                       (root, point, bits, max_states, timeout), max(jobs, 1), scheduler)
    found = ""
    for r in runs:
        if r.result is None:
            click.echo(f"seed {r.seed:>3}: error: {r.error}")
            continue
        res = r.result
        what = (f"FAIL:{r.property_id} in {len(res.trace)} steps" if res.violation_code
                else f"nothing found ({res.stopped})")
        click.echo(f"seed {r.seed:>3}: {res.states:>10,} states visited, depth {res.max_depth:>4}"
                   f"  {what}")
        found = found or r.property_id
    click.echo(f"\nswarm of {len(runs)} bitstate searches (2^{bits} bits each): NOT exhaustive; "
               + (f"a violation of {found} was found and replayed." if found else
                  "no violation found, which proves nothing about the states not visited."))
    sys.exit(ExitCode.FAIL if found else ExitCode.UNKNOWN)


def register(group: click.Group) -> None:
    """Add sweep and swarm to the command group."""
    group.add_command(sweep)
    group.add_command(swarm)
