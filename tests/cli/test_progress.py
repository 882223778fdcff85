"""Progress on long work: engines report per level, the CLI draws on stderr only."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from click.testing import CliRunner

from lazycheck.cli.main import main
from lazycheck.cli.progress import EngineProgress, TargetProgress, engine_line
from lazycheck.outcome import Progress
from lazycheck.run.verify import run
from lazycheck.targets import load_target

ROOT = Path(__file__).resolve().parent.parent.parent


def test_explicit_engine_reports_once_per_level() -> None:
    seen: list[Progress] = []
    o = run(load_target("xen-nesting-counter", ROOT), ROOT, progress=seen.append)
    assert [p.depth for p in seen] == list(range(len(seen)))
    assert all(p.engine == "explicit" for p in seen)
    states = [p.states for p in seen]
    assert states == sorted(states) and states[0] == 1
    assert seen[-1].depth == o.result.stats.depth - 1  # a FAIL is found expanding it


def test_bmc_reports_once_per_depth() -> None:
    seen: list[Progress] = []
    run(load_target("xen-nesting-counter", ROOT), ROOT, bound=3, engine="bmc",
        progress=seen.append)
    bmc = [p.depth for p in seen if p.engine == "bmc"]
    assert bmc == [0, 1, 2, 3]


def test_engine_line_says_depth_states_rate_and_time() -> None:
    line = engine_line(Progress("explicit", 12, 34_567, 2.0), 3.25)
    assert line == "explicit: level 12, 34,567 states, 17,284 states/s, 3.2 s"
    assert engine_line(Progress("bmc", 7, 0, 1.0), 75.0) == "bmc: depth 7, 1 min 15 s"


def test_plain_lines_are_periodic_and_only_on_the_stream() -> None:
    out = io.StringIO()
    with EngineProgress("verify t", out, live=False, interval_s=0.05) as prog:
        assert isinstance(prog, EngineProgress)
        prog(Progress("explicit", 3, 100, 0.5))
        time.sleep(0.3)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2
    assert all(x.startswith("lazycheck: verify t: explicit: level 3, 100 states") for x in lines)


def test_disabled_progress_writes_nothing() -> None:
    out = io.StringIO()
    with EngineProgress("verify t", out, live=False, enabled=False, interval_s=0.01) as p:
        assert isinstance(p, EngineProgress)
        p(Progress("explicit", 1, 5, 0.1))
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_target_progress_plain_lines_in_name_order() -> None:
    out = io.StringIO()
    tp = TargetProgress("ci", ["a", "b", "c"], out, live=False, enabled=True,
                        interval_s=0)
    with tp:
        for n in ("a", "b", "c"):
            tp.start_target(n)
        tp.finish("b", "ok")
        tp.finish("a", "MISMATCH")
        tp.finish("c", "ok")
    assert out.getvalue().splitlines() == ["[1/3] a: MISMATCH", "[2/3] b: ok", "[3/3] c: ok"]


def test_machine_output_on_stdout_carries_no_progress() -> None:
    r = CliRunner().invoke(main, ["--root", str(ROOT), "verify", "xen-nesting-counter",
                                  "--format", "itf"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["#meta"]["target"] == "xen-nesting-counter"


def test_the_second_engine_line_says_the_first_finished() -> None:
    prog = EngineProgress("verify t", io.StringIO(), live=False, clock=lambda: 5.0)
    prog(Progress("explicit", 9, 500, 0.5))
    prog(Progress("bmc", 3, 0, 2.0))
    assert prog.line() == "verify t: explicit done at level 9; bmc: depth 3, 2.0 s"


def test_target_progress_line_shows_the_running_target_and_its_engine() -> None:
    tp = TargetProgress("ci", ["a", "b"], io.StringIO(), live=False, enabled=True,
                        clock=lambda: 0.0)
    tp.start_target("a")
    tp.finish("a", "MISMATCH")
    tp.start_target("b")
    tp.on_engine(Progress("explicit", 4, 1_000, 0.5))
    assert tp.line() == ("ci: 1/2 done, 1 not ok, 0.0 s; running: b (explicit: level 4, "
                         "1,000 states, 2,000 states/s, 0.5 s)")
