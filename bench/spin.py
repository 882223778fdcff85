"""SPIN beside lazycheck on the exported Promela models (``make bench``).

For one target: export its System as Promela (``lazycheck export``), run
SPIN's whole pipeline (``spin -a``, ``gcc``, ``./pan``) and lazycheck's
(``lazycheck verify`` as a process), and return both verdicts, state counts,
end-to-end times and states/s.  SPIN is optional: without it the row says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lazycheck.targets import load_target

PAN_FLAGS = ("-DSAFETY", "-DNOREDUCE", "-DMEMLIM=8192")


@dataclass(frozen=True, slots=True)
class SpinRow:
    name: str
    verdict: str  # lazycheck's
    states: int
    exhausted: bool
    lazy_s: float  # lazycheck verify, whole process
    search_s: float  # lazycheck's search alone
    frame_max: int  # locals of the largest generated action
    frame_mean: float
    spin_verdict: str  # "PASS", "FAIL" or a note
    spin_states: int
    spin_s: float  # spin -a + gcc + pan
    pan_s: float  # pan alone

    @property
    def ratio(self) -> float:
        """lazycheck's end-to-end time over SPIN's (<= 1.0: lazycheck is not slower)."""
        return self.lazy_s / self.spin_s if self.spin_s > 0 else float("inf")


def have_spin() -> bool:
    """Whether spin and gcc are on PATH."""
    return shutil.which("spin") is not None and shutil.which("gcc") is not None


def lazycheck_process(name: str, root: Path) -> float:
    """Wall time of ``lazycheck verify NAME`` as its own process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lazycheck", "--root", str(root), "verify", name,
                    "--no-timings"], capture_output=True, check=False)
    return time.perf_counter() - start


def spin_pipeline(name: str, root: Path, work: Path) -> tuple[str, int, float, float]:
    """(verdict, states stored, whole-pipeline seconds, pan's search seconds) of SPIN on NAME.

    The search time is pan's own rate when it prints one, else pan's wall time."""
    pml = work / f"{name}.pml"
    subprocess.run([sys.executable, "-m", "lazycheck", "--root", str(root), "export",
                    "--promela", name, "-o", str(pml)], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(["spin", "-a", pml.name], cwd=work, check=True, capture_output=True)
    subprocess.run(["gcc", "-O2", *PAN_FLAGS, "-o", "pan", "pan.c"], cwd=work, check=True,
                   capture_output=True)
    pan_start = time.perf_counter()
    out = subprocess.run(["./pan", "-E", "-m10000000"], cwd=work, capture_output=True,
                         text=True, check=False).stdout
    end = time.perf_counter()
    m = re.search(r"(\d+) states, stored", out)
    states = int(m.group(1)) if m else -1
    rate = re.search(r"pan: rate\s+([\d.]+) states/second", out)
    if rate and float(rate.group(1)) > 0 and states > 0:  # pan's own clock, no startup
        return _verdict(out), states, end - start, states / float(rate.group(1))
    return _verdict(out), states, end - start, end - pan_start


def _verdict(pan_output: str) -> str:
    if "assertion violated" in pan_output:
        return "FAIL"
    return "PASS" if "errors: 0" in pan_output else "error"


def bench_spin(name: str, root: Path) -> SpinRow:
    """One row of the side-by-side table."""
    from lazycheck.run.verify import run
    from lazycheck.semantics import Packing, Semantics

    o = run(load_target(name, root), root)
    s = o.result.stats
    frames = Semantics(o.system, Packing.of(o.system)).frame_locals()
    lazy_s = lazycheck_process(name, root)
    if have_spin():
        with tempfile.TemporaryDirectory(prefix="lazycheck-spin-") as tmp:
            sv, ss, spin_s, pan_s = spin_pipeline(name, root, Path(tmp))
    else:
        sv, ss, spin_s, pan_s = "no spin", -1, 0.0, 0.0
    return SpinRow(name, o.verdict.value, s.states, s.exhausted, lazy_s, s.elapsed_s,
                   max(frames), sum(frames) / len(frames), sv, ss, spin_s, pan_s)


def print_spin_table(rows: list[SpinRow]) -> None:
    """The side-by-side table with ratios."""
    head = (f"{'target':<42} {'lazycheck':<9} {'states':>9} {'frame':>9} {'e2e s':>6} "
            f"{'st/s':>8} | {'spin':<7} {'states':>9} {'e2e s':>6} {'pan st/s':>9} | "
            f"{'e2e ratio':>9} {'same #':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        rate = r.states / r.search_s if r.search_s > 0 else 0.0
        prate = r.spin_states / r.pan_s if r.pan_s > 0 and r.spin_states > 0 else 0.0
        same = ("yes" if r.spin_states == r.states else "NO") if (
            r.exhausted and r.spin_states >= 0) else "-"
        verdict = r.verdict + ("*" if r.exhausted else "")
        print(f"{r.name:<42} {verdict:<9} {r.states:>9,} {r.frame_max:>4}/{r.frame_mean:<4.0f} "
              f"{r.lazy_s:>6.2f} {rate:>8,.0f} | {r.spin_verdict:<7} {r.spin_states:>9,} "
              f"{r.spin_s:>6.2f} {prate:>9,.0f} | {r.ratio:>8.2f}x {same:>6}")
    print()
    print("* = exhausted.  frame = locals of the largest / mean generated action.  e2e = "
          "whole process: lazycheck verify; spin -a + gcc + ./pan.  st/s = states per "
          "second of the search alone.  ratio = lazycheck e2e / SPIN e2e (<= 1 is the goal). "
          "same # = SPIN stored exactly lazycheck's states (exhausted targets only).")
    if not have_spin():
        print("SPIN is not installed (make bench tries `apt-get install -y spin`): "
              "its columns are empty.")
