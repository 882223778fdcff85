"""The exit codes of every command: one enum, documented in README.md."""

from __future__ import annotations

import enum

from lazycheck.outcome import Outcome, Verdict


class ExitCode(enum.IntEnum):
    """What a lazycheck process tells its caller."""

    PASS = 0  # every check passed (ci: every target has its expected verdict)
    FAIL = 1  # a property failed, a PASS was vacuous (ci: some verdict differs)
    BAD_INPUT = 2  # a malformed model or target, an unknown name, a limit out of range
    UNKNOWN = 3  # a time, state or memory limit was hit, or the solver gave up
    ENGINES_DISAGREE = 4  # two engines gave different answers: a bug in one of them
    INTERNAL_ERROR = 5  # a bug in lazycheck: please report it


_BY_VERDICT = {Verdict.PASS: ExitCode.PASS, Verdict.FAIL: ExitCode.FAIL,
               Verdict.UNKNOWN: ExitCode.UNKNOWN}


def for_verdict(verdict: Verdict) -> ExitCode:
    """The exit code of a single verdict."""
    return _BY_VERDICT[verdict]


def for_outcome(o: Outcome) -> ExitCode:
    """The exit code of ``verify``: a vacuous PASS fails."""
    return ExitCode.FAIL if o.vacuous else for_verdict(o.verdict)
