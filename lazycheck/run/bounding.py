"""Preemption bounding as a transform of the :class:`~lazycheck.system.System`.

Kernel concurrency bugs need few preemptions (the CHESS observation), so a
check may bound how many *involuntary* context switches and how many
interrupt arrivals a behaviour contains.  The bound is not a feature of
one engine: :func:`bound_system` adds one ghost counter per bound to the
state vector and guards the counted actions with it, and every engine
checks the transformed system.  The explicit engine and BMC therefore
agree on the bound by construction, and a trace from either replays
through the one concrete semantics like any other.

What is counted:

* ``preemptions``: a ``SWITCH`` whose :attr:`~lazycheck.system.Action.preemption`
  condition holds in the pre-state -- the outgoing task is switched out
  mid-program, not at its end or at a schedule point of its program
  (``schedule()``, ``cond_resched()``).  Switches from the idle task, from a
  finished task and at schedule points are free.
* ``interrupts``: every ``IRQ_ENTRY``, on any CPU.  The handler's own steps
  are free (it runs to completion once it has arrived).

A PASS on the transformed system means "no violation with at most K
preemptions (and at most J interrupts)": the verdict names the bound
(:attr:`~lazycheck.system.System.bounded_by`).  A FAIL is a real
counterexample of the untransformed system as well: the counters are ghost
state that the model never reads, so dropping them from a trace leaves a
valid run.
"""

from __future__ import annotations

import dataclasses

from lazycheck.system import (
    FALSE,
    Action,
    ActionKind,
    Assign,
    BinOp,
    Const,
    Expr,
    StateVar,
    System,
    Var,
    VarKind,
    conj,
    disj,
    ite,
    neg,
    simplify_binary,
)

PREEMPTIONS = "preemptions"
INTERRUPTS = "interrupts"


def _counted(action: Action, what: str) -> Expr:
    """The pre-state condition under which ``action`` uses one unit of bound ``what``."""
    if what == PREEMPTIONS:
        return action.preemption if action.kind is ActionKind.SWITCH else FALSE
    return Const(1) if action.kind is ActionKind.IRQ_ENTRY else FALSE


def _guarded(action: Action, counter: int, limit: int, what: str) -> Action:
    """``action`` with its use of ``what`` charged to the counter at ``counter``."""
    uses = _counted(action, what)
    if uses == FALSE:
        return action
    room = simplify_binary(BinOp.LT, Var(counter), Const(limit))
    plus = simplify_binary(BinOp.ADD, Var(counter), Const(1))
    guard = conj(action.guard, disj(neg(uses), room))
    bump = Assign(counter, ite(uses, plus, Var(counter)))
    return dataclasses.replace(action, guard=guard, updates=(*action.updates, bump))


def bound_system(system: System, preemptions: int | None = None,
                 interrupts: int | None = None) -> System:
    """``system`` restricted to behaviours within the given bounds (``None``: unbounded)."""
    limits = [(w, k) for w, k in ((PREEMPTIONS, preemptions), (INTERRUPTS, interrupts))
              if k is not None]
    if not limits:
        return system
    vars_ = list(system.vars)
    init = list(system.init)
    index = dict(system.var_index)
    actions = list(system.actions)
    for what, k in limits:
        if k < 0:
            raise ValueError(f"a {what} bound must be >= 0, not {k}")
        at = len(vars_)
        vars_.append(StateVar(f"bound.{what}", 0, k, VarKind.GHOST))
        init.append(0)
        index[f"bound.{what}"] = at
        actions = [_guarded(a, at, k, what) for a in actions]
    return dataclasses.replace(
        system, vars=tuple(vars_), init=tuple(init), actions=tuple(actions),
        var_index=index, bounded_by=(*system.bounded_by, *limits))

