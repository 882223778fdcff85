"""A closed stdout (``lazycheck ... | head -1``) ends quietly: no traceback, no internal error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lazycheck.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]


def test_verify_into_a_closed_pipe_ends_quietly() -> None:
    """The reader goes away; lazycheck says nothing on stderr and exits 141."""
    # the reader is gone before the verdict is printed (a pipe buffer would hide a late close)
    with subprocess.Popen([sys.executable, "-m", "lazycheck", "verify", "powerpc-hash-preemptible",
                           "--no-timings"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.close()  # `| head -0`
        err = p.stderr.read().decode()
        code = p.wait(timeout=120)
    assert "Traceback" not in err and "internal error" not in err and "Exception" not in err
    assert code == cli_main.STDOUT_CLOSED


def test_broken_pipe_in_a_command_is_not_an_internal_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process: a BrokenPipeError escaping a command exits 141, with nothing printed."""
    def broken(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(click, "echo", broken)
    r = CliRunner().invoke(cli_main.main, ["list"])
    assert r.exit_code == cli_main.STDOUT_CLOSED
    assert "internal error" not in r.output
