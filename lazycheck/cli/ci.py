"""``lazycheck ci``: the CI gate on changes to models/ and specs/."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lazycheck.cli import limits
from lazycheck.cli.exitcode import ExitCode
from lazycheck.cli.progress import TargetProgress
from lazycheck.diagnostics import Diagnostic, render_all
from lazycheck.outcome import Progress
from lazycheck.targets import own_targets, target_names
from lazycheck.views.ci_rows import CiRow, budget_row, internal_row

if TYPE_CHECKING:
    from lazycheck.run.corpus import Unit


@click.command()
@click.option("-j", "--jobs", type=limits.SMALL, default=1, show_default=True,
              help="Run this many targets in parallel (the output does not depend on it).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JUnit XML: one test case per target x configuration.")
@click.option("--ktap", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write KTAP (the kernel's test output format).")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a Markdown summary to post on a patch or PR.")
@click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write SARIF 2.1.0: a result at the model line of each target whose "
                   "verdict differs from its expectation (for code scanning).")
@click.option("--changed-since", "changed_since", metavar="REV", default=None,
              help="Run only the targets that depend (TOML, models, #includes, prelude, "
                   "properties) on a file changed since git revision REV.")
@click.option("--budget", type=limits.SECONDS, default=None, metavar="SECONDS",
              help="Overall time budget: each target gets what is left, and targets "
                   "that do not finish in it are UNKNOWN (exit 3).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr: a live line on a terminal, plain lines otherwise.")
@click.option("--max-memory", "max_memory", metavar="SIZE", default=None,
              help="Memory for all workers together (e.g. 8G; default: 3/4 of physical "
                   "memory); a target past its share is UNKNOWN.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
              help="Run on this dask cluster (default: a LocalCluster of -j workers).")
@click.argument("targets", nargs=-1)
@click.pass_obj
def ci(root: Path, jobs: int, junit: Path | None, ktap: Path | None, markdown: Path | None,
       sarif: Path | None, changed_since: str | None, budget: float | None, progress: bool,
       max_memory: str | None, scheduler: str | None, targets: tuple[str, ...]) -> None:
    """Check every target (or TARGETS) against its expected verdict.

    Exit 0 when every verdict is the expected one, 1 on any mismatch, 2 when
    a target does not load (bad input), 3 when some verdict is UNKNOWN, 5 on
    an internal error.  A target that does not load is an ERROR row and the
    run goes on; the reports are written whatever happens.
    """
    from lazycheck.cli.verify import memory_budget

    bad_output = limits.check_writable([junit, ktap, markdown, sarif])
    if bad_output is not None:
        _bad_input("LZC407", f"cannot write {bad_output}",
                   "check the report paths; nothing was run")
    # the gate checks the root's own targets (never the shipped zoo's in a user's directory)
    names = list(targets) or (target_names(root) if own_targets(root) else [])
    changed: set[str] = set()
    if changed_since is not None:
        names, changed = _changed(root, changed_since, names)
    if not names and changed_since is None:
        _bad_input("LZC408", f"no targets selected (none in {root.name}/specs/targets/)",
                   "a gate that checks nothing must not pass; check --root")
    from lazycheck.run.corpus import unit_key, units

    deadline = limits.deadline_in(budget)
    todo = units(names, root)
    keys = [unit_key(u, root) for u in todo]
    prog = TargetProgress("ci", keys, sys.stderr, live=sys.stderr.isatty(),
                          enabled=progress)
    with prog:
        rows = run_budgeted(todo, keys, root, jobs, deadline, prog,
                            memory_budget(max_memory, 1) // max(1, jobs), scheduler)
    from lazycheck.views.ci_rows import ci_table

    click.echo(ci_table(rows))
    touched = frozenset(changed) if changed_since is not None else None
    _write_reports(rows, {"junit": junit, "ktap": ktap, "markdown": markdown,
                          "sarif": sarif}, touched)
    ok = sum(1 for r in rows if r.status == "ok")
    click.echo(f"\n{ok} of {len(rows)} target configurations have their expected verdict")
    sys.exit(exit_code(rows))


def _bad_input(code: str, msg: str, help: str) -> None:
    click.echo(render_all([Diagnostic(code, msg, None, help=help)]), err=True)
    sys.exit(ExitCode.BAD_INPUT)


def _changed(root: Path, rev: str, names: list[str]) -> tuple[list[str], set[str]]:
    """The targets that depend on a file changed since ``rev`` (strictly a revision)."""
    from lazycheck.run import depgraph

    if not rev or rev.startswith("-") or len(rev) > 200 or any(c.isspace() for c in rev):
        _bad_input("LZC408", f"--changed-since {rev[:60]!r} is not a revision",
                   "give a commit, branch or tag, e.g. --changed-since origin/main")
    try:
        picked, changed = depgraph.select(root, rev, names)
    except depgraph.GitError as err:
        _bad_input("LZC408", f"--changed-since {rev}: {str(err)[:300]}",
                   "give a revision git knows")
        raise AssertionError("unreachable") from None
    click.echo(f"changed since {rev}: {len(changed)} file{'s' if len(changed) != 1 else ''}; "
               f"{len(picked)} target{'s' if len(picked) != 1 else ''} depend on them")
    return picked, changed


def check_within(unit: Unit, root: Path, deadline: float | None,
                 progress: Callable[[Progress], None] | None = None, case: str = "",
                 max_memory: int = 0) -> CiRow:
    """One (target, claimed configuration) row, within the wall-clock ``deadline``; runs
    in a worker process too.  ``case`` names the row (``target[config]``).

    Whatever happens, a row comes back: the run goes on after a target that
    does not load (ERROR), outlives the budget (UNKNOWN) or trips a bug in
    lazycheck (ERROR, reported as an internal error).
    """
    from lazycheck.run.corpus import check_one
    from lazycheck.views.ci_rows import ci_row

    name = unit[0]
    left = None if deadline is None else deadline - time.time()
    if left is not None and left <= 0:
        return budget_row(name, root, case)
    try:
        if left is None:
            return check_one(unit, root, ci_row, progress, max_memory)
        with limits.watchdog(left, grace=0.0):
            return check_one(unit, root, ci_row, progress, max_memory)
    except limits.TimeUp:
        return budget_row(name, root, case)
    except Exception as exc:
        return internal_row(name, root, f"{type(exc).__name__}: {str(exc)[:300]}", case)


def check_case(case: tuple[Unit, str], root: Path, deadline: float | None,
               max_memory: int) -> CiRow:
    """:func:`check_within` for one named case, as a dask worker runs it."""
    return check_within(case[0], root, deadline, None, case[1], max_memory)


def run_budgeted(todo: list[Unit], keys: list[str], root: Path, jobs: int,
                 deadline: float | None, prog: TargetProgress, max_memory: int = 0,
                 scheduler: str | None = None) -> list[CiRow]:
    """Rows in the order of ``todo`` (named ``keys``), ``jobs`` at a time (on dask), each
    within ``deadline``."""
    from lazycheck.run.corpus import map_ordered

    if scheduler is None and (jobs <= 1 or len(todo) <= 1):
        rows = []
        for u, k in zip(todo, keys, strict=True):
            prog.start_target(k)
            rows.append(check_within(u, root, deadline, prog.on_engine, k, max_memory))
            prog.finish_row(rows[-1])
        return rows
    cases = list(zip(todo, keys, strict=True))
    return map_ordered(check_case, cases, (root, deadline, max_memory), jobs, scheduler,
                       on_done=prog.finish_row, on_start=lambda c: prog.start_target(c[1]))


def _write_reports(rows: list[CiRow], paths: dict[str, Path | None],
                   touched: frozenset[str] | None) -> None:
    """Every report asked for, even when targets failed to load (checked writable earlier)."""
    from lazycheck.views import ci_formats

    writers: dict[str, Callable[[list[CiRow]], str]] = {
        "junit": ci_formats.junit, "ktap": ci_formats.ktap,
        "markdown": ci_formats.markdown, "sarif": lambda rs: ci_formats.sarif(rs, touched)}
    for kind, path in paths.items():
        if path is None:
            continue
        try:
            path.write_text(writers[kind](rows), encoding="utf-8")
        except OSError as exc:
            click.echo(f"lazycheck: cannot write {path}: {exc.strerror}", err=True)


def exit_code(rows: list[CiRow]) -> ExitCode:
    """INTERNAL_ERROR on a bug; BAD_INPUT on a target that does not load; FAIL on a
    mismatch; UNKNOWN if some verdict is; PASS when every verdict is the expected one."""
    if any(r.internal for r in rows):
        return ExitCode.INTERNAL_ERROR
    if any(r.verdict == "ERROR" for r in rows):
        return ExitCode.BAD_INPUT
    if any(r.verdict != "UNKNOWN" and not r.matched for r in rows):
        return ExitCode.FAIL
    if any(r.verdict == "UNKNOWN" for r in rows):
        return ExitCode.UNKNOWN
    return ExitCode.PASS


def register(group: click.Group) -> None:
    """Add ci to the command group."""
    group.add_command(ci)
