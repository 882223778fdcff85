"""``lazycheck ci``: the CI gate on changes to models/ and specs/."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.targets import target_names


@click.command()
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
              help="Run this many targets in parallel.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JUnit XML: one test case per target.")
@click.option("--ktap", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write KTAP (the kernel's test output format).")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a Markdown summary to post on a patch or PR.")
@click.argument("targets", nargs=-1)
@click.pass_obj
def ci(root: Path, jobs: int, junit: Path | None, ktap: Path | None, markdown: Path | None,
       targets: tuple[str, ...]) -> None:
    """Check every target (or TARGETS) against its expected verdict.

    Exit 0 when every verdict is the expected one, 1 on any mismatch, 2 on bad
    input, 3 when some verdict is UNKNOWN.
    """
    from lazycheck import ci_formats
    from lazycheck.ci import exit_code, run_all

    names = list(targets) or target_names(root)
    rows = run_all(names, root, max(1, jobs))
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
    code = exit_code(rows)
    ok = sum(1 for r in rows if r.status == "ok")
    click.echo(f"\n{ok} of {len(rows)} targets have their expected verdict")
    sys.exit(code)


def register(group: click.Group) -> None:
    group.add_command(ci)
