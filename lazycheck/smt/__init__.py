"""The z3 backend: the only package that imports z3.

:mod:`lazycheck.smt.encode` translates a :class:`~lazycheck.system.System`
into terms, :mod:`lazycheck.smt.solver` wraps the incremental solver.
Engines use the typed handles re-exported here.
"""

from __future__ import annotations

from lazycheck.smt.encode import (
    DEFAULT_SORT,
    Encoder,
    Formula,
    SortKind,
    StepVars,
    Term,
    bit_width,
    interval,
)
from lazycheck.smt.solver import Check, Model, SmtSolver, Status

__all__ = [
    "DEFAULT_SORT",
    "Check",
    "Encoder",
    "Formula",
    "Model",
    "SmtSolver",
    "SortKind",
    "Status",
    "StepVars",
    "Term",
    "bit_width",
    "interval",
]
