"""Golden counterexample traces of every target expected to FAIL.

``tests/golden/<target>.cmd`` holds the command line, ``<target>.expected``
its stdout plus ``exit: N``.  Regenerate with ``make golden-update``.
"""

from __future__ import annotations

import pytest
import update_golden as ug  # tests/ is on sys.path (pytest's default import mode)

CASES = ug.golden_cases()


def test_every_fail_target_has_a_golden_trace() -> None:
    missing = sorted(set(ug.fail_targets()) - set(CASES))
    assert missing == [], f"run `make golden-update` to add goldens for {missing}"


@pytest.mark.parametrize("case", CASES)
def test_golden_command_is_timing_free(case: str) -> None:
    args = ug.golden_args(case)
    assert "--no-timings" in args
    assert not any(a.startswith("/") for a in args)


@pytest.mark.parametrize("case", CASES)
def test_golden_trace(case: str) -> None:
    run = ug.run_golden(case)
    assert run.exception is None, f"{case} crashed: {run.exception!r}"
    assert "Traceback" not in run.stdout + run.stderr
    got = ug.golden_expected(run)
    expected = (ug.GOLDEN / f"{case}.expected").read_text(encoding="utf-8")
    assert got == expected, f"{case}: output differs; run `make golden-update`?"
    assert str(ug.REPO) not in got


@pytest.mark.parametrize("case", CASES)
def test_golden_is_a_fail_with_a_trace(case: str) -> None:
    expected = (ug.GOLDEN / f"{case}.expected").read_text(encoding="utf-8")
    lines = expected.splitlines()
    assert lines[0].startswith("FAIL  ")
    assert lines[-1] == "exit: 1"
    assert any(line.startswith("Shortest counterexample (") for line in lines)
