"""Scale-out on dask.distributed: the same cells in-process, on a LocalCluster and on a
``dask scheduler`` + two ``dask worker`` processes on loopback; swarm is honest."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.run.corpus import GridPoint, check_point, map_ordered
from lazycheck.targets import find_root
from lazycheck.views.sweep import SweepCell, cell

ROOT = find_root(Path(__file__).resolve().parent)
GRID = [GridPoint("xen-nesting-counter", None, c, 2) for c in (1, 2)]


def _stable(cells: list[SweepCell]) -> list[SweepCell]:
    return [dataclasses.replace(c, elapsed_s=0.0) for c in cells]


def _cells(jobs: int, scheduler: str | None) -> list[SweepCell]:
    return _stable(map_ordered(check_point, GRID, (ROOT, cell, 0, 60.0), jobs, scheduler))


def test_sweep_local_cluster_equals_in_process() -> None:
    here = _cells(1, None)
    assert [c.verdict for c in here] == ["FAIL:no-bug"] * 2
    assert _cells(2, None) == here


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sweep_on_a_scheduler_with_two_workers_equals_in_process() -> None:
    """Starts ``dask scheduler`` and two ``dask worker`` processes on loopback."""
    from distributed import Client

    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    py = sys.executable
    procs = [subprocess.Popen([py, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(1.0)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [py, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
                 "--nworkers", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(addr, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        assert _cells(2, addr) == _cells(1, None)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_sweep_cli_prints_the_grid_in_order() -> None:
    res = CliRunner().invoke(main, ["--root", str(ROOT), "sweep", "xen-nesting-counter",
                                    "arm64-nested", "--cpus", "1", "--tasks", "2"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()  # the table; progress lines go to stderr
    assert lines[2].split()[:5] == ["xen-nesting-counter", "rt", "1", "2", "FAIL:no-bug"]
    assert lines[3].split()[:5] == ["arm64-nested", "rt", "1", "2", "PASS"]
    assert lines[3].rstrip().endswith("exhausted")


@pytest.mark.parametrize(("target", "code", "says"), [
    ("xen-nesting-counter", 1, "a violation of no-bug was found and replayed"),
    ("arm64-nested", 3, "no violation found, which proves nothing"),
])
def test_swarm_says_it_is_not_exhaustive(target: str, code: int, says: str) -> None:
    res = CliRunner().invoke(main, ["--root", str(ROOT), "swarm", target, "-n", "2", "-j", "1",
                                    "--max-states", "3000", "--bits", "16"])
    assert res.exit_code == code, res.output
    assert "NOT exhaustive" in res.output and says in res.output
