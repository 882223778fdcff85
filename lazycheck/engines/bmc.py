"""Bounded model checking and k-induction with z3.

:class:`BmcEngine` unrolls the transition relation one step at a time in a
single incremental solver.  At depth ``k`` it asks whether the violation
variable can be non-zero in state ``k``; depths are tried in increasing
order, so the first satisfiable one yields a shortest counterexample, the
same length the explicit engine's BFS finds.  An UNSAT answer at depth
``k`` is kept as a lemma ("state k is not violating"): it is implied by
the assertions already present, so it only prunes.

Exhaustion.  Before the violation check at depth ``k >= 1`` the engine asks
whether any path of length ``k`` leaves the initial state at all (in the
main solver, with no extra constraint), and if one does, whether a *simple*
one does (all states pairwise different; in a second solver, so that the
quadratic distinctness constraints never weigh on the violation queries).
If none exists, every reachable state lies at distance ``< k`` and has been
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
import enum
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass

from lazycheck.engines.absint import ValueSets
from lazycheck.engines.bmc_context import DEFAULT_MICRO, ContextBmc
from lazycheck.engines.bmc_symmetry import break_symmetry
from lazycheck.errors import ReplayError
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.semantics import Semantics
from lazycheck.smt import (
    DEFAULT_SORT,
    Check,
    Encoder,
    Formula,
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
    :meth:`BmcEngine.prove`, so both get identical depth semantics.  The
    simple-path constraints of the exhaustion probe live in a second solver
    (:class:`_SimplePaths`), built only while that probe runs: kept in the
    main solver, even behind an assumption literal, their quadratic number
    of disequalities slowed every violation query (measured: 3.1 s instead
    of 1.1 s of CPU for the 26-step counterexample of
    ``xen-g3-mc-entry-irqs-on``).
    """

    def __init__(self, enc: Encoder, reduce: bool = True, symmetry: bool = False) -> None:
        self.enc = enc
        self.reduce = reduce  # peephole partial-order reduction (Encoder.ordered)
        self.solver = SmtSolver(enc, bit_blast=True)
        first = enc.step_vars(0)
        self.path: list[StepVars] = [first]
        self.facts: list[list[Formula]] = [[enc.domain(first), enc.initial(first)]]
        if symmetry:  # the first action is the least of its orbit (engines/bmc_symmetry.py)
            self.facts[0].extend(break_symmetry(enc, first))
        self.solver.add(*self.facts[0])
        self.plain = _ProbeBudget(_PLAIN_SHARE, for_good=False)  # "any path of length depth?"
        self.simple_budget = _ProbeBudget(_PROBE_SHARE)  # "... a simple one?"
        self.simple: _SimplePaths | None = None  # the second solver, while the probe needs it
        self.sets = ValueSets(enc.system)

    @property
    def depth(self) -> int:
        """How many transitions the unrolling has."""
        return len(self.path) - 1

    def extend(self) -> None:
        """Add state ``depth + 1`` and the transition into it."""
        enc = self.enc
        pre = self.path[-1]
        post = enc.step_vars(len(self.path))
        facts = [enc.domain(post), enc.transition(pre, post)]
        # implied by the path (engines/absint.py): prunes, never changes an answer
        self.sets.step()
        facts.extend(enc.negate(enc.fired(pre, n))
                     for n, may in enumerate(self.sets.enabled) if not may)
        facts.extend(enc.within(post, j, vs) for j, vs in enumerate(self.sets.state)
                     if vs is not None and len(vs) < _span(enc.system, j))
        if self.reduce and len(self.path) >= 2:
            facts.append(enc.ordered(self.path[-2], pre))
        self.solver.add(*facts)
        self.facts.append(facts)
        self.path.append(post)

    def path_exists(self, timeout_s: float) -> Check:
        """Is there any path of length ``depth`` from the initial state (in the main solver)?"""
        return self.solver.check(timeout_s=timeout_s)

    def exhausted(self, clock: _Clock) -> bool | None:
        """Whether no (simple) path of length ``depth`` exists (the space is exhausted).

        First the plain question "is there a path of length ``depth`` at
        all?" in the main solver (cheap: no extra constraint); UNSAT
        means every run is shorter.  When there is one, the same question
        for *simple* paths, in the second solver.  Either UNSAT is sound:
        every reachable state lies on a shortest path, which is simple, so
        all of them lie at distance ``< depth`` and were checked.  The
        probes only ever add a PASS*, so each kind gets a share of the
        budget (:class:`_ProbeBudget`); skipping a probe only delays the
        exhaustion claim to a later depth.  A simple-path probe that gives
        up ends the simple-path probing for good, not the plain one (which
        is what finds the end of the runs, e.g. ``sparc64-g3`` with
        ``--preemptions 2`` has no run of 25 steps).  None: the whole budget is spent.
        """
        plain = self.plain.ask(clock, self.path_exists)
        if plain is not Status.SAT or not self.simple_budget.on:
            return self._answer(plain, clock)
        if self.simple is None:
            self.simple = _SimplePaths(self.enc)
        simple = self.simple_budget.ask(clock, self._simple_check)
        if simple is Status.UNKNOWN and not self.simple_budget.on:
            self.simple = None  # free the second solver
        return self._answer(simple, clock)

    def _simple_check(self, timeout_s: float) -> Check:
        assert self.simple is not None
        self.simple.catch_up(self)
        return self.simple.check(timeout_s)

    @staticmethod
    def _answer(status: Status | None, clock: _Clock) -> bool | None:
        if status is Status.UNKNOWN and clock.remaining() <= 0:
            return None
        return status is Status.UNSAT

    def violation(self, timeout_s: float) -> Check:
        """Can the last state of the unrolling be violating?"""
        return self.solver.check(self.enc.violated(self.path[-1]), timeout_s=timeout_s)

    def block_violation(self) -> None:
        """Record that the last state cannot be violating (after an UNSAT check)."""
        fact = self.enc.negate(self.enc.violated(self.path[-1]))
        self.solver.add(fact)
        self.facts[-1].append(fact)
        if self.simple is not None and self.simple.copied == len(self.path):
            self.simple.solver.add(fact)  # else catch_up copies it with the state

    def trace(self, model: Model) -> tuple[int, ...]:
        """The action indices the model fires along the unrolling."""
        return _trace(self.enc, model, self.path[:-1])


class _ProbeBudget:
    """One kind of exhaustion probe and its share of the time.

    A probe runs only while the probes of its kind so far took at most
    ``share`` of the time spent (or under :data:`_PROBE_MIN_S` in all: small
    systems exhaust at the first depth they can), each under a cap of that
    share (at least :data:`_PROBE_MIN_S`).  With ``for_good``, once a probe
    runs out of its cap, or z3 gives up on it, its kind is off for good.
    """

    def __init__(self, share: float, for_good: bool = True) -> None:
        self.share = share
        self.for_good = for_good  # an UNKNOWN ends this kind of probe
        self.on = True
        self.spent = 0.0

    def ask(self, clock: _Clock, query: Callable[[float], Check]) -> Status | None:
        """``query``'s answer under this kind's cap; None when the probe is skipped."""
        share = max(_PROBE_MIN_S, self.share * clock.elapsed())
        if not self.on or self.spent > share:
            return None
        start = time.monotonic()
        status = query(min(clock.remaining(), share)).status
        self.spent += time.monotonic() - start
        if status is Status.UNKNOWN and clock.remaining() > 0 and self.for_good:
            self.on = False
        return status


class _SimplePaths:
    """The exhaustion probe's second solver: the unrolling's facts plus "all states differ"."""

    def __init__(self, enc: Encoder) -> None:
        self.enc = enc
        self.solver = SmtSolver(enc, bit_blast=True)
        self.copied = 0  # how many states of the unrolling it holds

    def catch_up(self, unrolling: _Unrolling) -> None:
        """Copy the states (and their facts) the unrolling has gained since the last call."""
        path = unrolling.path
        for i in range(self.copied, len(path)):
            self.solver.add(*unrolling.facts[i])
            self.solver.add(*(self.enc.distinct(earlier, path[i]) for earlier in path[:i]))
        self.copied = len(path)

    def check(self, timeout_s: float) -> Check:
        """Is there a simple path of the unrolling's length?"""
        return self.solver.check(timeout_s=timeout_s)


# the simple-path probes' share of the time spent so far, and a probe's minimum cap (s);
# a tenth, not a fifth: on a FAIL target every probe is time lost (measured:
# xen-g3-mc-flush-irq-enable, 39 steps, 6.4-6.9 s of CPU with two fifths, 4.3 s with two
# tenths), and with a preemption bound runs end, which the plain probe sees
_PROBE_SHARE = 0.1
_PROBE_MIN_S = 1.0
# the plain "any path?" probe's share.  When a model's runs end it is what ends the
# search, so it is never switched off for good (sparc64-g3 with --preemptions 2: once
# off after one probe ran out of its cap, the search ran on to its bound of 60; now it
# exhausts at depth 21-28).  The violation query's empty core (BmcEngine._check) sees
# the same a depth or a few later, so this share stays small.
_PLAIN_SHARE = 0.1


def _span(system: System, var: int) -> int:
    """How many values ``var``'s declared range holds."""
    return system.vars[var].hi - system.vars[var].lo + 1


def _trace(enc: Encoder, model: Model, steps: list[StepVars]) -> tuple[int, ...]:
    out: list[int] = []
    n_actions = len(enc.system.actions)
    for at in steps:
        n = model.value(enc.selected(at))
        if not 0 <= n < n_actions:
            raise ReplayError(f"step {at.step + 1}: model selects action {n} of {n_actions}")
        out.append(n)
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
    """The overall time budget of one run (spent at once when ``cancel`` is set)."""

    start: float
    limit_s: float
    cancel: threading.Event | None = None

    @staticmethod
    def begin(limit_s: float, cancel: threading.Event | None = None) -> _Clock:
        """Start the clock for a budget of ``limit_s`` seconds."""
        return _Clock(time.monotonic(), limit_s, cancel)

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left in the budget (negative once it is spent or cancelled)."""
        if self.cancel is not None and self.cancel.is_set():
            return -1.0
        return self.limit_s - self.elapsed()


def _extended(unrolling: _Unrolling, clock: _Clock) -> bool:
    """Extend the unrolling by one step if time is left; whether it was."""
    if clock.remaining() <= 0:
        return False
    unrolling.extend()
    return True


def _unknown_reason(check: Check, clock: _Clock, what: str, depth: int) -> str:
    # z3's own timeout ("canceled") can fire a moment before our clock runs out
    if clock.remaining() <= 0 or check.reason == "canceled":
        return f"time limit of {clock.limit_s:g} s reached at depth {depth}"
    return f"z3 returned unknown on the {what} at depth {depth}: {check.reason}"


class BmcEncoding(enum.Enum):
    """What one depth of the unrolling is."""

    STEP = "step"  # one action (the explicit engine's depth; shortest counterexamples)
    CONTEXT = "context"  # one context of one actor (lazycheck.engines.bmc_context)
    HYBRID = "hybrid"  # both, interleaved by time spent: the first answer wins


class BmcEngine:
    """z3 bounded model checker (``check``) and k-induction prover (``prove``).

    ``sort`` selects the z3 sort of state variables; the default was chosen
    by measurement (see :mod:`lazycheck.smt.encode`).  ``encoding`` selects
    what a depth is; ``micro`` is the context encoding's actions per context.
    """

    name = "bmc"

    def __init__(self, sort: SortKind = DEFAULT_SORT, encoding: BmcEncoding = BmcEncoding.STEP,
                 micro: int = DEFAULT_MICRO) -> None:
        self.sort = sort
        self.encoding = encoding
        self.micro = micro

    def check(self, system: System, limits: Limits) -> Result:
        """Bounded model check: look for a violation at depth 0, 1, ... up to the bound."""
        if self.encoding is BmcEncoding.CONTEXT:
            return ContextBmc(Encoder(system, self.sort), self.micro).check(system, limits)
        if self.encoding is BmcEncoding.HYBRID:
            return _hybrid(system, limits, self.sort, self.micro)
        return self._check(system, limits, Encoder(system, self.sort),
                           _Clock.begin(limits.timeout_s))

    def _check(self, system: System, limits: Limits, enc: Encoder, clock: _Clock) -> Result:
        """The step encoding's loop (``check``), on a given encoder and clock."""
        per_depth: list[float] = []

        def stats(depth: int, exhausted: bool = False) -> Stats:
            return Stats(engine=self.name, depth=max(depth, 0), bound=limits.bound,
                         exhausted=exhausted, elapsed_s=clock.elapsed(),
                         per_depth_s=tuple(per_depth))

        unrolling = _Unrolling(enc, symmetry=limits.symmetry)
        for k in range(limits.bound + 1):
            t0 = time.monotonic()
            if limits.progress is not None:
                limits.progress(Progress(self.name, k, 0, clock.elapsed()))
            if k > 0:
                # no new copy of the step relation once the budget is spent (under load
                # building one took seconds: the hybrid overran its budget by as much)
                done = unrolling.exhausted(clock) if _extended(unrolling, clock) else None
                if done is None:
                    return Result(Verdict.UNKNOWN, stats(k - 1),
                                  reason=f"time limit of {clock.limit_s:g} s reached at depth {k}")
                if done:
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
            per_depth.append(time.monotonic() - t0)
            if k > 0 and not found.needs_assumptions:  # no path of length k at all
                return Result(Verdict.PASS, stats(k - 1, exhausted=True))
            unrolling.block_violation()
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
        return _KInduction(system, limits, Encoder(system, self.sort)).run()


class _KInduction:
    """One k-induction run: the base-case unrolling, the step solver, the clock."""

    def __init__(self, system: System, limits: Limits, enc: Encoder) -> None:
        self.system, self.limits, self.enc = system, limits, enc
        self.clock = _Clock.begin(limits.timeout_s)
        self.per_depth: list[float] = []
        self.base = _Unrolling(enc, symmetry=limits.symmetry)
        self.step = SmtSolver(enc, bit_blast=True)
        self.window: list[StepVars] = [enc.step_vars(0, prefix="ind_")]
        self.step.add(enc.domain(self.window[0]))

    def stats(self, depth: int, proved: bool = False, exhausted: bool = False) -> Stats:
        """How far the proof got."""
        return Stats(engine="k-induction", depth=max(depth, 0), bound=self.limits.bound,
                     exhausted=exhausted, proved=proved, elapsed_s=self.clock.elapsed(),
                     per_depth_s=tuple(self.per_depth))

    def run(self) -> Result:
        """Base case and inductive step for ``k = 0 .. bound``, until one decides."""
        limits = self.limits
        for k in range(limits.bound + 1):
            t0 = time.monotonic()
            if limits.progress is not None:
                limits.progress(Progress("k-induction", k, 0, self.clock.elapsed()))
            decided = self.base_case(k, t0)
            if decided is None:
                decided = self.inductive_step(k, t0)
            if decided is not None:
                return decided
        return Result(Verdict.UNKNOWN, self.stats(limits.bound),
                      reason=f"k-induction did not close up to k={limits.bound}")

    def base_case(self, k: int, t0: float) -> Result | None:
        """No violating state at distance ``k``: None, or the verdict if it decides."""
        base, clock = self.base, self.clock
        if k > 0:
            base.extend()
            done = base.exhausted(clock)
            if done is None:
                return Result(Verdict.UNKNOWN, self.stats(k - 1),
                              reason=f"time limit of {clock.limit_s:g} s reached at depth {k}")
            if done:
                self.per_depth.append(time.monotonic() - t0)
                return Result(Verdict.PASS, self.stats(k - 1, proved=True, exhausted=True))
        found = base.violation(clock.remaining())
        if found.status is Status.UNKNOWN:
            return Result(Verdict.UNKNOWN, self.stats(k - 1), reason=_unknown_reason(
                found, clock, "base case", k))
        if found.status is Status.SAT:
            assert found.model is not None
            trace = base.trace(found.model)
            self.per_depth.append(time.monotonic() - t0)
            return Result(Verdict.FAIL, self.stats(k), _violation_code(self.system, trace),
                          trace)
        base.block_violation()
        return None

    def inductive_step(self, k: int, t0: float) -> Result | None:
        """States ``0..k`` good and state ``k+1`` bad on a simple path: UNSAT proves it."""
        enc, window = self.enc, self.window
        last = window[-1]
        nxt = enc.step_vars(k + 1, prefix="ind_")
        self.step.add(enc.negate(enc.violated(last)), enc.domain(nxt),
                      enc.transition(last, nxt))
        self.step.add(*(enc.distinct(earlier, nxt) for earlier in window))
        window.append(nxt)
        inductive = self.step.check(enc.violated(nxt), timeout_s=self.clock.remaining())
        self.per_depth.append(time.monotonic() - t0)
        if inductive.status is Status.UNKNOWN:
            return Result(Verdict.UNKNOWN, self.stats(k), reason=_unknown_reason(
                inductive, self.clock, "inductive step", k))
        if inductive.status is Status.UNSAT:
            return Result(Verdict.PASS, self.stats(k, proved=True))
        return None


def _hybrid(system: System, limits: Limits, sort: SortKind, micro: int) -> Result:
    """Both encodings at once, one thread each (z3 runs outside the GIL); first verdict wins.

    The step encoding finds short counterexamples and exhausted spaces, the
    context encoding deep counterexamples; whichever answers first (not
    UNKNOWN) is the result, and the other is cancelled (its clock reads
    "time is up" and its z3 context is interrupted).  Each runs in its own
    z3 context, so nothing is shared but the cancel event.
    """
    cancel = threading.Event()
    step_enc, ctx_enc = Encoder(system, sort), Encoder(system, sort)
    quiet = dataclasses.replace(limits, progress=None)  # progress from one thread only

    def step() -> Result:
        return BmcEngine(sort)._check(system, limits, step_enc, _Clock.begin(limits.timeout_s,
                                                                              cancel))

    def context() -> Result:
        return ContextBmc(ctx_enc, micro).check(system, quiet, cancel)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="bmc") as pool:
        todo = {pool.submit(step): step_enc, pool.submit(context): ctx_enc}
        try:
            results = []
            for fut in as_completed(todo):
                results.append(fut.result())
                if results[-1].verdict is not Verdict.UNKNOWN:
                    return results[-1]
            return max(results, key=lambda r: r.stats.depth)
        finally:
            cancel.set()
            for fut, enc in todo.items():
                while not fut.done():
                    enc.interrupt()
                    wait([fut], timeout=0.05)


class BmcProver:
    """``--engine bmc``: contexts for a counterexample, steps for a bounded PASS, k-induction.

    The context encoding (:mod:`lazycheck.engines.bmc_context`) reaches deep
    counterexamples in few depths but needs depth ``N`` contexts to cover
    ``N`` steps; the step encoding covers ``N`` steps at depth ``N``, finds
    short counterexamples fast and can see that the space is exhausted.  So
    both run, interleaved (:attr:`BmcEncoding.HYBRID`), and a bounded PASS
    is then proved by k-induction when it closes.
    """

    name = "bmc"

    def check(self, system: System, limits: Limits) -> Result:
        """A counterexample, or BMC's PASS (proved by k-induction when it closes)."""
        start = time.monotonic()
        bmc = BmcEngine(encoding=BmcEncoding.HYBRID)
        result = bmc.check(system, limits)
        if result.verdict is not Verdict.PASS or result.stats.exhausted:
            return result
        left = max(1.0, limits.timeout_s - (time.monotonic() - start))
        proof = bmc.prove(system, dataclasses.replace(limits, timeout_s=left))
        if proof.verdict is Verdict.PASS and proof.stats.proved:
            stats = dataclasses.replace(result.stats, proved=True,
                                        elapsed_s=result.stats.elapsed_s + proof.stats.elapsed_s)
            return dataclasses.replace(result, stats=stats)
        return result


