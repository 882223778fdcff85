"""Every target in specs/targets/ checked by both engines (``engine="both"``).

``lazycheck.verify.run(..., engine="both")`` runs the explicit engine and
BMC (with k-induction after a bounded PASS) on the same system and raises
:class:`~lazycheck.verify.EngineDisagreement` if their verdicts or trace
lengths differ.  Here each target must give its expected verdict from both
engines, with no disagreement and no BMC UNKNOWN.

Reduced bounds.  BMC's cost grows about 2-3x per depth on these models
(``make bench`` shows it): on the corpus a PASS target costs ~5-10 s at
depth 4, ~10-30 s at depth 5, ~50 s at depth 6 and minutes at depth 8, while
the explicit engine exhausts the same spaces in under a second.  So the
bound used here is

* FAIL targets: ``min(target bound, depth of the explicit engine's
  counterexample)`` -- the shortest counterexample's depth, so BMC must
  find a counterexample of exactly that length;
* PASS targets: ``min(target bound, PASS_CAP)`` with ``PASS_CAP = 5``: a
  bounded PASS from both engines (neither exhausts nor proves at depth 5);
* a FAIL target whose counterexample is deeper than ``FAIL_CAP = 12`` is
  checked like a PASS target at ``min(PASS_CAP, depth - 1)``: both engines
  must agree on PASS there (its FAIL is then covered by tests/test_corpus.py
  alone).

Targets are collected from the directory at collection time, so a target
added later is checked without touching this file.

Run time: BMC costs 1-120 s per target at these bounds, and the corpus has
grown past 140 targets, so the whole module takes the better part of an
hour on two cores.  ``make test`` runs a fixed sample: the targets whose
name's CRC-32 is divisible by 3 (about a third, chosen by name so that adding
a target never changes whether another is sampled).  ``make corpus-engines``
(``LAZYCHECK_ENGINES_ALL=1``) runs every target.  Every target's expected
verdict from the explicit engine is tests/test_corpus.py's job in the suite;
the engines' agreement on random models is tests/property's.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from lazycheck.outcome import Verdict
from lazycheck.run.verify import run
from lazycheck.targets import load_target, target_names

ROOT = Path(__file__).resolve().parent.parent
ALL_TARGETS = target_names(ROOT)
EVERY_TARGET = os.environ.get("LAZYCHECK_ENGINES_ALL", "") == "1"
TARGETS = [n for n in ALL_TARGETS if EVERY_TARGET or zlib.crc32(n.encode()) % 3 == 0]

PASS_CAP = 5
FAIL_CAP = 12
TIMEOUT_S = 300.0


def reduced_bound(name: str) -> tuple[int, Verdict]:
    """The bound both engines are run at, and the verdict they must give there."""
    target = load_target(name, ROOT)
    if target.expect.verdict == "pass":
        return min(target.bound, PASS_CAP), Verdict.PASS
    explicit = run(target, ROOT, engine="explicit")
    assert explicit.verdict is Verdict.FAIL, f"{name}: explicit {explicit.verdict.value}"
    depth = len(explicit.result.trace)
    if depth <= FAIL_CAP:
        return min(target.bound, depth), Verdict.FAIL
    return min(target.bound, PASS_CAP, depth - 1), Verdict.PASS


def test_corpus_is_not_empty() -> None:
    assert ALL_TARGETS, "specs/targets/ holds no target"
    assert len(TARGETS) * 5 >= len(ALL_TARGETS), "the sample is a fifth of the corpus or more"


@pytest.mark.parametrize("name", TARGETS)
def test_both_engines_agree_on_target(name: str) -> None:
    target = load_target(name, ROOT)
    bound, want = reduced_bound(name)
    # raises EngineDisagreement if verdicts or trace lengths differ
    outcome = run(target, ROOT, bound=bound, engine="both", timeout_s=TIMEOUT_S,
                  bmc_share_s=TIMEOUT_S)
    (bmc,) = outcome.others
    where = f"{name} at bound {bound}"
    assert bmc.verdict is not Verdict.UNKNOWN, f"{where}: bmc UNKNOWN: {bmc.reason}"
    assert outcome.verdict is want, f"{where}: explicit {outcome.verdict.value}"
    assert bmc.verdict is want, f"{where}: bmc {bmc.verdict.value}"
    if want is Verdict.FAIL:
        assert outcome.as_expected, f"{where}: explicit found {outcome.property_id}"
        assert len(bmc.trace) == len(outcome.result.trace) == bound
        bmc_property = outcome.system.violation(bmc.violation_code).property_id
        assert bmc_property in target.config.properties, f"{where}: bmc {bmc_property}"
    else:
        assert not bmc.trace and not outcome.result.trace
