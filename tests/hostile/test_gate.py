"""The gate's promises (issue 9): no green without a check, a documented exit code always."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli import ci as ci_mod
from lazycheck.cli.main import main
from lazycheck.run import corpus

REPO = Path(__file__).resolve().parents[2]
FAST = "xen-set-ptes-nesting"  # a FAIL target of a few states


def _repo(tmp: Path, *targets: str) -> Path:
    repo = tmp / "repo"
    shutil.copytree(REPO / "models", repo / "models")
    (repo / "specs" / "targets").mkdir(parents=True)
    for t in targets:
        shutil.copy(REPO / "specs" / "targets" / f"{t}.toml", repo / "specs" / "targets")
    return repo


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), \
        repr(res.exception)
    return res.exit_code, res.stdout + res.stderr


def test_ci_with_no_targets_is_an_error(tmp_path: Path) -> None:
    code, out = _cli("--root", str(_repo(tmp_path)), "ci")
    assert code == 2 and "error[LZC408]" in out


def test_root_that_is_not_a_repository_is_an_error(tmp_path: Path) -> None:
    code, out = _cli("--root", str(tmp_path / "nowhere"), "ci")
    assert code == 2 and "LZC408" in out
    code, out = _cli("--root", str(tmp_path), "ci")
    assert code == 2 and "LZC408" in out


def _edit(repo: Path, name: str, old: str, new: str) -> None:
    p = repo / "specs" / "targets" / f"{name}.toml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


def test_ci_notices_a_violation_caught_elsewhere(tmp_path: Path) -> None:
    repo = _repo(tmp_path, FAST)
    code, _ = _cli("--root", str(repo), "ci", "--no-progress")
    assert code == 0
    _edit(repo, FAST, 'at = "', 'at = "x.lazy:1"\n# was: at = "')
    code, out = _cli("--root", str(repo), "ci", "--no-progress")
    assert code == 1 and "the target expects it at x.lazy:1" in out


def test_ci_rejects_a_bounded_pass_unless_the_target_says_why() -> None:
    import dataclasses

    from lazycheck.run.verify import run
    from lazycheck.targets import load_target
    from lazycheck.views.ci_rows import gate_problem

    o = run(load_target("vmap-pages-error-path-powerpc-fea18c686320", REPO), REPO)
    assert o.as_expected and o.result.stats.exhausted and gate_problem(o) == ""
    bounded = dataclasses.replace(o, result=dataclasses.replace(
        o.result, stats=dataclasses.replace(o.result.stats, exhausted=False)))
    assert "bounded PASS" in gate_problem(bounded)
    opted = dataclasses.replace(bounded, target=dataclasses.replace(
        o.target, bounded="depth 3 covers the scenario"))
    assert gate_problem(opted) == ""


def test_empty_property_list_is_rejected(tmp_path: Path) -> None:
    repo = _repo(tmp_path, FAST)
    _edit(repo, FAST, "[check]", "[check]\nproperties = []")
    code, out = _cli("--root", str(repo), "verify", FAST)
    assert code == 2 and "at least one property" in out


def test_ci_budget_makes_unfinished_targets_unknown(tmp_path: Path) -> None:
    repo = _repo(tmp_path, FAST, "xen-nesting-counter")
    code, out = _cli("--root", str(repo), "ci", "--no-progress", "--budget", "0.001")
    assert code == 3 and "not finished within the --budget" in out


def test_ci_survives_an_internal_error_and_writes_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path, FAST, "xen-nesting-counter")

    def boom(unit: tuple[str, int], root: Path, summarize: object, *rest: object) -> object:
        if unit[0] == FAST:  # a (target, claimed configuration) unit
            raise RuntimeError("boom")
        return real(unit, root, summarize)  # type: ignore[arg-type]

    real = corpus.check_one
    monkeypatch.setattr(corpus, "check_one", boom)
    sarif = tmp_path / "out.sarif"
    code, out = _cli("--root", str(repo), "ci", "--no-progress", "--sarif", str(sarif))
    assert code == 5 and "internal error, please report: RuntimeError: boom" in out
    assert "xen-nesting-counter" in out and sarif.is_file()
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "bad-input"
    assert ci_mod.exit_code([]) == 0


def test_unexpected_exception_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from lazycheck.cli import verify as verify_cli

    def boom(*a: object, **k: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(verify_cli, "run", boom)
    code, out = _cli("--root", str(REPO), "verify", FAST)
    assert code == 5
    assert out.startswith("lazycheck: internal error, please report: KeyError")
    assert "Traceback" not in out


def test_timeout_bounds_the_whole_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from lazycheck.cli import verify as verify_cli

    def slow(*a: object, **k: object) -> None:
        time.sleep(30)

    monkeypatch.setattr(verify_cli, "run", slow)
    t0 = time.monotonic()
    code, out = _cli("--root", str(REPO), "verify", FAST, "--timeout", "0.5")
    assert code == 3 and "whole command" in out
    assert time.monotonic() - t0 < 5


def test_bmc_bounded_pass_carries_coverage() -> None:
    """A bmc PASS at a bound too small to reach the bug is VACUOUS, not green."""
    code, out = _cli("--root", str(REPO), "verify", FAST, "--engine", "bmc", "--bound", "2",
                     "--no-timings")
    assert code == 1 and out.startswith("VACUOUS"), out
