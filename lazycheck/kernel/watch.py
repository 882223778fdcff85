"""What each property watches: the state that must occur for a PASS to mean anything.

A property can only fail in states where what it watches is true: the
mode properties need some task or CPU in lazy MMU mode, the write-order
properties a PTE write that has not yet taken effect, preempt-balanced a
raised preempt_count.  If an exhaustive exploration never meets that state,
the property held trivially (a weak arch model, a scenario that never
enters a section).  The world attaches these predicates to the system; the
explicit engine records which ones ever held (``Result.watched``) and
:func:`lazycheck.run.verify.coverage_of` reports the others.
"""

from __future__ import annotations

from lazycheck.kernel.symexec import Context, Exec, Shared, truth
from lazycheck.system import BinOp, Const, Expr, Var, disj, simplify_binary

MODE_ON = "lazy MMU mode is on for some task or CPU"
WRITE_PENDING = "a PTE write has not yet taken effect"
PREEMPT_RAISED = "preempt_count is raised"

# property id -> the kind of state it watches (properties not listed are never vacuous
# in this sense: a BUG_ON, a warning or a sleep is an event, not a state)
WATCHED: dict[str, str] = {
    "mode-off-after-outermost": MODE_ON,
    "visible-after-disable": WRITE_PENDING,
    "no-deferred-write-outside-section": WRITE_PENDING,
    "flush-after-visible": WRITE_PENDING,
    "preempt-balanced": PREEMPT_RAISED,
}


def watches(sh: Shared) -> tuple[tuple[str, Expr], ...]:
    """(property id, state predicate) for every checked property that watches a state."""
    lay, w = sh.lay, sh.world
    ex = Exec(sh, Context(Const(0), Const(0), Const(0), False))
    states = {
        MODE_ON: disj(
            *(ex.lazy(Const(t), Var(w.cpu_of + t)) for t in range(lay.ntasks)),
            *(truth(ex.pure("lazy_mmu_cpu", (Const(c),))) for c in range(lay.ncpus))),
        WRITE_PENDING: disj(*(Var(w.wflag + i) for i in range(lay.nwriters * lay.nptes))),
        PREEMPT_RAISED: disj(*(simplify_binary(BinOp.GT, Var(w.preempt_count + t), Const(0))
                               for t in range(lay.ntasks))),
    }
    return tuple((p, states[WATCHED[p]]) for p in sorted(sh.checked) if p in WATCHED)
