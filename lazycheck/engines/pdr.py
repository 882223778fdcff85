"""``--engine pdr``: an unbounded proof with z3's Spacer; a reachable violation gets BMC's trace."""

from __future__ import annotations

import dataclasses
import time

from lazycheck.engines.bmc import BmcEngine
from lazycheck.outcome import Limits, Progress, Result, Stats, Verdict
from lazycheck.smt import spacer
from lazycheck.system import System


class PdrEngine:
    """Spacer (PDR/IC3) proves or refutes; on a reachable violation BMC finds the shortest trace."""

    name = "pdr"

    def check(self, system: System, limits: Limits) -> Result:
        """PASS proved for every depth, a FAIL with BMC's shortest trace, or UNKNOWN."""
        start = time.monotonic()
        if limits.progress is not None:  # Spacer has no levels to report: one call at the start
            limits.progress(Progress(self.name, 0))
        proof = spacer.prove(system, limits.timeout_s)
        elapsed = time.monotonic() - start
        if proof.status is spacer.ProofStatus.PROVED:
            return Result(Verdict.PASS, Stats(engine=self.name, proved=True, elapsed_s=elapsed,
                                              bound=limits.bound))
        if proof.status is spacer.ProofStatus.REACHABLE:
            left = max(1.0, limits.timeout_s - elapsed)
            return BmcEngine().check(system, dataclasses.replace(limits, timeout_s=left))
        return Result(Verdict.UNKNOWN, Stats(engine=self.name, elapsed_s=elapsed,
                                             bound=limits.bound), reason=proof.reason)
