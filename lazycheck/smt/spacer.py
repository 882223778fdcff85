"""Unbounded safety proofs with z3's Spacer (PDR/IC3 over constrained Horn clauses).

The system becomes three Horn clauses over one relation ``Inv`` of the
state variables::

    Inv(s)  <-  Init(s)
    Inv(s') <-  Inv(s) /\\ Dom(s) /\\ T(s, s')
    false   <-  Inv(s) /\\ violation(s) != 0

If Spacer answers *unsat* the violation is unreachable at every depth: the
system is proved.  *sat* means a violation is reachable (BMC then finds the
shortest trace); *unknown* or a timeout proves nothing.  Integer sorts are
used: Spacer's interpolation works best over linear integer arithmetic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import z3

from lazycheck.smt.encode import Encoder, SortKind
from lazycheck.system import System


class ProofStatus(enum.Enum):
    """What z3's Spacer concluded about reaching a violation."""

    PROVED = "proved"
    REACHABLE = "reachable"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ProofResult:
    """Spacer's conclusion, and why when it is UNKNOWN."""

    status: ProofStatus
    reason: str = ""


def prove(system: System, timeout_s: float) -> ProofResult:
    """Ask z3's Spacer (PDR) whether a violation is reachable, within ``timeout_s``."""
    enc = Encoder(system, SortKind.INT)
    ctx: Any = enc.ctx
    fp: Any = z3.Fixedpoint(ctx=ctx)
    fp.set(engine="spacer")
    fp.set("timeout", max(1, int(timeout_s * 1000)))
    cur = enc.step_vars(0, "c")
    nxt = enc.step_vars(1, "n")
    sorts = [z3.IntSort(ctx)] * len(system.vars)
    inv = z3.Function("Inv", *sorts, z3.BoolSort(ctx))
    fp.register_relation(inv)
    fp.declare_var(*cur.values, *nxt.values, *cur.acts)
    fp.rule(inv(*cur.values), [enc.initial(cur).z])
    fp.rule(inv(*nxt.values), [inv(*cur.values), enc.domain(cur).z,
                                enc.transition(cur, nxt).z])
    try:
        answer = fp.query(z3.And(inv(*cur.values), enc.violated(cur).z))
    except z3.Z3Exception as exc:
        why = "time limit reached" if "canceled" in str(exc) else f"z3 error: {exc}"
        return ProofResult(ProofStatus.UNKNOWN, f"spacer: {why}")
    if answer == z3.unsat:
        return ProofResult(ProofStatus.PROVED)
    if answer == z3.sat:
        return ProofResult(ProofStatus.REACHABLE)
    return ProofResult(ProofStatus.UNKNOWN, f"spacer: {fp.reason_unknown()}")
