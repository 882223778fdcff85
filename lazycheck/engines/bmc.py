"""Bounded model checking and k-induction with z3.

:class:`BmcEngine` unrolls the transition relation one step at a time in a
single incremental solver.  At depth ``k`` it asks whether the violation
variable can be non-zero in state ``k``; depths are tried in increasing
order, so the first satisfiable one yields a shortest counterexample, the
same length the explicit engine's BFS finds.  An UNSAT answer at depth
``k`` is kept as a lemma ("state k is not violating"): it is implied by
the assertions already present, so it only prunes.

Exhaustion.  Before the violation check at depth ``k >= 1`` the engine asks
whether any *simple* path (all states pairwise different) of length ``k``
leaves the initial state; the pairwise-distinctness constraints sit behind
an assumption literal so they never constrain the violation query.  If
none exists, every reachable state lies at distance ``< k`` and has been
checked already, so the reachable space is exhausted: PASS with
``exhausted=True``.  This is sound, and it subsumes the cheaper "no action
is enabled at depth k" test (a dead end also leaves no path of length k).
It is not complete -- a system whose longest simple path exceeds the bound
is reported with ``exhausted=False`` even if BFS would exhaust it -- but
``bmc exhausted`` implies ``explicit exhausted`` at the same bound.

:meth:`BmcEngine.prove` adds the inductive step of k-induction with
simple-path constraints, which makes it complete for finite systems given
a large enough ``k``; it never reports a bounded PASS, only a proof, a
counterexample, or UNKNOWN so that the caller can fall back to
:meth:`BmcEngine.check`.

Engines never print; solver ``unknown`` and the time limit become
``Verdict.UNKNOWN`` with a reason, never a PASS.  ``Limits.max_states``
does not apply (there are no explicit states).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from lazycheck.engines.absint import ValueSets
from lazycheck.errors import ReplayError
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import Semantics
from lazycheck.smt import (
    DEFAULT_SORT,
    Check,
    Encoder,
    Model,
    SmtSolver,
    SortKind,
    Status,
    StepVars,
)
from lazycheck.system import System


class _Unrolling:
    """Paths from the initial state, one incremental solver, grown step by step.

    Shared by :meth:`BmcEngine.check` and the base case of
    :meth:`BmcEngine.prove`, so both get identical depth semantics.
    """

    def __init__(self, enc: Encoder) -> None:
        self.enc = enc
        self.solver = SmtSolver(enc)
        first = enc.step_vars(0)
        self.path: list[StepVars] = [first]
        self.simple = enc.literal("simple_path")
        self.solver.add(enc.domain(first), enc.initial(first))
        self.sets = ValueSets(enc.system)

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    def extend(self) -> None:
        """Add state ``depth + 1`` and the transition into it."""
        enc = self.enc
        pre = self.path[-1]
        post = enc.step_vars(len(self.path))
        self.solver.add(enc.domain(post), enc.transition(pre, post))
        # implied by the path (engines/absint.py): prunes, never changes an answer
        self.sets.step()
        self.solver.add(*(enc.negate(enc.fired(pre, n))
                          for n, may in enumerate(self.sets.enabled) if not may))
        self.solver.add(*(enc.within(post, j, vs) for j, vs in enumerate(self.sets.state)
                          if vs is not None and len(vs) < _span(enc.system, j)))
        for earlier in self.path:
            self.solver.add(enc.implies(self.simple, enc.distinct(earlier, post)))
        self.path.append(post)

    def path_exists(self, timeout_s: float) -> Check:
        """Is there a simple path of length ``depth`` from the initial state?"""
        return self.solver.check(self.simple, timeout_s=timeout_s)

    def violation(self, timeout_s: float) -> Check:
        """Can the last state of the unrolling be violating?"""
        return self.solver.check(self.enc.violated(self.path[-1]), timeout_s=timeout_s)

    def block_violation(self) -> None:
        """Record that the last state cannot be violating (after an UNSAT check)."""
        self.solver.add(self.enc.negate(self.enc.violated(self.path[-1])))

    def trace(self, model: Model) -> tuple[int, ...]:
        """The action indices the model fires along the unrolling."""
        return _trace(self.enc, model, self.path[:-1])


def _span(system: System, var: int) -> int:
    """How many values ``var``'s declared range holds."""
    return system.vars[var].hi - system.vars[var].lo + 1


def _trace(enc: Encoder, model: Model, steps: list[StepVars]) -> tuple[int, ...]:
    out: list[int] = []
    n_actions = len(enc.system.actions)
    for at in steps:
        fired = [n for n in range(n_actions) if model.is_true(enc.fired(at, n))]
        if len(fired) != 1:
            raise ReplayError(f"step {at.step + 1}: model fires actions {fired}, not one")
        out.append(fired[0])
    return tuple(out)


def _violation_code(system: System, trace: tuple[int, ...]) -> int:
    """Replay ``trace`` concretely and return the final violation code.

    The replay guards against encoding bugs: a z3 counterexample that does
    not replay to a violating state is an internal error, not a verdict.
    """
    states = Semantics(system).replay(trace)
    code = states[-1][system.violation_var]
    if not code:
        raise ReplayError(f"z3 counterexample of length {len(trace)} replays to a "
                          "non-violating state")
    return code


@dataclass(frozen=True, slots=True)
class _Clock:
    """The overall time budget of one run."""

    start: float
    limit_s: float

    @staticmethod
    def begin(limit_s: float) -> _Clock:
        return _Clock(time.monotonic(), limit_s)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        return self.limit_s - self.elapsed()


def _unknown_reason(check: Check, clock: _Clock, what: str, depth: int) -> str:
    # z3's own timeout ("canceled") can fire a moment before our clock runs out
    if clock.remaining() <= 0 or check.reason == "canceled":
        return f"time limit of {clock.limit_s:g} s reached at depth {depth}"
    return f"z3 returned unknown on the {what} at depth {depth}: {check.reason}"


class BmcEngine:
    """z3 bounded model checker (``check``) and k-induction prover (``prove``).

    ``sort`` selects the z3 sort of state variables; the default was chosen
    by measurement (see :mod:`lazycheck.smt.encode`).
    """

    name = "bmc"

    def __init__(self, sort: SortKind = DEFAULT_SORT) -> None:
        self.sort = sort

    def check(self, system: System, limits: Limits) -> Result:
        clock = _Clock.begin(limits.timeout_s)
        per_depth: list[float] = []

        def stats(depth: int, exhausted: bool = False) -> Stats:
            return Stats(engine=self.name, depth=max(depth, 0), bound=limits.bound,
                         exhausted=exhausted, elapsed_s=clock.elapsed(),
                         per_depth_s=tuple(per_depth))

        unrolling = _Unrolling(Encoder(system, self.sort))
        for k in range(limits.bound + 1):
            t0 = time.monotonic()
            if limits.progress is not None:
                limits.progress(Progress(self.name, k, 0, clock.elapsed()))
            if k > 0:
                unrolling.extend()
                reach = unrolling.path_exists(clock.remaining())
                if reach.status is Status.UNKNOWN:
                    return Result(Verdict.UNKNOWN, stats(k - 1), reason=_unknown_reason(
                        reach, clock, "path-existence check", k))
                if reach.status is Status.UNSAT:
                    per_depth.append(time.monotonic() - t0)
                    return Result(Verdict.PASS, stats(k - 1, exhausted=True))
            found = unrolling.violation(clock.remaining())
            if found.status is Status.UNKNOWN:
                return Result(Verdict.UNKNOWN, stats(k - 1), reason=_unknown_reason(
                    found, clock, "violation check", k))
            if found.status is Status.SAT:
                assert found.model is not None
                trace = unrolling.trace(found.model)
                code = _violation_code(system, trace)
                per_depth.append(time.monotonic() - t0)
                return Result(Verdict.FAIL, stats(k), code, trace)
            unrolling.block_violation()
            per_depth.append(time.monotonic() - t0)
        return Result(Verdict.PASS, stats(limits.bound))

    def prove(self, system: System, limits: Limits) -> Result:
        """k-induction with simple-path constraints, ``k = 0 .. limits.bound``.

        Base case at ``k``: no violating state at distance ``k`` (the BMC
        query, which also yields a real counterexample -> FAIL).  Inductive
        step at ``k``: no simple path of ``k + 1`` in-domain non-violating
        states followed by a violating one, starting anywhere.  If the
        base case holds up to ``k`` and the step at ``k`` is UNSAT, a
        shortest path to a violation (which is simple, and longer than
        ``k``) cannot exist: PASS with ``proved=True``.  Otherwise UNKNOWN
        -- a bounded PASS is the caller's business, not this method's.
        """
        clock = _Clock.begin(limits.timeout_s)
        per_depth: list[float] = []

        def stats(depth: int, proved: bool = False, exhausted: bool = False) -> Stats:
            return Stats(engine="k-induction", depth=max(depth, 0), bound=limits.bound,
                         exhausted=exhausted, proved=proved, elapsed_s=clock.elapsed(),
                         per_depth_s=tuple(per_depth))

        enc = Encoder(system, self.sort)
        base = _Unrolling(enc)
        step = SmtSolver(enc)
        window: list[StepVars] = [enc.step_vars(0, prefix="ind_")]
        step.add(enc.domain(window[0]))
        for k in range(limits.bound + 1):
            t0 = time.monotonic()
            if limits.progress is not None:
                limits.progress(Progress("k-induction", k, 0, clock.elapsed()))
            # base case at k
            if k > 0:
                base.extend()
                reach = base.path_exists(clock.remaining())
                if reach.status is Status.UNKNOWN:
                    return Result(Verdict.UNKNOWN, stats(k - 1), reason=_unknown_reason(
                        reach, clock, "path-existence check", k))
                if reach.status is Status.UNSAT:
                    per_depth.append(time.monotonic() - t0)
                    return Result(Verdict.PASS, stats(k - 1, proved=True, exhausted=True))
            found = base.violation(clock.remaining())
            if found.status is Status.UNKNOWN:
                return Result(Verdict.UNKNOWN, stats(k - 1), reason=_unknown_reason(
                    found, clock, "base case", k))
            if found.status is Status.SAT:
                assert found.model is not None
                trace = base.trace(found.model)
                per_depth.append(time.monotonic() - t0)
                return Result(Verdict.FAIL, stats(k), _violation_code(system, trace), trace)
            base.block_violation()
            # inductive step at k: states 0..k good, state k+1 bad
            last = window[-1]
            nxt = enc.step_vars(k + 1, prefix="ind_")
            step.add(enc.negate(enc.violated(last)), enc.domain(nxt),
                     enc.transition(last, nxt))
            step.add(*(enc.distinct(earlier, nxt) for earlier in window))
            window.append(nxt)
            inductive = step.check(enc.violated(nxt), timeout_s=clock.remaining())
            per_depth.append(time.monotonic() - t0)
            if inductive.status is Status.UNKNOWN:
                return Result(Verdict.UNKNOWN, stats(k), reason=_unknown_reason(
                    inductive, clock, "inductive step", k))
            if inductive.status is Status.UNSAT:
                return Result(Verdict.PASS, stats(k, proved=True))
        return Result(Verdict.UNKNOWN, stats(limits.bound),
                      reason=f"k-induction did not close up to k={limits.bound}")


class BmcProver:
    """``--engine bmc``: bounded model checking, and for a bounded PASS a k-induction proof."""

    name = "bmc"

    def check(self, system: System, limits: Limits) -> Result:
        """BMC's verdict; a PASS short of exhaustion is proved by k-induction when it closes."""
        bmc = BmcEngine()
        result = bmc.check(system, limits)
        if result.verdict is not Verdict.PASS or result.stats.exhausted:
            return result
        left = max(1.0, limits.timeout_s - result.stats.elapsed_s)
        proof = bmc.prove(system, dataclasses.replace(limits, timeout_s=left))
        if proof.verdict is Verdict.PASS and proof.stats.proved:
            stats = dataclasses.replace(result.stats, proved=True,
                                        elapsed_s=result.stats.elapsed_s + proof.stats.elapsed_s)
            return dataclasses.replace(result, stats=stats)
        return result
