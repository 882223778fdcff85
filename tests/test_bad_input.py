"""Broken inputs give exact, stable diagnostics; every LZC code is reachable.

Each case under tests/bad_input/ is run through the CLI (see
tests/update_golden.py for the case layout) and its stderr is compared byte
for byte with ``<case>.expected``.  Regenerate with ``make golden-update``.
"""

from __future__ import annotations

import re

import pytest
import update_golden as ug  # tests/ is on sys.path (pytest's default import mode)

from lazycheck.diagnostics import CODES
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig
from lazycheck.lang.check import check_program
from lazycheck.lang.parser import parse

CASES = ug.bad_input_cases()
_CODE = re.compile(r"error\[(LZC\d{3})\]")

# Codes that no input can produce through the CLI, each with the API test that
# produces it instead.
API_ONLY = {"LZC405": "test_lzc405_unknown_property_through_the_api",
            # a file over the size cap is too big to keep in tests/bad_input/
            "LZC014": "tests/hostile/test_hostile.py: model-big, toml-huge",
            # only without numba installed (verify --compiled)
            "LZC411": "tests/engines/test_compiled_cli.py: test_lzc411_without_numba"}


def test_there_are_cases() -> None:
    assert len(CASES) >= len(CODES) - len(API_ONLY) - 1


@pytest.mark.parametrize("case", CASES)
def test_case_matches_golden(case: str) -> None:
    run = ug.run_bad_input(case)
    assert run.exception is None, f"{case} crashed: {run.exception!r}"
    assert "Traceback" not in run.stdout + run.stderr
    assert run.exit_code == 2, f"{case}: exit {run.exit_code}"
    assert run.stdout == "", "diagnostics go to stderr only"
    expected = (ug.BAD_INPUT / f"{case}.expected").read_text(encoding="utf-8")
    assert run.stderr == expected, f"{case}: stderr differs; run `make golden-update`?"


@pytest.mark.parametrize("case", CASES)
def test_case_is_named_after_a_code_it_produces(case: str) -> None:
    """Pins the naming rule: ``lzcNNN_...`` produces LZCNNN (so coverage is honest)."""
    expected = (ug.BAD_INPUT / f"{case}.expected").read_text(encoding="utf-8")
    code = case.split("_", 1)[0].upper()
    assert code in CODES
    assert code in _CODE.findall(expected)


@pytest.mark.parametrize("case", CASES)
def test_case_output_has_no_absolute_path(case: str) -> None:
    expected = (ug.BAD_INPUT / f"{case}.expected").read_text(encoding="utf-8")
    assert str(ug.REPO) not in expected
    assert not re.search(r"(^|\s)/\w", expected)


def _produced_by_cases() -> set[str]:
    out: set[str] = set()
    for case in CASES:
        out.update(_CODE.findall(
            (ug.BAD_INPUT / f"{case}.expected").read_text(encoding="utf-8")))
    return out


def test_every_code_is_produced() -> None:
    produced = _produced_by_cases() | set(API_ONLY)
    missing = sorted(set(CODES) - produced)
    assert missing == [], f"no bad-input case produces {missing}"


def test_lzc303_is_produced() -> None:
    """Pins LZC303 (interrupt-only or task-only construct in the wrong context)."""
    assert "LZC303" in _produced_by_cases()


def test_api_only_codes_really_cannot_come_from_cases() -> None:
    """If a case starts producing an API-only code, move it out of API_ONLY."""
    assert not set(API_ONLY) & _produced_by_cases()


def test_lzc405_unknown_property_through_the_api() -> None:
    """LZC405 is unreachable from the CLI: targets.py rejects an unknown property
    as LZC402 before the world sees it.  instantiate() reports it itself."""
    from lazycheck.kernel.world import instantiate

    text = ('model scenario "t" source "tests";\n'
            "task void t(void)\n{\n}\n")
    mf, diags = parse(text, "t.lazy")
    assert diags == []
    prog, cdiags = check_program([mf])
    assert prog is not None, cdiags
    with pytest.raises(ModelError) as ei:
        instantiate(prog, KernelConfig(cpus=1, tasks=("t",), properties=("no-such-prop",)))
    codes = [d.code for d in ei.value.diagnostics]
    assert codes == ["LZC405"]
    assert "no-such-prop" in ei.value.diagnostics[0].message
