"""Regenerate tests/scan/golden/<case>.{txt,json,sarif,inventory}, the extracted draft of
every fixture call site (golden/drafts/<case>.<function>.lazy) and their verdicts on
every arch model (golden/drafts.verdicts: ``verify --scenario DRAFT --arch all``).

Run ``python tests/scan/update_golden.py`` (``make scan-golden-update``).

Each case is a directory of tests/scan/fixtures (a tiny kernel-shaped tree,
written for the tests).  Every command runs in-process with the fixtures
directory as the working directory, so paths are relative and byte-stable.
tests/scan/test_golden.py imports :func:`render` so the goldens are produced
and checked by the very same runner.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
REPO = HERE.parent.parent
FORMATS = {"txt": (), "json": ("--json",), "sarif": ("--sarif",),
           "inventory": ("--inventory",)}


def cases() -> list[str]:
    """Every fixture case, sorted."""
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def render(case: str, fmt: str) -> str:
    """Stdout of ``lazycheck scan CASE [format]`` plus a final ``exit: N`` line."""
    from lazycheck.cli.main import main

    old = Path.cwd()
    os.chdir(FIXTURES)
    try:
        res = CliRunner().invoke(main, ["--root", str(REPO), "scan", "-j", "1",
                                        *FORMATS[fmt], case])
    finally:
        os.chdir(old)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.stdout + f"exit: {res.exit_code}\n"


DRAFTS = GOLDEN / "drafts"


def sites() -> list[tuple[str, str]]:
    """Every fixture call site as (path relative to fixtures/, function), in scan order."""
    from lazycheck.scan import scanner

    old = Path.cwd()
    os.chdir(FIXTURES)
    try:
        result = scanner.combine(scanner.scan_files(scanner.collect([Path(c)
                                                                     for c in cases()])))
    finally:
        os.chdir(old)
    return [(c.path, c.function) for c in result.callsites]


def _invoke(args: list[str]) -> tuple[str, int]:
    from lazycheck.cli.main import main

    old = Path.cwd()
    os.chdir(FIXTURES)
    try:
        res = CliRunner().invoke(main, ["--root", str(REPO), *args])
    finally:
        os.chdir(old)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.stdout, res.exit_code


def draft_name(path: str, function: str) -> str:
    """golden/drafts/<case>.<function>.lazy"""
    return f"{path.split('/')[0]}.{function}.lazy"


def render_draft(path: str, function: str) -> str:
    """``lazycheck extract PATH:FUNCTION`` (stdout: the draft)."""
    return _invoke(["extract", f"{path}:{function}"])[0]


def render_verdicts(path: str, function: str) -> str:
    """``lazycheck verify --scenario DRAFT --arch all`` of the golden draft, with its exit."""
    out, code = _invoke(["verify", "--scenario",
                         str(DRAFTS / draft_name(path, function)), "--arch", "all"])
    return f"== {path}:{function}\n{out}exit: {code}\n"


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    for case in cases():
        for fmt in FORMATS:
            (GOLDEN / f"{case}.{fmt}").write_text(render(case, fmt), encoding="utf-8")
    DRAFTS.mkdir(exist_ok=True)
    every = sites()
    for path, fn in every:
        (DRAFTS / draft_name(path, fn)).write_text(render_draft(path, fn), encoding="utf-8")
    verdicts = "".join(render_verdicts(path, fn) for path, fn in every)
    (GOLDEN / "drafts.verdicts").write_text(verdicts, encoding="utf-8")
    print(f"wrote {len(cases()) * len(FORMATS) + len(every) + 1} golden files to "
          f"{GOLDEN.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
