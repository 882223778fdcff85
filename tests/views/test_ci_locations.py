"""Where ``ci``'s SARIF results sit, and KTAP skip reasons as single complete lines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.views.ci_formats import _fail_site
from lazycheck.views.ci_rows import CiRow


def _row(**kw: object) -> CiRow:
    base: dict[str, object] = dict(
        target="t", expected="pass", verdict="FAIL", property_id="no-bug", matched=False,
        states=1, depth=1, exhausted=False, elapsed_s=0.0, detail="FAIL", report="FAIL",
        violation_file="models/scenarios/s.lazy", violation_line=9, violation_col=3,
        executed=(("models/scenarios/s.lazy", 2), ("models/arch/a.lazy", 5),
                  ("models/api/g.lazy", 7), ("models/scenarios/s.lazy", 9)))
    base.update(kw)
    return CiRow(**base)  # type: ignore[arg-type]


def test_fail_sits_on_the_last_arch_or_api_line_the_trace_ran() -> None:
    assert _fail_site(_row(), None) == ("models/api/g.lazy", 7, 0)


def test_fail_sits_on_the_statement_that_fired_in_a_model() -> None:
    r = _row(violation_file="models/arch/a.lazy", violation_line=5, violation_col=4)
    assert _fail_site(r, None) == ("models/arch/a.lazy", 5, 4)


def test_fail_sits_in_the_file_the_change_touched() -> None:
    assert _fail_site(_row(), frozenset({"models/arch/a.lazy"})) == ("models/arch/a.lazy", 5, 0)
    assert _fail_site(_row(), frozenset({"models/scenarios/s.lazy"})) == (
        "models/scenarios/s.lazy", 9, 3)


def test_unknown_sits_where_the_value_left_its_range(tmp_path: Path) -> None:
    (tmp_path / "specs" / "targets").mkdir(parents=True)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "arch.lazy").write_text('model arch "a" source "t";\n')
    (tmp_path / "models" / "api.lazy").write_text('model api "a" source "t";\n')
    (tmp_path / "models" / "scen.lazy").write_text(
        'model scenario "s" source "t";\nglobal int<0..1> x = 0;\n'
        'task void t(void) {\n\tx = x + 1;\n\tx = x + 1;\n}\n')
    (tmp_path / "specs" / "targets" / "t.toml").write_text(
        'description = "d"\narch_name = "a"\ngeneration = "G0"\nsource = "s"\n'
        'arch = "arch.lazy"\napi = "api.lazy"\nscenario = "scen.lazy"\n'
        '[kernel]\ncpus = 1\ntasks = ["t"]\n[check]\nbound = 10\n[expect]\n'
        'verdict = "pass"\n[configs]\npreempt = ["full"]\n'
        'narrowed = "one row: the UNKNOWN does not depend on preemption"\n')
    sarif, ktap = tmp_path / "out.sarif", tmp_path / "out.ktap"
    r = CliRunner().invoke(main, ["--root", str(tmp_path), "ci", "--no-progress",
                                  "--sarif", str(sarif), "--ktap", str(ktap)])
    assert r.exit_code == 3, r.output
    res = json.loads(sarif.read_text())["runs"][0]["results"][0]
    assert res["ruleId"] == "unknown-verdict"
    loc = res["locations"][0]["physicalLocation"]
    assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == (
        "models/scen.lazy", 5)
    skip = [x for x in ktap.read_text().splitlines() if "# SKIP" in x]
    assert skip == ["ok 1 t # SKIP verdict UNKNOWN: UNKNOWN the model left its own finite "
                    "bounds: x goes outside int<0..1> (value out of its declared range) "
                    "(models/scen.lazy:5:2); widen the declared range"]
