"""Regenerate tests/scan/golden/<case>.{txt,json,sarif,inventory}.

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


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    for case in cases():
        for fmt in FORMATS:
            (GOLDEN / f"{case}.{fmt}").write_text(render(case, fmt), encoding="utf-8")
    print(f"wrote {len(cases()) * len(FORMATS)} golden files to {GOLDEN.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
