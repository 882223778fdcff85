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


@click.command()
@click.argument("site")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the draft here (default: stdout).")
@click.option("--loop-bound", type=int, default=1, show_default=True,
              help="Extra iterations each loop may run on a path (unrolling bound).")
@click.option("--max-paths", type=int, default=8, show_default=True,
              help="At most this many distinct paths (one task program each).")
@click.option("--verify", "verify_all", is_flag=True,
              help="Also verify every task of the draft on every arch model the targets "
                   "combine with its API generation (needs -o).")
@click.pass_obj
def extract(root: Path, site: str, output: Path | None, loop_bound: int, max_paths: int,
            verify_all: bool) -> None:
    """Turn the call site FILE:FUNCTION into a .lazy scenario draft."""
    from lazycheck.scan import extract as ex

    file, _, function = site.rpartition(":")
    if not file or not function.isidentifier():
        _bad("LZS010", site, "expected FILE:FUNCTION", "e.g. mm/vmalloc.c:vmap_pages_pte_range")
    try:
        data = Path(file).read_bytes()
    except OSError as err:
        _bad("LZS011", file, f"cannot read: {err.strerror}", "pass an existing C file")
        return
    try:
        draft = ex.extract(file, data, function, max(0, loop_bound), max(1, max_paths))
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
        sys.exit(_verify_draft(root, output, draft.tasks, draft.generation))


def _verify_draft(root: Path, draft: Path, tasks: tuple[str, ...], generation: str) -> int:
    """Verify each task on each arch model of the generation; print one line per run."""
    from lazycheck.errors import ModelError
    from lazycheck.kernel.config import KernelConfig, Preempt
    from lazycheck.properties import DEFAULT_PROPERTIES
    from lazycheck.run.verify import run
    from lazycheck.scan.inventory import arch_models
    from lazycheck.targets import Expectation, Target

    worst = 0
    for arch, api, preempt in arch_models(root, generation):
        for task in tasks:
            t = Target(f"draft-{task}", draft, "extracted draft", Path(arch).stem, generation,
                       str(draft), (root / "models" / arch, root / "models" / api,
                                    draft.resolve()),
                       KernelConfig(1, (task,), Preempt(preempt),
                                    properties=tuple(DEFAULT_PROPERTIES)),
                       60, Expectation("pass"))
            try:
                out = run(t, root, max_states=200_000, timeout_s=120.0)
            except ModelError as err:
                click.echo(f"{draft}: error[LZS014]: {arch} + {api}: "
                           f"{err.diagnostics[0].message if err.diagnostics else err}",
                           err=True)
                return ExitCode.BAD_INPUT
            verdict = out.verdict.value + (f":{out.property_id}" if out.property_id else "")
            click.echo(f"{Path(arch).stem:<30} {Path(api).stem:<17} {preempt:<9} {task:<34} "
                       f"{verdict}")
            worst = max(worst, for_verdict(out.verdict))  # a draft claims no coverage
    return worst
