"""``reproduce:`` repeats every flag that shaped the verdict, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli import limits
from lazycheck.cli.main import main

ROOT = Path(__file__).resolve().parent.parent.parent


def _reproduce(*args: str) -> str:
    r = CliRunner().invoke(main, ["--root", str(ROOT), "verify", *args, "--no-timings"])
    return next(x for x in r.stdout.splitlines() if x.startswith("reproduce: "))


def test_a_state_limit_that_was_hit_is_repeated() -> None:
    # verify checks every claimed configuration and shows the first unexpected one
    # (preempt=none, UNKNOWN here): its reproduce line names that configuration
    assert _reproduce("xen-nesting-counter", "--max-states", "5") == \
        "reproduce: lazycheck verify xen-nesting-counter --cpus 2 --tasks 2 --preempt none " \
        "--max-states 5"


def test_a_time_limit_that_was_hit_is_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    # --timeout 0 is rejected (LZC406, issue 9): the smallest accepted limit is hit at once
    # by the engine.  The whole-command watchdog (1 s of grace) is what a loaded machine
    # can reach first, while the target still loads; it is tested on its own
    # (tests/hostile/test_gate.py), so here it is given room: this test is about the
    # reproduce line only.
    monkeypatch.setattr(limits, "GRACE_S", 600.0)
    line = _reproduce("xen-nesting-counter", "--preempt", "none", "--timeout", "0.001")
    assert line == "reproduce: lazycheck verify xen-nesting-counter --cpus 2 --tasks 2 " \
        "--preempt none --timeout 0.001"


def test_a_limit_that_did_not_matter_is_not_repeated() -> None:
    assert _reproduce("xen-nesting-counter", "--max-states", "3000000", "--timeout", "900") \
        == "reproduce: lazycheck verify xen-nesting-counter"


def test_minimize_keeps_the_original_flags() -> None:
    """The shrunk run's configuration is not a flag the user gave: repeat theirs."""
    assert _reproduce("powerpc-hash-preemptible", "--cpus", "3", "--minimize") == (
        "reproduce: lazycheck verify powerpc-hash-preemptible --cpus 3 --tasks 2 "
        "--preempt full --minimize")
