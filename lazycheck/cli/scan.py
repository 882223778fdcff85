"""``lazycheck scan`` and ``lazycheck extract``: kernel C -> findings, inventory, drafts.

Exit codes of ``scan``: 0 clean (notes only), 1 errors or warnings, 2 bad input.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lazycheck.cli.exitcode import ExitCode, for_verdict

if TYPE_CHECKING:
    from lazycheck.scan.diff import Touched
    from lazycheck.scan.scanner import FileScan

ARCHES = ("all", "x86", "x86-xen-pv", "arm64", "powerpc-hash", "powerpc-radix", "sparc64",
          "s390")


def _bad(code: str, where: str, msg: str, help_: str) -> None:
    click.echo(f"{where}: error[{code}]: {msg}\n  help: {help_}", err=True)
    sys.exit(ExitCode.BAD_INPUT)


def _jobs(jobs: int | None) -> int:
    return jobs if jobs is not None else max(1, min(2, os.cpu_count() or 1))


def _review_files(tree: Path, diff_file: Path | None, rev: str | None) -> tuple[
        list[tuple[str, str]], dict[str, Touched]]:
    """The files a patch or a revision range touches, and their Touched records."""
    from lazycheck.scan import diff as df

    try:
        if diff_file is not None:
            text = diff_file.read_text(encoding="utf-8", errors="replace")
        else:
            text = df.git_diff(tree, rev or "")
        touched = df.parse_patch(text)
    except OSError as err:
        _bad("LZS002", str(diff_file), f"cannot read the patch: {err.strerror}",
             "pass a unified diff or a `git format-patch` mail")
        raise
    except df.PatchError as err:
        where = str(diff_file) if diff_file is not None else f"{tree} ({rev})"
        _bad("LZS003", where, str(err),
             "pass a unified diff, or a revision that `git diff` accepts in the -C tree")
        raise
    files: list[tuple[str, str]] = []
    records: dict[str, Touched] = {}
    for t in touched:
        real = tree / t.path
        if real.is_file():
            files.append((t.path, str(real)))
            records[t.path] = t
    return files, records


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--inventory", is_flag=True,
              help="Print the table of every call site and the scenarios that model it.")
@click.option("--diff", "diff_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="PATCH",
              help="Scan only the functions this patch (diff or mail) touches.")
@click.option("--changed-since", "rev", default=None, metavar="REV",
              help="Scan only the functions changed since REV in the -C tree (git diff).")
@click.option("-C", "tree", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The kernel tree for --diff and --changed-since.")
@click.option("--sarif", "fmt", flag_value="sarif", help="SARIF 2.1.0 on stdout.")
@click.option("--json", "fmt", flag_value="json", help="JSON on stdout.")
@click.option("--arch", type=click.Choice(ARCHES), default="all", show_default=True,
              help="Severity for this arch (sleep-in-section is an error only where the "
                   "enter disables preemption; all: the worst arch).")
@click.option("-j", "--jobs", type=int, default=None, help="Parser processes (default 2).")
@click.pass_obj
def scan(root: Path, paths: tuple[Path, ...], inventory: bool, diff_file: Path | None,
         rev: str | None, tree: Path, fmt: str | None, arch: str, jobs: int | None) -> None:
    """Check every lazy MMU section in the C files under PATHS on every path."""
    from lazycheck.scan import inventory as inv
    from lazycheck.scan import scanner
    from lazycheck.views import scan as view

    if diff_file is not None and rev is not None:
        _bad("LZS004", "scan", "--diff and --changed-since exclude each other", "pick one")
    only = None
    if diff_file is not None or rev is not None:
        files, records = _review_files(tree, diff_file, rev)
    else:
        if not paths:
            _bad("LZS001", "scan", "no PATH given", "pass a kernel tree or C files")
        for p in paths:
            if not p.exists():
                _bad("LZS001", str(p), "no such file or directory",
                     "pass a kernel tree or C files")
        files, records = scanner.collect(paths), {}
    scans = scanner.scan_files(files, _jobs(jobs))
    if records:
        only = _only(scans, records)
    result = scanner.combine(scans, only)
    zoo = inv.load_zoo(root)
    cov = inv.inventory(result.callsites, zoo)
    if fmt == "sarif":
        click.echo(view.sarif(result, arch), nl=False)
    elif fmt == "json":
        click.echo(view.as_json(result, arch, cov if (inventory or records) else None),
                   nl=False)
    else:
        if inventory:
            click.echo(view.inventory_text(cov), nl=False)
        click.echo(view.text(result, arch, cov if records else None), nl=False)
    c = view.counts(result, arch)
    sys.exit(ExitCode.FAIL if c["error"] or c["warning"] else ExitCode.PASS)


def _only(scans: list[FileScan], records: dict[str, Touched]) -> dict[str, set[str]]:
    from lazycheck.scan import diff as df

    out: dict[str, set[str]] = {}
    for fs in scans:
        t = records.get(fs.path)
        if t is None:
            continue
        spans = [(r.callsite.function, r.callsite.start, r.callsite.end)
                 for r in fs.results if r.callsite is not None]
        out[fs.path] = df.touched_functions(t, spans)
    return out


def register(group: click.Group) -> None:
    """Add ``scan`` and ``extract`` to the ``lazycheck`` group."""
    group.add_command(scan)
    group.add_command(extract)


def _read_site(site: str) -> tuple[str, bytes, str]:
    """FILE:FUNCTION -> (file, its bytes, function); LZS010/LZS011 on bad input."""
    file, _, function = site.rpartition(":")
    if not file or not function.isidentifier():
        _bad("LZS010", site, "expected FILE:FUNCTION", "e.g. mm/vmalloc.c:vmap_pages_pte_range")
    try:
        return file, Path(file).read_bytes(), function
    except OSError as err:
        _bad("LZS011", file, f"cannot read: {err.strerror}", "pass an existing C file")
        raise


@click.command()
@click.argument("site")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the draft here (default: stdout).")
@click.option("--loop-bound", type=click.IntRange(1, 64), default=2, show_default=True,
              help="The draft's LOOP_BOUND: the most turns each loop runs.")
@click.option("--with", "with_sites", multiple=True, metavar="FILE:FUNCTION",
              help="Also extract this function as a second task that runs concurrently "
                   "(e.g. the code a call site races with).  Repeatable.")
@click.option("--verify", "verify_all", is_flag=True,
              help="Also verify the draft on every arch model the targets combine with its "
                   "API generation (needs -o; like verify --scenario FILE --arch all).")
@click.pass_obj
def extract(root: Path, site: str, output: Path | None, loop_bound: int,
            with_sites: tuple[str, ...], verify_all: bool) -> None:
    """Turn the call site FILE:FUNCTION into a .lazy scenario draft."""
    from lazycheck.scan import extract as ex

    file, data, function = _read_site(site)
    others = tuple(_read_site(w) for w in with_sites)
    try:
        draft = ex.extract(file, data, function, loop_bound, others)
    except ex.ExtractError as err:
        _bad("LZS012", site, str(err), "name a function that uses the lazy MMU API")
        return
    if output is None:
        if verify_all:
            _bad("LZS013", site, "--verify needs the draft in a file", "add -o draft.lazy")
        click.echo(draft.text, nl=False)
        return
    output.write_text(draft.text, encoding="utf-8")
    click.echo(f"{output}: {len(draft.tasks)} task(s), {draft.generation}: "
               f"{' '.join(draft.tasks)}")
    if verify_all:
        sys.exit(verify_scenario(root, output, "all"))


def verify_scenario(root: Path, draft: Path, arch: str, engine: str = "explicit") -> int:
    """Verify a scenario file on each arch model (``all``, or one by name) that targets
    combine with its API generation; one line per run; the exit code of the worst."""
    from lazycheck.errors import ModelError
    from lazycheck.run.draft import verify_draft

    try:
        runs = verify_draft(root, draft, arch, engine)
    except OSError as err:
        _bad("LZS011", str(draft), f"cannot read: {err.strerror}", "pass an existing .lazy file")
    except ModelError as err:
        click.echo(f"{draft}: error[LZS014]: "
                   f"{err.diagnostics[0].message if err.diagnostics else err}", err=True)
        return ExitCode.BAD_INPUT
    if not runs:
        click.echo(f"{draft}: error[LZS015]: no arch model named {arch!r} is combined with "
                   "this scenario's API generation\nhelp: --arch all, or an arch model's "
                   "file name without .lazy", err=True)
        return ExitCode.BAD_INPUT
    worst = 0
    for r in runs:
        verdict = r.outcome.verdict.value + (f":{r.outcome.property_id}"
                                             if r.outcome.property_id else "")
        click.echo(f"{Path(r.arch).stem:<30} {Path(r.api).stem:<17} {r.preempt:<9} "
                   f"{'+'.join(r.tasks):<40} {verdict}")
        worst = max(worst, for_verdict(r.outcome.verdict))  # a draft claims no coverage
    return worst
