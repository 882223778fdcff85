"""The wheel is self-contained: installed into a fresh venv, it works in an empty directory.

Builds the wheel (build isolation: setuptools>=77 for the SPDX license), installs it
with ``--no-deps`` into a new venv that sees the project venv's dependencies through a
.pth file (z3, click, networkx: nothing is downloaded), then, in an empty directory,
runs ``lazycheck list`` (every target), ``verify arm64-nested`` (PASS) and ``init`` +
``verify`` of the starter (PASS).  Neither the build nor ``pip install`` may print a
deprecation warning.  About 30 s.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp).returncode == 0
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   tmp).stdout.strip()
    (Path(purelib) / "lazycheck-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def test_wheel_installs_and_runs_in_an_empty_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-w",
                  str(wheels)], tmp_path)
    assert built.returncode == 0, built.stderr
    assert "deprecat" not in (built.stdout + built.stderr).lower()
    (wheel,) = wheels.glob("lazycheck-*.whl")
    venv = _venv(tmp_path)
    inst = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps",
                 "--no-index", str(wheel)], tmp_path)
    assert inst.returncode == 0, inst.stderr
    assert "deprecat" not in (inst.stdout + inst.stderr).lower()
    empty = tmp_path / "empty"
    empty.mkdir()
    lc = str(venv / "bin" / "lazycheck")
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import lazycheck; print(lazycheck.__file__)"], empty)
    assert where.stdout.startswith(str(venv)), "the test must run the installed wheel"
    listed = _run([lc, "list"], empty)
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines()[1:]
             if line.strip() and not line.startswith(" ")}  # sources are indented
    assert names == {p.stem for p in (REPO / "specs" / "targets").glob("*.toml")}
    nested = _run([lc, "verify", "arm64-nested", "--no-timings"], empty)
    assert nested.returncode == 0 and nested.stdout.startswith("PASS"), nested.stdout
    assert _run([lc, "init", "mine", "--api", "G3"], empty).returncode == 0
    starter = _run([lc, "verify", "my-arch-g3", "--no-timings"], empty / "mine")
    assert starter.returncode == 0 and starter.stdout.startswith("PASS"), \
        starter.stdout + starter.stderr
    assert "LICENSE" in _run([str(venv / "bin" / "python"), "-m", "pip", "show", "-f",
                              "lazycheck"], empty).stdout
