"""``lazycheck sweep`` shows progress on stderr, one plain line per grid point, never on stdout."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lazycheck.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_sweep_progress_lines_on_stderr_in_grid_order() -> None:
    """Not a terminal: a plain line per finished point, in grid order; the table on stdout."""
    res = CliRunner().invoke(main, ["--root", str(ROOT), "sweep", "sparc64-preemptible",
                                    "--preempt", "none,full"])
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == ["[1/2] sparc64-preemptible[none]: ok",
                                       "[2/2] sparc64-preemptible[full]: ok"]
    assert "[1/2]" not in res.stdout
    assert "FAIL:no-deferred-write-outside-section" in res.stdout


def test_sweep_no_progress_is_silent() -> None:
    """--no-progress: nothing on stderr."""
    res = CliRunner().invoke(main, ["--root", str(ROOT), "sweep", "sparc64-preemptible",
                                    "--preempt", "none", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
