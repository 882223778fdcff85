"""Regenerate every golden file under tests/golden and tests/bad_input.

Run from anywhere as ``python tests/update_golden.py`` (``make golden-update``).
The tests (tests/test_golden.py, tests/test_bad_input.py) import this module
so that the goldens are produced and checked by the very same runner.

Cases
-----
tests/bad_input/<case>.lazy
    ``lazycheck lint tests/bad_input/<case>.lazy`` unless a ``<case>.cmd``
    exists; ``<case>.expected`` holds its stderr.
tests/bad_input/<case>.cmd
    the arguments after ``lazycheck`` (a directory ``<case>/`` next to it may
    hold a small repository for ``--root``); ``<case>.expected`` holds stderr.
tests/golden/<target>.cmd
    a full command line starting with ``lazycheck``; ``<target>.expected``
    holds stdout and a final line ``exit: N``.  A ``.cmd`` is created for
    every target whose expected verdict is ``fail``.

Every command runs in-process (click's CliRunner) with the repository as the
working directory, so paths in the output are relative and byte-stable.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
BAD_INPUT = REPO / "tests" / "bad_input"
GOLDEN = REPO / "tests" / "golden"
TARGETS = REPO / "specs" / "targets"


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


@contextlib.contextmanager
def in_repo() -> Iterator[None]:
    old = Path.cwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(old)


def run_cli(args: list[str] | tuple[str, ...]) -> Run:
    """``lazycheck ARGS`` in-process, from the repository root."""
    from lazycheck.cli.main import main

    with in_repo():
        res = CliRunner().invoke(main, list(args), catch_exceptions=True)
    exc = res.exception
    if isinstance(exc, SystemExit):
        exc = None
    return Run(tuple(args), res.exit_code, res.stdout, res.stderr, exc)


# ---------------------------------------------------------------- bad input


def bad_input_cases() -> list[str]:
    names = {p.stem for p in BAD_INPUT.glob("*.lazy")} | {p.stem for p in
                                                          BAD_INPUT.glob("*.cmd")}
    return sorted(names)


def bad_input_args(case: str) -> list[str]:
    cmd = BAD_INPUT / f"{case}.cmd"
    if cmd.is_file():
        return shlex.split(cmd.read_text(encoding="utf-8"))
    return ["lint", f"tests/bad_input/{case}.lazy"]


def run_bad_input(case: str) -> Run:
    return run_cli(bad_input_args(case))


def bad_input_expected(run: Run) -> str:
    return run.stderr


# ---------------------------------------------------------------- golden traces


def fail_targets() -> list[str]:
    out = []
    for p in sorted(TARGETS.glob("*.toml")):
        with contextlib.suppress(tomllib.TOMLDecodeError, OSError):
            data = tomllib.loads(p.read_text(encoding="utf-8"))
            expect = data.get("expect", {})
            if isinstance(expect, dict) and expect.get("verdict") == "fail":
                out.append(p.stem)
    return out


def golden_cases() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.cmd"))


def golden_args(case: str) -> list[str]:
    words = shlex.split((GOLDEN / f"{case}.cmd").read_text(encoding="utf-8"))
    if not words or words[0] != "lazycheck":
        raise ValueError(f"tests/golden/{case}.cmd must start with 'lazycheck'")
    return words[1:]


def run_golden(case: str) -> Run:
    return run_cli(golden_args(case))


def golden_expected(run: Run) -> str:
    return f"{run.stdout}exit: {run.exit_code}\n"


# ---------------------------------------------------------------- explain and mail

EXPLAIN = GOLDEN / "explain"
EXPLAIN_PAIRS = REPO / "tests" / "explain" / "pairs.txt"
MAIL = GOLDEN / "mail"


def explain_pairs() -> list[tuple[str, str]]:
    """The FAIL/fix pairs of the zoo listed in tests/explain/pairs.txt."""
    out = []
    for line in EXPLAIN_PAIRS.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out.append((words[0], words[1]))
    return out


def run_explain(fail: str, fix: str) -> Run:
    return run_cli(["explain", fail, "--against", fix])


def mail_cases() -> list[str]:
    return sorted(p.stem for p in MAIL.glob("*.cmd"))


def run_mail(case: str) -> Run:
    words = shlex.split((MAIL / f"{case}.cmd").read_text(encoding="utf-8"))
    return run_cli(words[1:])


def _update_explain_and_mail() -> int:
    changed = 0
    EXPLAIN.mkdir(parents=True, exist_ok=True)
    runs = [(EXPLAIN / f"{f}.expected", run_explain(f, p)) for f, p in explain_pairs()]
    runs += [(MAIL / f"{c}.expected", run_mail(c)) for c in mail_cases()]
    for path, r in runs:
        if r.exception is not None:
            raise RuntimeError(f"{path.name}: crashed: {r.exception!r}")
        if _write(path, golden_expected(r)):
            changed += 1
            print(f"updated {path.relative_to(REPO)}")
    return changed


# ---------------------------------------------------------------- update


def _write(path: Path, text: str) -> bool:
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main() -> int:
    changed = 0
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for target in fail_targets():
        cmd = GOLDEN / f"{target}.cmd"
        if not cmd.is_file():
            cmd.write_text(f"lazycheck verify {target} --no-timings\n", encoding="utf-8")
            print(f"created {cmd.relative_to(REPO)}")
    for case in golden_cases():
        r = run_golden(case)
        if r.exception is not None:
            print(f"tests/golden/{case}: crashed: {r.exception!r}", file=sys.stderr)
            return 1
        if _write(GOLDEN / f"{case}.expected", golden_expected(r)):
            changed += 1
            print(f"updated tests/golden/{case}.expected")
    for case in bad_input_cases():
        r = run_bad_input(case)
        if r.exception is not None or r.exit_code != 2:
            print(f"tests/bad_input/{case}: exit {r.exit_code}, {r.exception!r}",
                  file=sys.stderr)
            return 1
        if _write(BAD_INPUT / f"{case}.expected", bad_input_expected(r)):
            changed += 1
            print(f"updated tests/bad_input/{case}.expected")
    changed += _update_explain_and_mail()
    print(f"{changed} golden file{'s' if changed != 1 else ''} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
