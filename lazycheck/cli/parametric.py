"""``lazycheck verify T --parametric``: print the parametric answer and exit.

The report is built here from the structured result (views read outcomes only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.engines.parametric import ParametricResult
from lazycheck.errors import ModelError
from lazycheck.run.parametric import run_parametric
from lazycheck.targets import load_target


def verify_parametric(root: Path, target: str, preempt: str | None, timeout: float,
                      no_timings: bool) -> None:
    """Run the parametric prover on TARGET; exit 0 PROVED, 1 FAIL, 3 otherwise."""
    from lazycheck.cli.verify import fail_input

    try:
        t = load_target(target, root)
        config = t.config.overridden(preempt=preempt) if preempt else None
        res = run_parametric(t, root, config, timeout_s=min(timeout, 120.0))
    except ModelError as err:
        fail_input(err)
        return
    click.echo(parametric_report(t.name, res, timings=not no_timings), nl=False)
    code = {"proved": ExitCode.PASS, "fail": ExitCode.FAIL}.get(res.status, ExitCode.UNKNOWN)
    sys.exit(code)


SHOWN = 12


def parametric_report(name: str, r: ParametricResult, timings: bool = True) -> str:
    """The report: the verdict line, then the invariant or the counterexample to induction."""
    took = f" in {r.elapsed_s:.1f}s" if timings else ""
    lines: list[str] = []
    if r.status == "proved":
        lines.append(f"PROVED  {name}: for every number of CPUs and tasks{took} "
                     f"({r.template}, {r.actions} actions generalised)")
        lines.append(f"invariant ({len(r.invariant)} universally quantified clauses over "
                     "distinct tasks t0, t1 and CPUs c0, c1; inductive; implies every "
                     "property):")
        lines += [f"  forall: {c}" for c in r.invariant[:SHOWN]]
        if len(r.invariant) > SHOWN:
            lines.append(f"  ... {len(r.invariant) - SHOWN} more")
    elif r.status == "not-inductive":
        lines.append(f"UNKNOWN {name}: not proved for every number of CPUs and tasks{took}")
        lines.append(f"not inductive: action {r.cti_action} breaks, from a state satisfying "
                     "every other clause:")
        lines += [f"  {c}" for c in r.cti_broken[:SHOWN]]
        lines.append("counterexample to induction (pre-state at the action's task/CPU):")
        lines += [f"  {s}" for s in r.cti_state]
    elif r.status == "fail":
        lines.append(f"FAIL    {name}: {r.reason}{took}")
    else:
        lines.append(f"UNKNOWN {name}: not proved for every number of CPUs and tasks{took}")
        lines.append(f"  {r.reason}")
    return "\n".join(lines) + "\n"
