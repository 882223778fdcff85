"""Golden outputs of ``lazycheck scan`` per fixture case.

Regenerate with ``python tests/scan/update_golden.py`` (``make scan-golden-update``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import load_runner

ug = load_runner()


@pytest.mark.parametrize("case", ug.cases())
@pytest.mark.parametrize("fmt", sorted(ug.FORMATS))
def test_golden(case: str, fmt: str) -> None:
    expected = (ug.GOLDEN / f"{case}.{fmt}").read_text(encoding="utf-8")
    assert ug.render(case, fmt) == expected, "run `python tests/scan/update_golden.py`"


@pytest.mark.parametrize("case", ug.cases())
def test_sarif_is_2_1_0_with_known_rules(case: str) -> None:
    text = ug.render(case, "sarif")
    doc = json.loads(text[:text.rindex("exit:")])
    assert doc["version"] == "2.1.0"
    schema = json.loads((Path(__file__).resolve().parent.parent / "schemas"
                         / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    rules = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    for res in doc["runs"][0]["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
