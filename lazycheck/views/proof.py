"""Proof certificates: an inductive invariant in kernel terms, as text and as JSON.

A certificate names the target, the configuration it was proved in, the
bounds (if any) and the invariant, one clause per entry.  Each clause is
stored twice: structured (variable index and name, values, antecedent) for
``lazycheck check-proof`` to re-check, and as one line in kernel terms
(``T0.pc == 7 -> hw[kernel_pte] in {2}``) for a reader.  The re-check reads
only the structured part; the text is never parsed back.
"""

from __future__ import annotations

from typing import Any

from lazycheck.outcome import Outcome
from lazycheck.system import Clause, System

FORMAT = "lazycheck-proof/1"


def _value(system: System, var: int, value: int) -> str:
    return system.vars[var].show(value)


def clause_text(system: System, clause: Clause) -> str:
    """One clause in kernel terms: ``curr[cpu0] == T0 -> depth(T0) in {1}``."""
    name = system.vars[clause.var].name
    vals = [_value(system, clause.var, v) for v in clause.values]
    body = f"{name} == {vals[0]}" if len(vals) == 1 else f"{name} in {{{', '.join(vals)}}}"
    if not clause.when:
        return body
    cond = " && ".join(f"{system.vars[w].name} == {_value(system, w, a)}"
                       for w, a in clause.when)
    return f"{cond} -> {body}"


def invariant_lines(system: System, clauses: tuple[Clause, ...], limit: int = 0) -> list[str]:
    """The invariant, one clause a line, sorted; the first ``limit`` only when ``limit > 0``."""
    lines = sorted(clause_text(system, c) for c in clauses)
    if limit and len(lines) > limit:
        return [*lines[:limit], f"... and {len(lines) - limit} more clauses (see the certificate)"]
    return lines


def certificate(o: Outcome) -> dict[str, Any]:
    """The JSON certificate of a proved outcome (its result carries an invariant)."""
    s = o.system
    clauses = sorted(o.result.invariant, key=lambda c: clause_text(s, c))
    return {
        "format": FORMAT,
        "target": o.target.name,
        "config": {"cpus": o.config.cpus, "tasks": o.config.ntasks,
                   "preempt": o.config.preempt.value},
        "bounds": dict(s.bounded_by),
        "claim": (f"no reachable state of {o.config.describe()} "
                  f"{s.bounds_text() + ' ' if s.bounded_by else ''}"
                  f"violates {', '.join(s.checked)}"),
        "clauses": [{"var": c.var, "name": s.vars[c.var].name, "in": list(c.values),
                     "when": [[w, s.vars[w].name, a] for w, a in c.when],
                     "text": clause_text(s, c)} for c in clauses],
    }
