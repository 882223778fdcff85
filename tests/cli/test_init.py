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
