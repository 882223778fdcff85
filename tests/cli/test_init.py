"""``lazycheck init`` and user directories: the starter verifies, roots are found, and a
user's model may ``#include <api/...>`` a shipped model by its stable name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.init import GENERATIONS
from lazycheck.cli.main import main
from lazycheck.lang.loader import read_models
from lazycheck.targets import find_root


@pytest.mark.parametrize("api", sorted(GENERATIONS))
def test_starter_verifies_in_every_claimed_config(tmp_path: Path, api: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "d"), "--api", api]).exit_code == 0
    name = f"my-arch-{api.lower()}"
    res = runner.invoke(main, ["--root", str(tmp_path / "d"), "verify", name, "--no-timings"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("PASS") and "4 checked" in res.output


def test_init_does_not_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "not overwriting" in again.output


def test_lazycheck_toml_marks_a_root_upwards(tmp_path: Path) -> None:
    (tmp_path / "lazycheck.toml").write_text("", encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()


def test_include_a_shipped_model_by_its_stable_name(tmp_path: Path) -> None:
    mine = tmp_path / "mine.lazy"
    mine.write_text('model arch "mine" source "me";\n#include <api/g3-v6.lazy>\n',
                    encoding="utf-8")
    _, sources, diags = read_models([mine], tmp_path)
    assert diags == []
    assert "<zoo>/api/g3-v6.lazy" in sources


def test_verify_all_configs_prints_a_matrix_of_every_model() -> None:
    res = CliRunner().invoke(main, ["verify", "sparc64-preemptible", "--all-configs",
                                    "--no-timings"])
    table = res.stdout.split("all configurations of sparc64-preemptible")[1].splitlines()
    rows = [r for r in table[1:] if r.strip()]
    assert len(rows) == 4  # none, voluntary, full claimed; rt beyond the claim
    assert "preempt=rt" in rows[3] and rows[3].rstrip().endswith("not claimed")
    assert "FAIL:no-deferred-write-outside-section" in rows[2] and "ok" in rows[2]
    assert res.exit_code == 1  # the target's own configuration (full) FAILs as expected


def test_verify_a_target_by_its_path() -> None:
    root = find_root(Path(__file__).resolve().parent)
    res = CliRunner().invoke(main, ["verify", str(root / "specs" / "targets" /
                                                  "sparc64-a1d416bf9faf.toml"), "--no-timings"])
    assert res.exit_code == 0 and res.stdout.startswith("PASS")
