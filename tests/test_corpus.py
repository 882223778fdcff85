"""The CI gate: every target in specs/targets/ has its expected verdict.

Targets are collected from the directory when the tests are collected, so a
target added later is checked without touching this file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import readme_matrix

from lazycheck.outcome import Outcome, Verdict
from lazycheck.run.verify import run
from lazycheck.targets import Target, load_target, target_names
from lazycheck.views import matrix

ROOT = Path(__file__).resolve().parent.parent
TARGETS = target_names(ROOT)
# every configuration each target claims (docs/targets.md): (target, claim index)
UNITS = [(n, i, c.label) for n in TARGETS
         for i, c in enumerate(load_target(n, ROOT).claims)]


def test_corpus_is_not_empty() -> None:
    assert TARGETS, "specs/targets/ holds no target"
    assert sorted(p.stem for p in (ROOT / "specs" / "targets").glob("*.toml")) == TARGETS


@pytest.mark.parametrize(("name", "claim"), [u[:2] for u in UNITS],
                         ids=[f"{n}[{label}]" for n, _, label in UNITS])
def test_target_has_expected_verdict(name: str, claim: int) -> None:
    target = load_target(name, ROOT)
    config = target.claims[claim].config
    outcome = run(target, ROOT, config, engine="explicit")
    expect = target.expect_for(config)
    detail = outcome.result.reason or outcome.property_id
    if expect.verdict == "pass":
        assert outcome.verdict is Verdict.PASS, f"{name}: {outcome.verdict.value} {detail}"
    else:
        assert outcome.verdict is Verdict.FAIL, f"{name}: {outcome.verdict.value} {detail}"
        assert outcome.property_id == expect.property
        assert outcome.result.trace, "a FAIL carries a counterexample"
    assert outcome.as_expected
    readme_shows(target, claim, outcome)


@cache
def place(name: str) -> tuple[str, str]:
    """Target ``name``'s (arch, API generation): its cell of the README's grid."""
    t = load_target(name, ROOT)
    return t.arch, t.generation


def readme_shows(target: Target, claim: int, outcome: Outcome) -> None:
    """models/README.md's matrix shows exactly this run (tests/readme_matrix.py)."""
    readme = readme_matrix.read()
    c = matrix.cell(target.name, ROOT, outcome)
    column = matrix.PREEMPT_MODELS.index(matrix.column(c))
    same = [i for i, cl in enumerate(target.claims) if cl.config.preempt.value == c.preempt]
    entries = readme.columns(target.name)[column]
    assert entries[same.index(claim)] == matrix.config_entry(c), readme_matrix.STALE
    if c.primary:
        assert (target.name, matrix.own_row(c)) in readme.own, readme_matrix.STALE
        here = [n for n in TARGETS if place(n) == (c.arch, c.generation)]
        cell = readme.grid_cell(c.arch, c.generation)
        assert cell[here.index(target.name)] == matrix.grid_entry(c, {}), readme_matrix.STALE
