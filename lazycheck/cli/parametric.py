"""``lazycheck verify T --parametric``: print the parametric answer and exit.

The report is built here from the structured result (views read outcomes only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.engines.parametric import ParametricResult
from lazycheck.errors import ModelError
from lazycheck.run.parametric import recheck_parametric, run_parametric
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


PARAM_FORMAT = "lazycheck-parametric-proof/1"


def prove_parametric(root: Path, target: str, preempt: str | None, timeout: float,
                     cert: Path | None, no_timings: bool) -> None:
    """``prove TARGET --parametric``: the parametric proof, and its certificate."""
    from lazycheck.cli.verify import fail_input

    try:
        t = load_target(target, root)
        config = t.config.overridden(preempt=preempt) if preempt else t.config
        res = run_parametric(t, root, config, timeout_s=min(timeout, 120.0))
    except ModelError as err:
        fail_input(err)
        return
    click.echo(parametric_report(t.name, res, timings=not no_timings), nl=False)
    if res.status == "proved" and cert is not None:
        progs = ", ".join(dict.fromkeys(config.tasks))
        data = {"format": PARAM_FORMAT, "target": t.name, "preempt": config.preempt.value,
                "claim": f"for every number of CPUs and tasks running {progs} "
                         f"(preempt={config.preempt.value}), no reachable state violates "
                         "a checked property",
                "clauses": [{"var": v, "in": list(vals), "when": [list(w) for w in when],
                             "text": text}
                            for (v, vals, when), text in zip(res.clauses, res.invariant,
                                                             strict=True)]}
        cert.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        click.echo(f"certificate -> {cert} (re-check: lazycheck check-proof {cert})")
    sys.exit({"proved": ExitCode.PASS, "fail": ExitCode.FAIL}.get(res.status,
                                                                   ExitCode.UNKNOWN))


def check_parametric(root: Path, cert: Path, data: dict[str, Any], timeout: float) -> None:
    """``check-proof`` of a parametric certificate: every clause re-checked, none dropped."""
    from lazycheck.cli.verify import fail_input

    try:
        t = load_target(data["target"], root)
        config = t.config.overridden(preempt=data["preempt"])
        clauses = [(str(c["var"]), tuple(int(v) for v in c["in"]),
                    tuple((str(w[0]), int(w[1])) for w in c["when"])) for c in data["clauses"]]
        res = recheck_parametric(t, root, config, clauses, min(timeout, 120.0))
    except ModelError as err:
        fail_input(err)
        return
    except (ValueError, KeyError, TypeError, IndexError) as err:
        click.echo(f"lazycheck: error: {cert}: malformed certificate (or a variable the "
                   f"model no longer has): {err}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    click.echo(f"certificate {cert}: {data['claim']}")
    if res.status == "proved":
        click.echo(f"PROVED  {len(clauses)} universally quantified clauses re-checked")
        sys.exit(ExitCode.PASS)
    click.echo(parametric_report(t.name, res, timings=False), nl=False)
    sys.exit(ExitCode.UNKNOWN if res.status == "unknown" else ExitCode.FAIL)
