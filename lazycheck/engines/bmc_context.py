"""Context-bounded BMC: one unrolling step is a whole context of one actor.

The step encoding of :mod:`lazycheck.engines.bmc` spends one depth on
every action, so a counterexample of 25 statements needs 25 depths, and
every depth lets every CPU's task, every switch and every interrupt move:
the interleavings, not the statements, are what z3 pays for.  Here depth
``d`` is the number of *contexts* (in the spirit of Lal and Reps'
context-bounded analysis): a context is a run of at most ``micro``
consecutive actions of one actor (:func:`lazycheck.smt.encode.actors`: a
task together with the switches that bring it in, or one CPU's interrupt
arrivals and handler steps), composed symbolically inside one step.  Each
micro-step of a context either fires an action of the context's actor or,
once the context has ended, stutters; a context fires at least one action.

Soundness and completeness at the bound.  Every path of the unrolling is a
run of the system (the micro-steps are the ordinary step relation), so a
satisfiable violation query is a real counterexample; it is expanded into
the ordinary one-action-per-step trace and replayed on the explicit
semantics.  The total number of actions is capped at ``limits.bound``.  A
run of at most ``N`` actions splits into at most ``N`` contexts (each
non-empty, none longer than ``micro``), so when depth ``N`` is UNSAT no
violation exists within ``N`` steps: the same bounded PASS as the step
encoding, though only reached at depth ``N``.  Earlier, the same PASS
follows when no path of ``d`` contexts exists at all within the cap (every
run of at most ``N`` actions has fewer contexts, and all of those were
checked): a probe asks that on a share of the time.  The encoding never
claims exhaustion (runs longer than the cap were never checked).

The trace is the fewest contexts first, then (by descending the action
count under assumptions, for a share of the search's time:
:func:`_shorten_budget`) as few actions as z3 finds among runs with that
many contexts; it can be longer than the explicit engine's breadth-first
shortest counterexample, never shorter.
"""

from __future__ import annotations

import threading
import time

from lazycheck.engines.absint import ValueSets
from lazycheck.engines.bmc_symmetry import break_symmetry
from lazycheck.errors import ReplayError
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import Semantics
from lazycheck.smt import Check, Encoder, Model, SmtSolver, Status, StepVars, Term
from lazycheck.system import System

# micro-steps per context; measured in bench/smt.py (docs/proofs.md)
DEFAULT_MICRO = 12


class ContextUnrolling:
    """Contexts from the initial state in one incremental solver, one context per depth."""

    def __init__(self, enc: Encoder, micro: int, max_steps: int, symmetry: bool = False) -> None:
        self.enc, self.micro, self.max_steps = enc, micro, max_steps
        self.solver = SmtSolver(enc, bit_blast=True)
        self.states: list[StepVars] = [enc.context_vars(1, 0)]  # every micro-state, in order
        self.boundaries: list[StepVars] = [self.states[0]]  # the state after each context
        self.solver.add(enc.domain(self.states[0]), enc.initial(self.states[0]))
        if symmetry:  # the first action is the least of its orbit (engines/bmc_symmetry.py)
            self.solver.add(*break_symmetry(enc, self.states[0]))
        self.sets = ValueSets(enc.system)  # micro-state p is reachable in <= p actions
        self.actors: list[Term] = []

    @property
    def depth(self) -> int:
        """How many contexts the unrolling has."""
        return len(self.boundaries) - 1

    def extend(self) -> None:
        """Add one context: ``micro`` micro-steps of one actor, stuttering once stopped."""
        enc = self.enc
        d = self.depth + 1
        actor = enc.context_actor(d)
        pre = self.states[-1]
        self.solver.add(enc.negate(enc.stopped(pre)))  # a context fires at least one action
        if self.actors:  # the same actor again only after a full context (else merge them)
            self.solver.add(enc.implies(enc.equal(actor, self.actors[-1]),
                                        enc.negate(enc.stopped(self.states[-2]))))
        self.actors.append(actor)
        for sub in range(1, self.micro + 1):
            post = enc.context_vars(d + 1, 0) if sub == self.micro else enc.context_vars(d, sub)
            self.solver.add(enc.domain(post), enc.context_transition(pre, post, actor))
            if sub < self.micro:
                self.solver.add(enc.implies(enc.stopped(pre), enc.stopped(post)))
            self._prune(pre, post)
            self.states.append(post)
            pre = post
        self.boundaries.append(pre)
        self.solver.add(enc.steps_at_most(self.fired_slots(), self.max_steps))

    def _prune(self, pre: StepVars, post: StepVars) -> None:
        """Facts of the abstract interpretation (engines/absint.py): prune, never change answers."""
        enc, sets = self.enc, self.sets
        sets.step()
        self.solver.add(*(enc.negate(enc.fired(pre, n))
                          for n, may in enumerate(sets.enabled) if not may))
        self.solver.add(*(enc.within(post, j, vs) for j, vs in enumerate(sets.state)
                          if vs is not None
                          and len(vs) < enc.system.vars[j].hi - enc.system.vars[j].lo + 1))

    def fired_slots(self) -> list[StepVars]:
        """The micro-states whose selector names an action of the unrolling (all but the last)."""
        return self.states[:-1]

    def violation(self, timeout_s: float, at_most: int | None = None) -> Model | Check:
        """A model whose last boundary violates (with at most ``at_most`` actions), or why not."""
        enc = self.enc
        extra = [] if at_most is None else [enc.steps_at_most(self.fired_slots(), at_most)]
        found = self.solver.check(enc.violated(self.boundaries[-1]), *extra,
                                  timeout_s=timeout_s)
        if found.status is Status.SAT:
            assert found.model is not None
            return found.model
        return found

    def no_longer_run(self, timeout_s: float) -> Status:
        """Is there no path at all of ``depth`` contexts (within the action cap)?

        UNSAT means every run of at most ``max_steps`` actions has fewer
        contexts (its first ``depth`` contexts would be such a path), so the
        violation queries of the depths before covered all of them.
        """
        return self.solver.check(timeout_s=timeout_s).status

    def block_violation(self) -> None:
        """Record that the last boundary cannot be violating (after an UNSAT check)."""
        self.solver.add(self.enc.negate(self.enc.violated(self.boundaries[-1])))

    def trace(self, model: Model) -> tuple[int, ...]:
        """The actions the model fires, one per step, stutters left out."""
        out: list[int] = []
        n_actions = len(self.enc.system.actions)
        for at in self.fired_slots():
            n = model.value(self.enc.selected(at))
            if n == self.enc.stop:
                continue
            if not 0 <= n < n_actions:
                raise ReplayError(f"context {at.step}: model selects action {n} of {n_actions}")
            out.append(n)
        return tuple(out)

    def shortest(self, model: Model, deadline: float) -> tuple[int, ...]:
        """The model's trace, shortened while z3 finds one with fewer actions in time."""
        best = self.trace(model)
        while best and time.monotonic() < deadline:
            found = self.violation(deadline - time.monotonic(), at_most=len(best) - 1)
            if not isinstance(found, Model):
                break
            best = self.trace(found)
        return best


class ContextBmc:
    """``BmcEngine(encoding=CONTEXT)``: look for a violation after 1, 2, ... contexts."""

    name = "bmc"

    def __init__(self, enc: Encoder, micro: int = DEFAULT_MICRO) -> None:
        self.enc, self.micro = enc, micro

    def check(self, system: System, limits: Limits,
              cancel: threading.Event | None = None) -> Result:
        """Contexts ``1 .. limits.bound`` (a PASS only at the bound), or a counterexample.

        Once ``cancel`` is set the time budget counts as spent.
        """
        start = time.monotonic()

        def left() -> float:
            spent = cancel is not None and cancel.is_set()
            return -1.0 if spent else limits.timeout_s - (time.monotonic() - start)

        per_depth: list[float] = []

        def stats(depth: int) -> Stats:
            return Stats(engine=self.name, depth=max(depth, 0), bound=limits.bound,
                         elapsed_s=time.monotonic() - start, per_depth_s=tuple(per_depth))

        unrolling = ContextUnrolling(self.enc, self.micro, limits.bound, limits.symmetry)
        probe = _Probe()
        if system.init[system.violation_var]:
            return Result(Verdict.FAIL, stats(0), system.init[system.violation_var], ())
        for d in range(1, limits.bound + 1):
            t0 = time.monotonic()
            if limits.progress is not None:
                limits.progress(Progress(self.name, d, 0, t0 - start))
            if left() > 0:  # no new context once the budget is spent (building one takes s)
                unrolling.extend()
            found = unrolling.violation(left())
            if isinstance(found, Model):
                shorten = min(max(left(), 0.0), _shorten_budget(time.monotonic() - start))
                trace = unrolling.shortest(found, time.monotonic() + shorten)
                per_depth.append(time.monotonic() - t0)
                return Result(Verdict.FAIL, stats(len(trace)), _code(system, trace), trace)
            if found.status is Status.UNKNOWN:
                out_of_time = left() <= 0 or found.reason in ("timeout", "canceled")
                why = (f"time limit of {limits.timeout_s:g} s reached" if out_of_time
                       else f"z3 returned unknown ({found.reason})")
                return Result(Verdict.UNKNOWN, stats(d - 1), reason=f"{why} after {d - 1} "
                              f"contexts of up to {self.micro} steps")
            unrolling.block_violation()
            per_depth.append(time.monotonic() - t0)
            if probe.covered(unrolling, left()):
                return Result(Verdict.PASS, stats(limits.bound))
        return Result(Verdict.PASS, stats(limits.bound))


class _Probe:
    """The "no path of this many contexts" check, on a share of the time spent.

    Like the step encoding's simple-path probe (engines/bmc.py): it only
    ever adds a PASS, so it runs while the probes so far took at most
    :data:`_PROBE_SHARE` of the time spent (or under :data:`_PROBE_MIN_S`),
    each capped at that share; one that runs out of its cap stops the
    probing for good.
    """

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.spent = 0.0
        self.on = True

    def covered(self, unrolling: ContextUnrolling, left: float) -> bool:
        """Whether no run of at most the bound's actions has ``depth`` contexts."""
        cap = max(_PROBE_MIN_S, _PROBE_SHARE * (time.monotonic() - self.start))
        if not self.on or self.spent > cap or left <= 0:
            return False
        t0 = time.monotonic()
        status = unrolling.no_longer_run(min(left, cap))
        self.spent += time.monotonic() - t0
        self.on = status is not Status.UNKNOWN
        return status is Status.UNSAT


_PROBE_SHARE = 0.2
_PROBE_MIN_S = 1.0

# shortening a counterexample gets this share of the search's time (at least the minimum, s)
_SHORTEN_SHARE = 0.25
_SHORTEN_MIN_S = 0.5


def _shorten_budget(spent_s: float) -> float:
    """Seconds to spend shortening a counterexample found after ``spent_s`` seconds.

    Shortening is a courtesy (any counterexample is a FAIL; the trace is
    never shorter than the explicit engine's either way), and its last
    query, the UNSAT one that shows no shorter run exists, can cost as much
    as the search (measured: 2.6 s of 6.4 s of CPU for the 27-step
    counterexample of ``kasan-depopulate-no-pause-xen``), so it gets a
    share of the time the search took.
    """
    return max(_SHORTEN_MIN_S, _SHORTEN_SHARE * spent_s)


def _code(system: System, trace: tuple[int, ...]) -> int:
    """Replay ``trace`` on the explicit semantics; its final violation code (non-zero)."""
    code = Semantics(system).replay(trace)[-1][system.violation_var]
    if not code:
        raise ReplayError(f"z3 counterexample of length {len(trace)} (context encoding) "
                          "replays to a non-violating state")
    return code
