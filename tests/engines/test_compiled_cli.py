"""``verify --compiled`` from the CLI: LZC411 without numba, the same report with it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import update_golden as ug  # tests/update_golden.py: the goldens' one runner

from lazycheck.engines import compiled


def test_lzc411_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the [compiled] extra, --compiled is a coded error (exit 2), not a traceback."""
    monkeypatch.setattr(compiled, "available", lambda: False)
    run = ug.run_cli(["verify", "xen-nesting-counter", "--compiled", "--no-progress"])
    assert run.exception is None and run.exit_code == 2
    assert "error[LZC411]" in run.stderr and "lazycheck[compiled]" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.skipif(not compiled.available(), reason="numba is not installed")
def test_same_report_compiled() -> None:
    """A FAIL target's whole report (verdict, counts, trace) is byte for byte the same."""
    args = ["verify", "xen-nesting-counter", "--no-progress", "--no-timings", "--no-symmetry"]
    plain, fast = ug.run_cli(args), ug.run_cli([*args, "--compiled"])
    assert fast.exception is None and fast.exit_code == plain.exit_code == 1
    assert fast.stdout == plain.stdout


@pytest.mark.skipif(not compiled.available(), reason="numba is not installed")
def test_same_report_forced_either_way() -> None:
    """``--compiled``, ``--no-compiled`` and the default print the same report (with
    symmetry, the default), on a FAIL and a PASS target."""
    for target in ("xen-nesting-counter", "kasan-populate-pause-s390"):
        args = ["verify", target, "--no-progress", "--no-timings"]
        runs = [ug.run_cli(a) for a in (args, [*args, "--compiled"],
                                        [*args, "--no-compiled", "-j", "2"])]
        assert all(r.exception is None for r in runs)
        assert len({(r.exit_code, r.stdout) for r in runs}) == 1
