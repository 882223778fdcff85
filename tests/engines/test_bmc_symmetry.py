"""Symmetry breaking in BMC (engines/bmc_symmetry.py) never changes a verdict or a length."""

from __future__ import annotations

from pathlib import Path

import pytest

from lazycheck.engines.bmc import BmcEncoding, BmcEngine
from lazycheck.engines.bmc_symmetry import first_actions
from lazycheck.outcome import Limits, Verdict
from lazycheck.run.verify import build
from lazycheck.system import System
from lazycheck.targets import load_target
from tests.engines.test_bmc import lost_update

ROOT = Path(__file__).resolve().parents[2]


def _system(name: str) -> System:
    t = load_target(name, ROOT)
    return build(t, ROOT, t.config)[1]


def test_two_tasks_of_one_program_start_with_the_first() -> None:
    """x86-native-g3: two tasks run one program; T1 is never switched in first."""
    system = _system("x86-native-g3")
    keep = first_actions(system)
    assert keep is not None
    names = {system.actions[a].name for a in keep}
    assert "switch@cpu0:idle0->T0" in names and "switch@cpu0:idle0->T1" not in names


def test_no_roles_no_constraint() -> None:
    assert first_actions(lost_update()) is None


@pytest.mark.parametrize(("encoding", "name", "bound", "want"), [
    # (no FAIL target has a task symmetry that the check keeps since Xen's were rejected)
    (BmcEncoding.STEP, "x86-native-g3", 4, Verdict.PASS),
    (BmcEncoding.STEP, "copy-pte-range-sparc64-eb61ad14c459", 4, Verdict.PASS),
    (BmcEncoding.CONTEXT, "x86-native-g3", 3, Verdict.PASS),
], ids=lambda v: v.value if isinstance(v, BmcEncoding | Verdict) else str(v))
def test_verdicts_unchanged(encoding: BmcEncoding, name: str, bound: int,
                            want: Verdict) -> None:
    system = _system(name)
    got = [BmcEngine(encoding=encoding, micro=4).check(
        system, Limits(bound, timeout_s=300.0, symmetry=on)) for on in (True, False)]
    assert [r.verdict for r in got] == [want, want]
    assert len(got[0].trace) == len(got[1].trace)
