"""``lazycheck export --promela``: SPIN stores exactly the states lazycheck explores."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.run.verify import run
from lazycheck.targets import find_root, load_target

ROOT = find_root(Path(__file__).resolve().parent)


def test_export_is_deterministic_and_has_one_step_per_action() -> None:
    a = CliRunner().invoke(main, ["--root", str(ROOT), "export", "--promela", "arm64-nested"])
    b = CliRunner().invoke(main, ["--root", str(ROOT), "export", "--promela", "arm64-nested"])
    assert a.exit_code == 0, a.output
    assert a.output == b.output
    o = run(load_target("arm64-nested", ROOT), ROOT)
    assert a.output.count(":: d_step {") == len(o.system.actions)
    assert a.output.count("assert(v") == len(o.system.actions)


@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="SPIN not installed (make bench installs it where it can)")
@pytest.mark.parametrize("name", ["arm64-nested"])
def test_spin_stores_the_same_number_of_states(name: str, tmp_path: Path) -> None:
    """On a target whose space lazycheck exhausts, pan's "states, stored" is its count."""
    o = run(load_target(name, ROOT), ROOT)
    assert o.result.stats.exhausted
    res = CliRunner().invoke(main, ["--root", str(ROOT), "export", "--promela", name,
                                    "-o", str(tmp_path / "m.pml")])
    assert res.exit_code == 0, res.output
    subprocess.run(["spin", "-a", "m.pml"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["gcc", "-O1", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"],
                   cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run(["./pan", "-E", "-m1000000"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"(\d+) states, stored", out)
    assert m is not None, out
    assert int(m.group(1)) == o.result.stats.states
    assert "errors: 0" in out
