"""The command line, through click's CliRunner: exit codes and outputs."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from lazycheck.cli.main import main
from lazycheck.targets import target_names

ROOT = Path(__file__).resolve().parent.parent.parent


def invoke(*args: str, cwd: Path = ROOT) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


def test_verify_fail_target_exits_1() -> None:
    r = invoke("verify", "xen-nesting-counter", "--no-timings")
    assert r.exit_code == 1, r.output
    assert r.stdout.startswith("FAIL  no-bug: ")
    assert "(as expected)" in r.stdout
    assert "reproduce: lazycheck verify xen-nesting-counter\n" in r.stdout
    assert " s\n" not in r.stdout.split("covered", 1)[1].split("\n", 1)[0] + "\n"


def test_verify_with_timings_shows_seconds() -> None:
    r = invoke("verify", "xen-nesting-counter")
    covered = next(line for line in r.stdout.splitlines() if line.startswith("covered"))
    assert covered.endswith(" s")


def test_verify_overrides_show_in_config_and_reproduce() -> None:
    r = invoke("verify", "xen-nesting-counter", "--no-timings", "--preempt", "none",
               "--cpus", "1", "--bound", "30")
    assert r.exit_code in (0, 1, 3)
    assert "config   1 CPU x 2 tasks, preempt=none, bound 30" in r.stdout
    assert ("reproduce: lazycheck verify xen-nesting-counter --cpus 1 --tasks 2 "
            "--preempt none --bound 30") in r.stdout


def test_verify_state_limit_exits_3() -> None:
    r = invoke("verify", "xen-nesting-counter", "--no-timings", "--max-states", "5")
    assert r.exit_code == 3
    assert r.stdout.startswith("UNKNOWN  state limit of 5 reached")


def test_verify_unknown_target_exits_2() -> None:
    r = invoke("verify", "no-such-target")
    assert r.exit_code == 2
    assert "error[LZC401]: unknown target 'no-such-target'" in r.stderr
    assert r.stdout == ""


def _mini_root(tmp_path: Path, scenario: str) -> Path:
    (tmp_path / "specs" / "targets").mkdir(parents=True)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "arch.lazy").write_text('model arch "a" source "t";\n')
    (tmp_path / "models" / "api.lazy").write_text('model api "a" source "t";\n')
    (tmp_path / "models" / "scen.lazy").write_text(scenario)
    (tmp_path / "specs" / "targets" / "t.toml").write_text(
        'description = "d"\narch_name = "a"\ngeneration = "G0"\nsource = "s"\n'
        'arch = "arch.lazy"\napi = "api.lazy"\nscenario = "scen.lazy"\n'
        '[kernel]\ncpus = 1\ntasks = ["t"]\n[check]\nbound = 10\n[expect]\n'
        'verdict = "pass"\n')
    return tmp_path


def test_verify_malformed_model_exits_2(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, 'model scenario "s" source "t";\ntask void t(void) { x = ; }\n')
    r = invoke("--root", str(root), "verify", "t")
    assert r.exit_code == 2
    assert "models/scen.lazy:2:25: error[LZC003]" in r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_verify_pass_target_exits_0(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, 'model scenario "s" source "t";\ntask void t(void) { }\n')
    r = invoke("--root", str(root), "verify", "t", "--no-timings")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("PASS  ")
    assert "exhausted" in r.stdout


def test_lint_clean_exits_0() -> None:
    r = invoke("lint", "models/arch/x86-xen-pv-49147beb0ccb.lazy", "models/api/g0-stateless.lazy",
               "models/scenarios/copy-pte-range-set-ptes.lazy")
    assert r.exit_code == 0, r.output
    assert r.stdout == "3 files checked: no errors\n"


def test_lint_error_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.lazy"
    p.write_text('model scenario "s" source "t";\ntask void t(void) { nope(); }\n')
    r = invoke("lint", "bad.lazy", cwd=tmp_path)
    assert r.exit_code == 2
    assert r.stderr.startswith("bad.lazy:2:21: error[LZC104]: unknown function 'nope'\n")
    assert r.stderr.endswith("\n1 error found\n")


def test_lint_requires_a_file() -> None:
    assert invoke("lint").exit_code == 2


def test_list_shows_every_target() -> None:
    r = invoke("list")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["target", "arch/api", "expected", "(source", "below)"]
    assert all(len(line) <= 100 for line in lines)
    listed = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
    assert listed == target_names(ROOT)
    assert len(listed) == len(list((ROOT / "specs" / "targets").glob("*.toml")))


def test_usage_error_exits_2() -> None:
    assert invoke("verify").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_lint_shows_included_files_relative_to_the_repo() -> None:
    """Pins repository-relative paths in lint output for included files."""
    r = invoke("lint", "tests/bad_input/lzc012_include_cycle/models/arch.lazy")
    assert r.exit_code == 2
    assert str(ROOT) not in r.stderr


def test_report_stays_within_100_columns(tmp_path: Path) -> None:
    """Pins report.py's 100-column promise for a FAIL trace."""
    root = _mini_root(tmp_path, 'model scenario "s" source "t";\n'
                      "global bool b;\ntask void t(void) { BUG_ON(!b); }\n")
    long = "scenario-with-a-rather-long-descriptive-file-name-0123456789.lazy"
    (root / "models" / "scen.lazy").rename(root / "models" / long)
    toml = root / "specs" / "targets" / "t.toml"
    toml.write_text(toml.read_text().replace('"scen.lazy"', f'"{long}"').replace(
        'verdict = "pass"', 'verdict = "fail"\nproperty = "no-bug"').replace(
        'source = "s"', 'source = "0123456789ab ' + "a long commit subject " * 5 + '"'))
    r = invoke("--root", str(root), "verify", "t", "--no-timings")
    assert r.exit_code == 1, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 100
