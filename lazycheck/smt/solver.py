"""A small typed wrapper around ``z3.Solver``.

Why a wrapper: engines must not see z3 objects (no stubs, ``Any``
everywhere), and three rules are easy to get wrong at each call site:

* ``push``/``pop`` must stay balanced even when a check raises, hence
  :meth:`SmtSolver.frame`;
* every check runs under a timeout (the engine's remaining time budget);
* ``unknown`` is a :class:`Status` of its own, with z3's reason, so an
  engine can only turn it into ``UNKNOWN`` -- there is no way to read it
  as "unsat".
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped, unused-ignore]

from lazycheck.smt.encode import Encoder, Formula, SortKind, Term

# z3 takes the timeout as an unsigned 32-bit number of milliseconds.
_MAX_TIMEOUT_MS = 2**32 - 1


class Status(enum.Enum):
    """What a satisfiability check answered."""

    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"


class Model:
    """A satisfying assignment, read through the encoder's handles."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def is_true(self, f: Formula) -> bool:
        """Whether ``f`` holds in the model."""
        return bool(z3.is_true(self._model.eval(f.z, model_completion=True)))

    def value(self, t: Term) -> int:
        """The value of term ``t`` in the model (bit-vectors read as signed)."""
        z = self._model.eval(t.z, model_completion=True)
        if z3.is_bv_value(z):
            return int(z.as_signed_long())
        return int(z.as_long())


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one satisfiability check.

    ``model`` is set only for SAT; ``reason`` (z3's ``reason_unknown``, or
    why no check was run) only for UNKNOWN.  ``needs_assumptions`` is False
    only for an UNSAT whose core is empty: the assertions alone are
    unsatisfiable, whatever the assumptions (a sound fact; a core that
    names an assumption it did not need just leaves it True).
    """

    status: Status
    model: Model | None = None
    reason: str = ""
    needs_assumptions: bool = True


class SmtSolver:
    """An incremental solver in the encoder's z3 context.

    ``bit_blast`` (bit-vector encoders only) selects z3's ``QF_BV`` solver,
    which bit-blasts every query into its incremental SAT core instead of
    the general SMT core.  Measured on the BMC unrolling of
    ``kasan-populate-no-pause-xen`` (z3 5.4.1, shared 2-core machine): the
    UNSAT violation query at depth 12 takes 1.0 s instead of 18.4 s, and
    the run reaches its counterexample at depth 19 in 59 s instead of
    running past depth 12 in the same time (lazycheck/engines/bmc.py).
    """

    def __init__(self, encoder: Encoder, bit_blast: bool = False) -> None:
        if bit_blast and encoder.sort is SortKind.BV:
            self._solver = z3.SolverFor("QF_BV", ctx=encoder.ctx)
        else:
            self._solver = z3.Solver(ctx=encoder.ctx)

    def add(self, *formulas: Formula) -> None:
        """Assert ``formulas`` at the current scope."""
        for f in formulas:
            self._solver.add(f.z)

    @contextmanager
    def frame(self) -> Iterator[None]:
        """Assertions added inside the ``with`` block are retracted after it."""
        self._solver.push()
        try:
            yield
        finally:
            self._solver.pop()

    def _check(self, assumptions: list[Any]) -> Any:
        """``Solver.check`` without z3py's per-assumption sort cast (Houdini passes thousands)."""
        arr = (z3.Ast * len(assumptions))(*(a.as_ast() for a in assumptions))
        s = self._solver
        return z3.CheckSatResult(z3.Z3_solver_check_assumptions(
            s.ctx.ref(), s.solver, len(assumptions), arr))

    def check(self, *assumptions: Formula, timeout_s: float | None = None) -> Check:
        """Is the assertion set satisfiable together with ``assumptions``?

        A non-positive ``timeout_s`` returns UNKNOWN without calling z3:
        the budget is already spent.
        """
        if timeout_s is not None:
            if timeout_s <= 0:
                return Check(Status.UNKNOWN, reason="timeout")
            ms = min(max(int(timeout_s * 1000), 1), _MAX_TIMEOUT_MS)
            self._solver.set("timeout", ms)
        try:
            answer = self._check([a.z for a in assumptions])
        except z3.Z3Exception as exc:  # e.g. interrupted, out of memory
            return Check(Status.UNKNOWN, reason=f"z3 error: {exc}")
        if answer == z3.sat:
            return Check(Status.SAT, model=Model(self._solver.model()))
        if answer == z3.unsat:
            return Check(Status.UNSAT, needs_assumptions=len(self._solver.unsat_core()) > 0)
        return Check(Status.UNKNOWN, reason=str(self._solver.reason_unknown()) or "unknown")
