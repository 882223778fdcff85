"""``lazycheck prove`` and ``lazycheck check-proof``: inductive invariants as certificates.

``prove TARGET`` runs the Houdini engine (explore, mine, keep the inductive
subset) and writes the invariant as a JSON certificate; ``check-proof CERT``
re-checks a certificate with z3 from scratch: the initial state satisfies
it, every step keeps it, and it excludes every violation.  See
docs/proofs.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from lazycheck.cli.exitcode import ExitCode
from lazycheck.cli.verify import fail_input
from lazycheck.errors import ModelError
from lazycheck.kernel.config import KernelConfig, Preempt
from lazycheck.outcome import Verdict
from lazycheck.run.bounding import bound_system
from lazycheck.run.verify import build, run
from lazycheck.system import Clause, System
from lazycheck.targets import Target, load_target
from lazycheck.views.proof import FORMAT, certificate, invariant_lines
from lazycheck.views.report import verify_report


def _config(t: Target, cpus: int | None, tasks: int | None, preempt: str | None
            ) -> KernelConfig:
    """The target's configuration with the command line's overrides (as ``verify`` does)."""
    return t.config.overridden(cpus, tasks, preempt)


@click.command()
@click.argument("target")
@click.option("--cpus", type=int, default=None, help="Override the target's CPU count.")
@click.option("--tasks", type=int, default=None, help="Override the task count.")
@click.option("--preempt", type=click.Choice([p.value for p in Preempt]), default=None,
              help="Override the preemption model.")
@click.option("--preemptions", type=click.IntRange(min=0), default=None,
              help="Prove only for behaviours with at most this many preemptions.")
@click.option("--interrupts", type=click.IntRange(min=0), default=None,
              help="Prove only for behaviours with at most this many interrupt arrivals.")
@click.option("--timeout", type=float, default=600.0, show_default=True)
@click.option("--certificate", "cert", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the proof certificate (JSON) to this file.")
@click.option("--no-timings", is_flag=True, help="Omit times (byte-stable output).")
@click.option("--parametric", is_flag=True,
              help="Prove for every number of CPUs and tasks (docs/proofs.md).")
@click.pass_obj
def prove(root: Path, target: str, cpus: int | None, tasks: int | None,
          preempt: str | None, preemptions: int | None, interrupts: int | None,
          timeout: float, cert: Path | None, no_timings: bool, parametric: bool = False) -> None:
    """Prove TARGET in its configuration with a mined inductive invariant (exit 3: no proof)."""
    if parametric:
        from lazycheck.cli.parametric import prove_parametric
        prove_parametric(root, target, preempt, timeout, cert, no_timings)
    try:
        t = load_target(target, root)
        outcome = run(t, root, _config(t, cpus, tasks, preempt), None, "houdini",
                      timeout_s=timeout, preemptions=preemptions, interrupts=interrupts)
    except ModelError as err:
        fail_input(err)
        return
    click.echo(verify_report(outcome, timings=not no_timings), nl=False)
    r = outcome.result
    if r.verdict is Verdict.FAIL:
        sys.exit(ExitCode.FAIL)
    if not r.invariant:
        click.echo(r.reason or "not proved: the mined invariant is not inductive enough to "
                   "exclude every violation")
        sys.exit(ExitCode.UNKNOWN)
    click.echo(f"invariant ({len(r.invariant)} clauses, inductive, implies every property):")
    for line in invariant_lines(outcome.system, r.invariant, limit=12):
        click.echo(f"  {line}")
    if cert is not None:
        cert.write_text(json.dumps(certificate(outcome), indent=1) + "\n", encoding="utf-8")
        click.echo(f"certificate -> {cert} (re-check: lazycheck check-proof {cert})")
    sys.exit(ExitCode.PASS)


def _bad(msg: str) -> None:
    click.echo(f"lazycheck: error: {msg}", err=True)
    sys.exit(ExitCode.BAD_INPUT)


def _clauses(system: System, data: list[Any]) -> tuple[Clause, ...]:
    """The structured clauses of a certificate, checked against the model's variables."""
    out = []
    for k, c in enumerate(data):
        refs = [(c["var"], c["name"]), *((w[0], w[1]) for w in c["when"])]
        for idx, name in refs:
            if not 0 <= idx < len(system.vars) or system.vars[idx].name != name:
                raise ValueError(f"clause {k + 1}: variable #{idx} is not '{name}' in the "
                                 "model: the certificate belongs to another version of it")
        out.append(Clause(int(c["var"]), tuple(int(v) for v in c["in"]),
                          tuple((int(w[0]), int(w[2])) for w in c["when"])))
    return tuple(out)


@click.command(name="check-proof")
@click.argument("cert", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--timeout", type=float, default=600.0, show_default=True)
@click.pass_obj
def check_proof(root: Path, cert: Path, timeout: float) -> None:
    """Re-check the certificate CERT with z3 against the current models (exit 0: it holds)."""
    try:
        data = json.loads(cert.read_text(encoding="utf-8"))
        if data.get("format") == "lazycheck-parametric-proof/1":
            from lazycheck.cli.parametric import check_parametric
            check_parametric(root, cert, data, timeout)
        if data.get("format") != FORMAT:
            _bad(f"{cert}: not a {FORMAT} certificate; write one with `lazycheck prove "
                 "TARGET --certificate FILE`")
        t = load_target(data["target"], root)
        c = data["config"]
        _, system = build(t, root, _config(t, c["cpus"], c["tasks"], c["preempt"]))
        b = data["bounds"]
        system = bound_system(system, b.get("preemptions"), b.get("interrupts"))
        clauses = _clauses(system, data["clauses"])
    except ModelError as err:
        fail_input(err)
        return
    except (ValueError, KeyError, TypeError, IndexError) as err:
        _bad(f"{cert}: malformed certificate: {err}")
        return
    from lazycheck.engines.houdini import recheck  # imports z3: only when re-checking
    from lazycheck.smt import Status

    got = recheck(system, clauses, timeout)
    click.echo(f"certificate {cert}: {data['claim']}")
    for what, status in got.results:
        word = {Status.UNSAT: "holds", Status.SAT: "FAILS", Status.UNKNOWN: "unknown"}[status]
        click.echo(f"  {word:<7} {what.value}")
    if got.cti is not None:
        click.echo(f"  counterexample to induction: action "
                   f"{system.actions[got.cti.action].name} breaks:")
        for line in invariant_lines(system, tuple(clauses[i] for i in got.broken), 12):
            click.echo(f"    {line}")
    if got.holds:
        click.echo(f"PROVED  {len(clauses)} clauses re-checked")
        sys.exit(ExitCode.PASS)
    unknown = any(s is Status.UNKNOWN for _, s in got.results)
    sys.exit(ExitCode.UNKNOWN if unknown else ExitCode.FAIL)


def register(group: click.Group) -> None:
    """Add prove and check-proof to the command group."""
    group.add_command(prove)
    group.add_command(check_proof)
