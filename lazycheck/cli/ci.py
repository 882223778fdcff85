"""``lazycheck ci``: the CI gate on changes to models/ and specs/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.targets import target_names
from lazycheck.views.ci_rows import CiRow


class Progress:
    """Progress on stderr: one live line on a terminal, plain lines otherwise.

    Plain lines come in the order of the target names whatever ``-j`` is: a
    finished target is printed once every target before it has finished, so
    a log is byte-stable.  stdout never carries progress.
    """

    def __init__(self, names: list[str], stream: TextIO, live: bool, enabled: bool) -> None:
        self.names = names
        self.stream = stream
        self.live = live
        self.enabled = enabled
        self.done: dict[str, CiRow] = {}
        self.running: list[str] = []
        self.printed = 0

    def start(self, name: str) -> None:
        self.running.append(name)
        self._draw()

    def finish(self, row: CiRow) -> None:
        self.done[row.target] = row
        if row.target in self.running:
            self.running.remove(row.target)
        if not self.enabled:
            return
        if self.live:
            self._draw()
            return
        while self.printed < len(self.names) and self.names[self.printed] in self.done:
            r = self.done[self.names[self.printed]]
            self.printed += 1
            self.stream.write(f"[{self.printed}/{len(self.names)}] {r.target}: {r.status}\n")
        self.stream.flush()

    def _draw(self) -> None:
        if not (self.enabled and self.live):
            return
        bad = sum(1 for r in self.done.values() if r.status != "ok")
        line = (f"lazycheck ci: {len(self.done)}/{len(self.names)} done"
                f"{f', {bad} not ok' if bad else ''}"
                f"{'; running: ' + ', '.join(self.running) if self.running else ''}")
        width = 100
        self.stream.write("\r\x1b[K" + (line if len(line) <= width else line[:width - 3] + "..."))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@click.command()
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
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
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr: a live line on a terminal, plain lines otherwise.")
@click.argument("targets", nargs=-1)
@click.pass_obj
def ci(root: Path, jobs: int, junit: Path | None, ktap: Path | None, markdown: Path | None,
       sarif: Path | None, changed_since: str | None, progress: bool,
       targets: tuple[str, ...]) -> None:
    """Check every target (or TARGETS) against its expected verdict.

    Exit 0 when every verdict is the expected one, 1 on any mismatch, 2 on bad
    input, 3 when some verdict is UNKNOWN.
    """
    from lazycheck.run.corpus import run_many
    from lazycheck.views import ci_formats
    from lazycheck.views.ci_rows import ci_row

    names = list(targets) or target_names(root)
    if changed_since is not None:
        from lazycheck.run import depgraph

        try:
            names, changed = depgraph.select(root, changed_since, names)
        except depgraph.GitError as err:
            click.echo(f"lazycheck: --changed-since {changed_since}: {err}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        click.echo(f"changed since {changed_since}: {len(changed)} file"
                   f"{'s' if len(changed) != 1 else ''}; {len(names)} target"
                   f"{'s' if len(names) != 1 else ''} depend on them")
    from lazycheck.run.corpus import unit_key, units

    err_stream = sys.stderr
    keys = [unit_key(u, root) for u in units(names, root)]
    prog = Progress(keys, err_stream, live=err_stream.isatty(), enabled=progress)
    try:
        rows = run_many(names, root, ci_row, max(1, jobs), on_done=prog.finish,
                        on_start=prog.start)
    finally:
        prog.close()
    w = max([len("target")] + [len(r.target) for r in rows])
    we = max([len("expected")] + [len(r.expected) for r in rows])
    click.echo(f"{'target':<{w}}  {'expected':<{we}}  {'verdict':<34}  {'states':>9}  status")
    for r in rows:
        got = r.verdict + (f":{r.property_id}" if r.property_id else "")
        click.echo(f"{r.target:<{w}}  {r.expected:<{we}}  {got:<34}  {r.states:>9,}  "
                   f"{r.status}")
    for r in rows:
        if r.status != "ok":
            click.echo(f"\n--- {r.target}: {r.status}\n{r.report.rstrip()}")
    if junit:
        junit.write_text(ci_formats.junit(rows), encoding="utf-8")
    if ktap:
        ktap.write_text(ci_formats.ktap(rows), encoding="utf-8")
    if markdown:
        markdown.write_text(ci_formats.markdown(rows), encoding="utf-8")
    if sarif:
        sarif.write_text(ci_formats.sarif(rows), encoding="utf-8")
    code = exit_code(rows)
    ok = sum(1 for r in rows if r.status == "ok")
    click.echo(f"\n{ok} of {len(rows)} target configurations have their expected verdict")
    sys.exit(code)


def exit_code(rows: list[CiRow]) -> ExitCode:
    """PASS when all matched; BAD_INPUT on any error; FAIL on a mismatch; else UNKNOWN if any."""
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
